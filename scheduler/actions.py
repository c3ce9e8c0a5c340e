"""Use cases shared by the JSON API, the web admin and the CLI."""

from __future__ import annotations

from typing import Any

from scheduler.announcements import approve_announcement, displays_reached
from scheduler.publish import PublishedManifest
from scheduler.service import Service


def approve_and_publish(
    service: Service, announcement_id: int, user: dict[str, Any]
) -> tuple[dict[str, Any], list[PublishedManifest]]:
    """Approve (two-person rule), recompile the displays it reaches, push events."""
    with service.lock:
        row = approve_announcement(service.db, announcement_id, user, service.clock())
        reached = displays_reached(service.db, row["targets"])
        published = service.publisher.publish(reached)
    if row["layer"] == "emergency":
        for display_id in sorted(reached):
            service.events.emit(display_id, "emergency", {"announcement_id": announcement_id, "title": row["title"]})
    return row, published
