"""When a scheduled emergency may be pushed: the span of its schedule live now on every targeted display.

An emergency announcement may carry a schedule (days, hours, a repeat): the manifests then show it only in
those windows (docs/schedule.md). The signed push (:mod:`scheduler.emergency_push`) lays its message over
the manifest from ``valid_from`` to ``valid_until`` until a newer manifest takes over, so for a scheduled
emergency it must cover only the window live now, and nothing when none is: the manifests carry it then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from playlists.codec import parse_rule
from playlists.windows import rule_spans
from scheduler.schedule import rule_for_announcement
from scheduler.store import loads

#: Schedule fields that restrict when an announcement is on screen.
TIMING_KEYS = ("days", "dayparts", "preset", "rrule", "exdates")


def is_scheduled(ann: dict[str, Any]) -> bool:
    schedule = ann.get("schedule")
    schedule = schedule if isinstance(schedule, dict) else loads(schedule, {})
    return any(schedule.get(key) for key in TIMING_KEYS)


def live_window(
    ann: dict[str, Any], zones: Iterable[str], now: datetime, longest: timedelta
) -> tuple[datetime, datetime] | None:
    """(from, until) of the schedule's span holding ``now`` in every zone (until: the earliest end, at most
    ``now + longest``); None when in some zone it is not on screen now."""
    rule = parse_rule(rule_for_announcement(ann))
    now_s = int(now.timestamp())
    end_s = now_s + int(longest.total_seconds())
    until_s = end_s
    for zone_name in sorted(set(zones)):
        spans = rule_spans(rule, zone_name, now_s, end_s)  # clipped to [now, end): a live span starts at now
        if not spans or spans[0][0] != now_s:
            return None
        until_s = min(until_s, spans[0][1])
    return datetime.fromtimestamp(now_s, UTC), datetime.fromtimestamp(until_s, UTC)
