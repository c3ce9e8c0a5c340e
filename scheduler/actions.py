"""Use cases shared by the JSON API, the web admin and the CLI."""

from __future__ import annotations

from typing import Any

from scheduler.announcements import (
    approve_announcement,
    archive_announcement,
    displays_reached,
    get_announcement,
    update_announcement,
)
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


def edit_and_publish(
    service: Service, announcement_id: int, data: dict[str, Any], user: dict[str, Any]
) -> tuple[dict[str, Any], list[PublishedManifest]]:
    """Edit (back to draft) and recompile the displays reached before and after."""
    with service.lock:
        before = displays_reached(service.db, get_announcement(service.db, announcement_id)["targets"])
        row = update_announcement(service.db, announcement_id, data, user["id"], service.clock())
        after = displays_reached(service.db, row["targets"])
    published = service.publisher.publish(before | after)
    return row, published


def archive_and_publish(
    service: Service, announcement_id: int, user: dict[str, Any]
) -> tuple[dict[str, Any], list[PublishedManifest]]:
    with service.lock:
        row = archive_announcement(service.db, announcement_id, user["id"], service.clock())
        reached = displays_reached(service.db, row["targets"])
    published = service.publisher.publish(reached)
    return row, published
