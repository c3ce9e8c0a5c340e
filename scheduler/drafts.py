"""Drafts from the content pipeline (``signage ingest`` and the inbox folder).

Both hand a :class:`content.drafts.DraftRequest`; this records the normalised
media and creates a *draft* announcement targeting the group (or every display
when no group is given). Nothing is published: whoever dropped the file is not
known, so a named person must submit the draft (answering for it) and another
one approve it (``needs_voucher``, scheduler.policy).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from content.drafts import DraftRequest
from scheduler.announcements import create_announcement
from scheduler.media import fleet_canvases, record_ingest
from scheduler.service import Service
from signage.canvas import Canvas
from signage.clock import format_utc, zone
from signage.errors import UserError

SYSTEM_USER = "sistem-inbox"


def _system_user_id(service: Service) -> int:
    rows = list(service.db.table("users").rows_where("username = ?", [SYSTEM_USER]))
    if rows:
        return int(rows[0]["id"])
    table = service.db.table("users").insert(
        {"username": SYSTEM_USER, "password_hash": "!", "role": "editor", "language": "id",
         "created_at": service.now_iso(), "disabled": 1}
    )  # fmt: skip
    return int(table.last_pk)  # type: ignore[arg-type]


def _instant(value: datetime | date | None, tz_name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz_name))
    return format_utc(value)


def canvases_for_group(service: Service, group: str | None) -> list[Canvas]:
    with service.lock:
        if group is not None and not service.db.table("groups").count_where("id = ?", [group]):
            raise UserError(f"group: unknown group {group!r}", field="group")
        return fleet_canvases(service.db, group)


def create_draft(service: Service, request: DraftRequest) -> dict[str, Any]:
    """Record the media and create a draft announcement; returns the announcement row id and title."""
    result = request.result
    with service.lock:
        record_ingest(service.db, result, result.name, service.clock())
        if request.group:
            targets: dict[str, list[str]] = {"groups": [request.group]}
        else:
            targets = {"displays": [row["id"] for row in service.db.table("displays").rows]}
        body: dict[str, Any] = {
            "title": request.title[:200],
            "kind": result.kind,
            "media_sha256": result.original.sha256,
            "targets": targets,
            "layer": request.layer or "normal",
            "starts_at": _instant(request.starts_at, service.config.timezone),
            "ends_at": _instant(request.ends_at, service.config.timezone),
        }
        if result.kind == "image":
            body["duration_s"] = service.config.default_duration_s
        # whoever dropped the file is unknown: a named person submits it (and may then not approve it)
        announcement_id = create_announcement(service.db, body, _system_user_id(service), service.clock(),
                                              needs_voucher=True)  # fmt: skip
    return {"id": announcement_id, "title": body["title"]}
