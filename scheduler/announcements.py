"""Announcements: create, edit, approve (two-person rule), and which displays they reach."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from scheduler.dataslides import validate_template
from scheduler.schedule import sync_announcement_rule, validate_schedule
from scheduler.store import dumps, loads
from signage.clock import format_utc, parse_utc
from signage.errors import NotFoundError, UserError

KINDS = ("text", "image", "video", "stat")  # stat: a data-slide template (scheduler/dataslides.py)
LAYERS = ("normal", "emergency", "interrupt", "fallback", "overlay")
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 2000


def _instant(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return format_utc(parse_utc(str(value)))
    except ValueError as exc:
        raise UserError(f"{field}: {exc}", field=field) from None


def validate_announcement(db: Database, data: dict[str, Any]) -> dict[str, Any]:
    """Check an announcement body; return the normalised columns or raise UserError naming the field."""
    title = str(data.get("title", "")).strip()
    if not title:
        raise UserError("title: write a title (1-200 characters)", field="title")
    if len(title) > MAX_TITLE_CHARS:
        raise UserError(f"title: at most {MAX_TITLE_CHARS} characters", field="title")
    body = str(data.get("body") or "")
    if len(body) > MAX_BODY_CHARS:
        raise UserError(f"body: at most {MAX_BODY_CHARS} characters", field="body")
    kind = data.get("kind", "text")
    if kind not in KINDS:
        raise UserError(f"kind: must be one of {', '.join(KINDS)}", field="kind")
    if kind == "stat":
        body = validate_template(db, body)
    layer = data.get("layer", "normal")
    if layer not in LAYERS:
        raise UserError(f"layer: must be one of {', '.join(LAYERS)}", field="layer")
    media_sha256 = data.get("media_sha256") or None
    if kind in ("image", "video"):
        if not media_sha256:
            raise UserError(f"media_sha256: a {kind} announcement needs uploaded media", field="media_sha256")
        rows = list(db.table("media").rows_where("sha256 = ?", [media_sha256]))
        if not rows:
            raise UserError("media_sha256: no uploaded media with this hash; upload it first", field="media_sha256")
        if rows[0]["kind"] != kind:
            raise UserError(f"media_sha256: that media is a {rows[0]['kind']}, not a {kind}", field="media_sha256")
        if rows[0]["status"] == "failed":
            raise UserError(
                f"media_sha256: that file could not be converted ({rows[0]['notes']}); upload another",
                field="media_sha256",
            )
    elif media_sha256:
        raise UserError("media_sha256: a text announcement takes no media", field="media_sha256")
    duration_s = data.get("duration_s", 10)
    if isinstance(duration_s, bool) or not isinstance(duration_s, int | float) or not 1 <= duration_s <= 3600:
        raise UserError("duration_s: a number of seconds between 1 and 3600", field="duration_s")
    targets = data.get("targets") or {}
    if not isinstance(targets, dict):
        raise UserError("targets: an object {displays: [...], groups: [...]}", field="targets")
    display_ids = list(targets.get("displays") or [])
    group_ids = list(targets.get("groups") or [])
    for i, display_id in enumerate(display_ids):
        if not db.table("displays").count_where("id = ?", [display_id]):
            raise UserError(f"targets.displays[{i}]: unknown display {display_id!r}", field=f"targets.displays[{i}]")
    for i, group_id in enumerate(group_ids):
        if not db.table("groups").count_where("id = ?", [group_id]):
            raise UserError(f"targets.groups[{i}]: unknown group {group_id!r}", field=f"targets.groups[{i}]")
    if not display_ids and not group_ids:
        raise UserError("targets: choose at least one display or group", field="targets")
    starts_at = _instant(data.get("starts_at"), "starts_at")
    ends_at = _instant(data.get("ends_at"), "ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        raise UserError("ends_at: must be after starts_at", field="ends_at")
    schedule = validate_schedule(data.get("schedule"), layer)
    if layer == "interrupt" and "share" not in schedule:
        raise UserError(
            "schedule.share: an interrupt needs a share of voice, e.g. {percent: 5}", field="schedule.share"
        )
    if layer != "interrupt" and "share" in schedule:
        raise UserError("schedule.share: only an interrupt announcement has a share of voice", field="schedule.share")
    return {
        "schedule": dumps(schedule) if schedule else None,
        "title": title,
        "body": body,
        "kind": kind,
        "layer": layer,
        "media_sha256": media_sha256,
        "duration_s": float(duration_s),
        "targets": dumps({"displays": display_ids, "groups": group_ids}),
        "starts_at": starts_at,
        "ends_at": ends_at,
    }


def create_announcement(db: Database, data: dict[str, Any], user_id: int, now: datetime) -> int:
    columns = validate_announcement(db, data)
    now_iso = format_utc(now)
    table = db.table("announcements").insert(
        {**columns, "status": "draft", "created_by": user_id, "created_at": now_iso, "updated_at": now_iso}
    )
    announcement_id = int(table.last_pk)  # type: ignore[arg-type]
    sync_announcement_rule(db, db.table("announcements").get(announcement_id), now)
    audit(db, now, user_id, "announcement.create", f"announcement:{announcement_id}")
    return announcement_id


def get_announcement(db: Database, announcement_id: int) -> dict[str, Any]:
    rows = list(db.table("announcements").rows_where("id = ?", [announcement_id]))
    if not rows:
        raise NotFoundError(f"announcement {announcement_id} does not exist", field="id")
    row = rows[0]
    row["targets"] = loads(row["targets"], {"displays": [], "groups": []})
    row["schedule"] = loads(row["schedule"], {})
    return row


def approve_announcement(db: Database, announcement_id: int, user: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Approve; the approver must hold the role and must not be the author (two-person rule)."""
    row = get_announcement(db, announcement_id)
    if user["role"] not in ("approver", "admin"):
        raise UserError("only an approver or admin can approve", field="user")
    if row["created_by"] == user["id"]:
        raise UserError("two-person rule: the author cannot approve their own announcement", field="user")
    if row["status"] == "approved":
        return row
    if row["status"] == "archived":
        raise UserError("an archived announcement cannot be approved; create it again", field="status")
    now_iso = format_utc(now)
    with db.atomic():
        db.table("announcements").update(announcement_id, {"status": "approved", "updated_at": now_iso})
        db.table("approvals").insert(
            {
                "announcement_id": announcement_id,
                "user_id": user["id"],
                "decision": "approved",
                "note": "",
                "at": now_iso,
            }
        )
        audit(db, now, user["id"], "announcement.approve", f"announcement:{announcement_id}")
    return get_announcement(db, announcement_id)


def update_announcement(
    db: Database, announcement_id: int, data: dict[str, Any], user_id: int, now: datetime
) -> dict[str, Any]:
    """Edit; an approved announcement goes back to draft (an edit is never on air unapproved)."""
    get_announcement(db, announcement_id)
    columns = validate_announcement(db, data)
    db.table("announcements").update(announcement_id, {**columns, "status": "draft", "updated_at": format_utc(now)})
    sync_announcement_rule(db, db.table("announcements").get(announcement_id), now)
    audit(db, now, user_id, "announcement.update", f"announcement:{announcement_id}")
    return get_announcement(db, announcement_id)


def archive_announcement(db: Database, announcement_id: int, user_id: int, now: datetime) -> dict[str, Any]:
    get_announcement(db, announcement_id)
    db.table("announcements").update(announcement_id, {"status": "archived", "updated_at": format_utc(now)})
    audit(db, now, user_id, "announcement.archive", f"announcement:{announcement_id}")
    return get_announcement(db, announcement_id)


def displays_reached(db: Database, targets: dict[str, list[str]]) -> set[str]:
    reached = set(targets.get("displays") or [])
    groups = set(targets.get("groups") or [])
    if groups:
        for display in db.table("displays").rows:
            if groups & set(loads(display["groups"], [])):
                reached.add(display["id"])
    return reached


def audit(db: Database, now: datetime, user_id: int | None, action: str, subject: str, detail: str = "") -> None:
    db.table("audit_log").insert(
        {"at": format_utc(now), "user_id": user_id, "action": action, "subject": subject, "detail": detail}
    )
