"""Asking a display for a screenshot (any staff role may): bounded per display.

Each request makes the player grab its canvas, encode a PNG and send it with a heartbeat, on the
machine that is playing; a flood of requests (a script, a stuck button) would make the screen
stutter and fill the event streams. A display gets at most ``SCREENSHOTS_PER_MINUTE`` requests a
minute, whoever asks; beyond that the request is refused (429) and nothing is sent.
"""

from __future__ import annotations

from typing import Any

from scheduler.errors import TooMany
from scheduler.events import Event
from scheduler.service import SCREENSHOTS_PER_MINUTE, Service


def request_screenshot(service: Service, display_id: str, user: dict[str, Any]) -> Event:
    """Send the display a screenshot request, or TooMany (nothing sent) past its per-minute allowance."""
    limiter = service.screenshot_limiter
    if limiter.blocked(display_id):
        raise TooMany(
            f"display_id: {SCREENSHOTS_PER_MINUTE} screenshots of {display_id!r} were asked for in the last "
            "minute; wait a minute (the newest one appears on its page)",
            field="display_id",
        )
    limiter.record(display_id)
    return service.events.emit(display_id, "screenshot", {"requested_by": user["username"]})
