"""Use cases shared by the JSON API, the web admin and the CLI.

Each checks :mod:`scheduler.policy` (through :mod:`scheduler.announcements`), changes the store
under the service lock, audits, and republishes the displays whose manifests may change. A change to
an emergency first pushes a signed emergency (or cancel) message to the targeted screens' event streams
(:mod:`scheduler.emergency_push`), then republishes the full manifests behind it. Each
raises ``UserError`` (400, naming the field), ``NotFoundError`` (404) or ``PolicyDenied`` (403).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scheduler.announcements import (
    approve_announcement,
    archive_announcement,
    create_announcement,
    displays_reached,
    get_announcement,
    reject_announcement,
    submit_announcement,
    update_announcement,
    withdraw_announcement,
)
from scheduler.policy import require
from scheduler.publish import PublishedManifest
from scheduler.service import Service


class Published(list[PublishedManifest]):
    """The versions a change published in the request; ``behind``: displays left to the background publisher."""

    behind: int = 0


def push_then_publish(service: Service, display_ids: set[str]) -> Published:
    """Push what the emergencies need now (signed once, on every targeted stream), then republish.

    More displays than ``publish_inline_max_displays`` (a province-wide approval) are published in the
    background when the server runs one (scheduler/publish_behind.py): the request answers at once.
    """
    pushes = service.pushes.push_due()
    if pushes:
        service.pushes.wait_delivered(pushes)  # the event loop sends them before compiling takes the CPU
    return publish_or_defer(service, display_ids)


def publish_or_defer(service: Service, display_ids: Iterable[str]) -> Published:
    """Republish ``display_ids`` in the request, or -- more than ``publish_inline_max_displays`` of them while
    the server runs a background publisher -- hand them to it and answer at once (``Published.behind``)."""
    display_ids = set(display_ids)
    behind = service.publish_behind
    if behind is not None and len(display_ids) > service.config.publish_inline_max_displays:
        out = Published()
        out.behind = behind.submit(display_ids)
        return out
    return Published(service.publisher.publish(display_ids))


Changed = tuple[dict[str, Any], Published]


def create_announcement_action(service: Service, data: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Create a draft (never on air until someone else approves it)."""
    require(user, "create")
    with service.lock:
        announcement_id = create_announcement(service.db, data, int(user["id"]), service.clock())
        return get_announcement(service.db, announcement_id)


def submit(service: Service, announcement_id: int, user: dict[str, Any]) -> dict[str, Any]:
    """Ask for approval; nothing changes on screen."""
    with service.lock:
        return submit_announcement(service.db, announcement_id, user, service.clock())


def reject(service: Service, announcement_id: int, user: dict[str, Any], reason: str) -> dict[str, Any]:
    """Send back to the author with a reason; nothing changes on screen (it was not approved)."""
    with service.lock:
        return reject_announcement(service.db, announcement_id, user, reason, service.clock())


def approve_and_publish(
    service: Service, announcement_id: int, user: dict[str, Any], seen_version: str | None = None
) -> Changed:
    """Approve (two-person rule; ``seen_version``: the content the approver read, else Conflict), recompile the
    displays it reaches, push events."""
    with service.lock:
        row = approve_announcement(service.db, announcement_id, user, service.clock(), seen_version)
        reached = displays_reached(service.db, row["targets"])
    return row, push_then_publish(service, reached)


def edit_and_publish(service: Service, announcement_id: int, data: dict[str, Any], user: dict[str, Any]) -> Changed:
    """Edit; an approved item goes back to submitted and off air at once; recompile before and after reach."""
    with service.lock:
        before = displays_reached(service.db, get_announcement(service.db, announcement_id)["targets"])
        row = update_announcement(service.db, announcement_id, data, user, service.clock())
        after = displays_reached(service.db, row["targets"])
    return row, push_then_publish(service, before | after)


def withdraw_and_publish(service: Service, announcement_id: int, user: dict[str, Any], reason: str) -> Changed:
    """Take off air at once, with a reason (audited)."""
    with service.lock:
        row = withdraw_announcement(service.db, announcement_id, user, reason, service.clock())
        reached = displays_reached(service.db, row["targets"])
    return row, push_then_publish(service, reached)


def archive_and_publish(service: Service, announcement_id: int, user: dict[str, Any]) -> Changed:
    """Archive (kept for the record, off every screen)."""
    with service.lock:
        row = archive_announcement(service.db, announcement_id, user, service.clock())
        reached = displays_reached(service.db, row["targets"])
    return row, push_then_publish(service, reached)
