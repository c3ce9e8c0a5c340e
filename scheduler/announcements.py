"""Announcements: the workflow (draft -> submitted -> approved/rejected; withdrawn; archived) and reach.

Every transition checks :mod:`scheduler.policy` and is audited with the row before and after.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from playlists.codec import MAX_YEAR, MIN_YEAR
from scheduler.dataslides import validate_template
from scheduler.errors import Conflict
from scheduler.media import media_failure_reason, require_media_approvable
from scheduler.policy import require
from scheduler.schedule import emergency_since, sync_announcement_rule, validate_schedule
from scheduler.store import dumps, loads
from signage.clock import format_utc, parse_utc
from signage.errors import NotFoundError, UserError, all_errors, raise_all

KINDS = ("text", "image", "video", "stat")  # stat: a data-slide template (scheduler/dataslides.py)
LAYERS = ("normal", "emergency", "interrupt", "fallback", "overlay")
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 2000
MAX_REASON_CHARS = 500
# Stored statuses; "on_air" and "ended" are derived (see display_status).
STATUSES = ("draft", "submitted", "approved", "rejected", "withdrawn", "archived")


def _instant(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        moment = parse_utc(str(value))
    except ValueError as exc:
        raise UserError(f"{field}: {exc}", field=field) from None
    return format_utc(require_schedule_year(moment, field))


def require_schedule_year(moment: datetime, field: str) -> datetime:
    """``moment``, or UserError on ``field`` when its year is outside what a rule accepts (``playlists.codec``):
    a typing mistake, and for years near 1 or 9999 past what a datetime can convert between zones."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise UserError(f"{field}: the year must be from {MIN_YEAR} to {MAX_YEAR} (got {moment.year})", field=field)
    return moment


def validate_announcement(db: Database, data: dict[str, Any]) -> dict[str, Any]:
    """Check an announcement body; return the normalised columns or raise UserError naming the field.

    Every field is checked before anything is refused: with more than one bad field the error is a
    :class:`FieldErrors` holding each (the API lists them, the web form marks them all)."""
    problems: list[UserError] = []

    def problem(message: str, field: str) -> None:
        problems.append(UserError(message, field=field))

    title = str(data.get("title", "")).strip()
    if not title:
        problem("title: write a title (1-200 characters)", "title")
    elif len(title) > MAX_TITLE_CHARS:
        problem(f"title: at most {MAX_TITLE_CHARS} characters", "title")
    body = str(data.get("body") or "")
    kind = data.get("kind", "text")
    if len(body) > MAX_BODY_CHARS:
        problem(f"body: at most {MAX_BODY_CHARS} characters", "body")
    elif kind == "stat":
        try:
            body = validate_template(db, body)
        except UserError as exc:
            problems.extend(all_errors(exc))
    if kind not in KINDS:
        problem(f"kind: must be one of {', '.join(KINDS)}", "kind")
    layer = data.get("layer", "normal")
    if layer not in LAYERS:
        problem(f"layer: must be one of {', '.join(LAYERS)}", "layer")
    media_sha256 = data.get("media_sha256") or None
    if kind in ("image", "video"):
        rows = list(db.table("media").rows_where("sha256 = ?", [media_sha256])) if media_sha256 else []
        if not media_sha256:
            problem(f"media_sha256: a {kind} announcement needs uploaded media", "media_sha256")
        elif not rows:
            problem("media_sha256: no uploaded media with this hash; upload it first", "media_sha256")
        elif rows[0]["kind"] != kind and rows[0].get("mime") == "image/gif":
            kind = rows[0]["kind"]  # an animated GIF becomes a video (a page read before it was known says image)
        elif rows[0]["kind"] != kind:
            problem(f"media_sha256: that media is a {rows[0]['kind']}, not a {kind}", "media_sha256")
        elif rows[0]["status"] == "failed":
            problem(
                f"media_sha256: that file could not be converted ({media_failure_reason(rows[0])}); upload another",
                "media_sha256",
            )
    elif media_sha256 and kind in KINDS:
        problem("media_sha256: a text announcement takes no media", "media_sha256")
    duration_s = data.get("duration_s", 10)
    if isinstance(duration_s, bool) or not isinstance(duration_s, int | float) or not 1 <= duration_s <= 3600:
        problem("duration_s: a number of seconds between 1 and 3600", "duration_s")
    targets = data.get("targets") or {}
    display_ids: list[Any] = []
    group_ids: list[Any] = []
    if not isinstance(targets, dict):
        problem("targets: an object {displays: [...], groups: [...]}", "targets")
    else:
        display_ids = list(targets.get("displays") or [])
        group_ids = list(targets.get("groups") or [])
        for i, display_id in enumerate(display_ids):  # the first unknown of each list is named
            if not db.table("displays").count_where("id = ?", [display_id]):
                problem(f"targets.displays[{i}]: unknown display {display_id!r}", f"targets.displays[{i}]")
                break
        for i, group_id in enumerate(group_ids):
            if not db.table("groups").count_where("id = ?", [group_id]):
                problem(f"targets.groups[{i}]: unknown group {group_id!r}", f"targets.groups[{i}]")
                break
        if not display_ids and not group_ids:
            problem("targets: choose at least one display or group", "targets")
    starts_at = ends_at = None
    try:
        starts_at = _instant(data.get("starts_at"), "starts_at")
    except UserError as exc:
        problems.append(exc)
    try:
        ends_at = _instant(data.get("ends_at"), "ends_at")
    except UserError as exc:
        problems.append(exc)
    if starts_at and ends_at and ends_at <= starts_at:
        problem("ends_at: must be after starts_at", "ends_at")
    schedule: dict[str, Any] = {}
    if layer in LAYERS:
        try:
            schedule = validate_schedule(data.get("schedule"), layer)
        except UserError as exc:
            problems.append(exc)
        else:
            if layer == "interrupt" and "share" not in schedule:
                problem("schedule.share: an interrupt needs a share of voice, e.g. {percent: 5}", "schedule.share")
            if layer != "interrupt" and "share" in schedule:
                problem("schedule.share: only an interrupt announcement has a share of voice", "schedule.share")
    raise_all(problems)
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


def create_announcement(
    db: Database,
    data: dict[str, Any],
    user_id: int,
    now: datetime,
    also_barred: Iterable[int] = (),
    *,
    needs_voucher: bool = False,
) -> int:
    """Store a new draft (no permission check: callers go through ``actions`` or are trusted tooling).

    ``also_barred``: people who did not write it here but chose its text (who added the CAP feed it came
    from): like its author, they may not approve it (two-person rule). ``needs_voucher``: nobody knows who wrote
    it (a file dropped in the inbox): someone must submit it before another person may approve it."""
    columns = validate_announcement(db, data)
    now_iso = format_utc(now)
    with db.atomic():  # a rule it cannot make leaves no row behind (and none without its audit entry)
        table = db.table("announcements").insert(
            {
                **columns,
                "status": "draft",
                "created_by": user_id,
                "created_at": now_iso,
                "updated_at": now_iso,
                "updated_by": user_id,
                "contributors": dumps([user_id]),
                "editors_since_approval": dumps(sorted({user_id, *also_barred})),
                "needs_voucher": 1 if needs_voucher else None,
            }
        )
        announcement_id = int(table.last_pk)  # type: ignore[arg-type]
        sync_announcement_rule(db, db.table("announcements").get(announcement_id), now)
        audit(
            db, now, user_id, "announcement.create", f"announcement:{announcement_id}",
            after=_snapshot(db, announcement_id),
        )  # fmt: skip
    return announcement_id


def get_announcement(db: Database, announcement_id: int) -> dict[str, Any]:
    rows = list(db.table("announcements").rows_where("id = ?", [announcement_id]))
    if not rows:
        raise NotFoundError(f"announcement {announcement_id} does not exist", field="id")
    return decode_row(rows[0])


def decode_row(row: dict[str, Any]) -> dict[str, Any]:
    """Decode the JSON columns of an ``announcements`` row (in place; returned for chaining)."""
    row["targets"] = loads(row["targets"], {"displays": [], "groups": []})
    row["schedule"] = loads(row["schedule"], {})
    row["contributors"] = loads(row.get("contributors"), [])
    row["editors_since_approval"] = loads(row.get("editors_since_approval"), [])
    return row


#: What goes on screen: an approval is of exactly these values (``content_version``).
CONTENT_FIELDS = ("title", "body", "kind", "media_sha256", "duration_s", "layer", "targets", "starts_at", "ends_at",
                  "schedule")  # fmt: skip


def content_version(row: dict[str, Any]) -> str:
    """A short digest of what the announcement shows, where and when (a decoded row). The approve button carries
    the version its page showed, so an edit made meanwhile is never approved unseen."""
    content = {key: row.get(key) for key in CONTENT_FIELDS}
    for key in ("targets", "schedule"):
        if isinstance(content[key], str):
            content[key] = loads(content[key], {})
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def display_status(row: dict[str, Any], now: datetime) -> str:
    """What a person sees: draft, submitted, approved (not yet started), on_air, ended, rejected, withdrawn, archived.

    On air means approved and inside its validity window (the schedule's days and hours still apply).
    """
    status = str(row["status"])
    if status != "approved":
        return status if status in STATUSES else "draft"
    now_iso = format_utc(now)
    if row.get("ends_at") and row["ends_at"] <= now_iso:
        return "ended"
    if row.get("starts_at") and now_iso < row["starts_at"]:
        return "approved"
    return "on_air"


#: Approved states that put an announcement on screens once its file is there.
WANTS_SCREENS = ("on_air", "later_today", "done_today", "not_today", "approved")


def media_states(db: Database, rows: list[dict[str, Any]]) -> dict[str, str]:
    """media sha256 -> its status (processing, ready, failed) for the announcements ``rows`` that have media."""
    shas = sorted({str(r["media_sha256"]) for r in rows if r.get("media_sha256")})
    if not shas:
        return {}
    return {m["sha256"]: m["status"] for m in db.table("media").rows_where(
        f"sha256 in ({','.join('?' * len(shas))})", shas, select="sha256, status")}  # fmt: skip


def mark_media_states(db: Database, rows: list[dict[str, Any]]) -> None:
    """``display_status`` "media_waiting" / "media_failed" for approved ones whose file is on no screen: still
    converting, or its conversion failed (the publisher leaves them out; "on air" would not be true)."""
    states = media_states(db, [r for r in rows if r.get("display_status") in WANTS_SCREENS])
    for row in rows:
        state = states.get(row.get("media_sha256") or "")
        if row.get("display_status") in WANTS_SCREENS and state in ("processing", "failed"):
            row["display_status"] = "media_waiting" if state == "processing" else "media_failed"


def today_states(db: Database, rows: list[dict[str, Any]], now: datetime, timezone_name: str) -> dict[int, str]:
    """For ``rows`` (approved, inside their dates) whose own schedule has it off the air at ``now``: ``not_today``
    (no time on today's local date), ``done_today`` (its hours today are over) or ``later_today`` (its hours
    today are still to come). Those on air now (and those without a stored rule) are not listed."""
    from playlists.codec import parse_rule
    from playlists.windows import rule_spans
    from signage.clock import zone

    day_start = datetime.combine(now.astimezone(zone(timezone_name)).date(), datetime.min.time(), zone(timezone_name))
    d0 = int(day_start.timestamp())
    d1 = int((day_start + timedelta(days=1)).timestamp())
    ids = [int(row["id"]) for row in rows]
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    bodies = {row[0]: row[1] for row in db.execute(f"select id, body from rules where id in ({marks})",
                                                    [f"ann-{i}" for i in ids])}  # fmt: skip
    now_s = int(now.timestamp())
    out: dict[int, str] = {}
    for announcement_id in ids:
        body = bodies.get(f"ann-{announcement_id}")
        if body is None:
            continue
        try:
            rule = parse_rule(loads(body, {}))
        except (UserError, ValueError):  # a stored rule that no longer parses: its warning says so elsewhere
            continue
        spans = list(rule_spans(rule, timezone_name, d0, d1))
        if not spans:
            out[announcement_id] = "not_today"
        elif not any(start <= now_s < end for start, end in spans):
            out[announcement_id] = "later_today" if any(start > now_s for start, _ in spans) else "done_today"
    return out


def _snapshot(db: Database, announcement_id: int) -> dict[str, Any]:
    """The row as stored, for the audit log's before/after."""
    row = dict(db.table("announcements").get(announcement_id))
    return decode_row(row)


def _transition(
    db: Database,
    row: dict[str, Any],
    user: dict[str, Any],
    now: datetime,
    action: str,
    changes: dict[str, Any],
    detail: str = "",
) -> dict[str, Any]:
    """Apply ``changes`` to the row and audit the transition with before/after, atomically."""
    announcement_id = int(row["id"])
    with db.atomic():
        before = _snapshot(db, announcement_id)
        db.table("announcements").update(announcement_id, changes)
        after = _snapshot(db, announcement_id)
        audit(db, now, user["id"], f"announcement.{action}", f"announcement:{announcement_id}", detail, before, after)
    return get_announcement(db, announcement_id)


def _state_error(row: dict[str, Any], action: str, hint: str) -> UserError:
    return UserError(
        f"status: announcement {row['id']} is {row['status']}; cannot {action} it ({hint})", field="status"
    )


def _reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise UserError(f"reason: say why it is {what} (shown to the author and kept in the audit log)", field="reason")
    if len(text) > MAX_REASON_CHARS:
        raise UserError(f"reason: at most {MAX_REASON_CHARS} characters", field="reason")
    return text


def submit_announcement(db: Database, announcement_id: int, user: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Ask for approval (draft, rejected or withdrawn -> submitted)."""
    row = get_announcement(db, announcement_id)
    require(user, "submit", row)
    if row["status"] == "submitted":
        return row
    if row["status"] not in ("draft", "rejected", "withdrawn"):
        raise _state_error(row, "submit", "only a draft, rejected or withdrawn announcement can be submitted")
    changes: dict[str, Any] = {"status": "submitted", "status_by": user["id"], "status_at": format_utc(now)}
    if row.get("needs_voucher"):  # the submitter answers for a dropped file now, so another person approves it
        changes["needs_voucher"] = None
        changes["editors_since_approval"] = dumps(sorted({*row["editors_since_approval"], int(user["id"])}))
    return _transition(db, row, user, now, "submit", changes)


def approve_announcement(
    db: Database, announcement_id: int, user: dict[str, Any], now: datetime, seen_version: str | None = None
) -> dict[str, Any]:
    """Approve (draft or submitted -> approved); two-person rule: see :mod:`scheduler.policy`.

    ``seen_version``: the :func:`content_version` the approver read; if it changed since, nothing is approved
    (Conflict, 409): the approver reads the new content first."""
    row = get_announcement(db, announcement_id)
    require(user, "approve", row)
    if seen_version is not None and seen_version != content_version(row):
        raise Conflict(
            f"version: announcement {announcement_id} was changed after you read it (version {seen_version}, now "
            f"{content_version(row)}); read it again before approving",
            field="version",
        )
    if row["status"] == "approved":
        return row
    if row["status"] not in ("draft", "submitted"):
        raise _state_error(
            row, "approve", "an archived one must be created again; a rejected or withdrawn one must be submitted again"
        )
    require_media_approvable(db, row)
    now_iso = format_utc(now)
    with db.atomic():
        db.table("approvals").insert(
            {
                "announcement_id": announcement_id,
                "user_id": user["id"],
                "decision": "approved",
                "note": "",
                "at": now_iso,
            }
        )
        changes = {
            "status": "approved",
            "approved_by": user["id"],
            "approved_at": now_iso,
            "status_by": user["id"],
            "status_at": now_iso,
            "status_reason": None,
            "editors_since_approval": dumps([]),
        }
        approved = _transition(db, row, user, now, "approve", changes)
        if emergency_since(approved) is not None:  # an emergency starts at its approval: its rule says so
            sync_announcement_rule(db, approved, now)
        return approved


def reject_announcement(
    db: Database, announcement_id: int, user: dict[str, Any], reason: str, now: datetime
) -> dict[str, Any]:
    """Send back to the author with a reason (draft or submitted -> rejected)."""
    row = get_announcement(db, announcement_id)
    require(user, "reject", row)
    text = _reason(reason, "rejected")
    if row["status"] not in ("draft", "submitted"):
        raise _state_error(row, "reject", "an approved announcement is taken off air with withdraw")
    now_iso = format_utc(now)
    with db.atomic():
        db.table("approvals").insert(
            {
                "announcement_id": announcement_id,
                "user_id": user["id"],
                "decision": "rejected",
                "note": text,
                "at": now_iso,
            }
        )
        changes = {"status": "rejected", "status_reason": text, "status_by": user["id"], "status_at": now_iso}
        return _transition(db, row, user, now, "reject", changes, text)


def withdraw_announcement(
    db: Database, announcement_id: int, user: dict[str, Any], reason: str, now: datetime
) -> dict[str, Any]:
    """Take off air at once (approved or submitted -> withdrawn); needs a reason, always audited."""
    row = get_announcement(db, announcement_id)
    require(user, "withdraw", row)
    text = _reason(reason, "withdrawn")
    if row["status"] not in ("approved", "submitted"):
        raise _state_error(row, "withdraw", "only an approved or submitted announcement can be withdrawn")
    changes = {"status": "withdrawn", "status_reason": text, "status_by": user["id"], "status_at": format_utc(now)}
    return _transition(db, row, user, now, "withdraw", changes, text)


def update_announcement(
    db: Database, announcement_id: int, data: dict[str, Any], user: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Edit the content. An approved or submitted announcement goes back to *submitted* and is off air
    until approved again (by someone other than every editor); a rejected or withdrawn one becomes a draft.
    An edit that changes nothing changes nothing."""
    row = get_announcement(db, announcement_id)
    require(user, "edit", row)
    if row["status"] == "archived":
        raise _state_error(row, "edit", "archived announcements are kept for the record; create a new one")
    columns = validate_announcement(db, data)
    stored = dict(db.table("announcements").get(announcement_id))
    if all(stored.get(key) == value for key, value in columns.items()):
        return row
    contributors = sorted(set(row["contributors"]) | {int(user["id"])})
    editors = sorted(set(row["editors_since_approval"]) | {int(user["id"])})
    status = "submitted" if row["status"] in ("approved", "submitted") else "draft"
    changes = {
        **columns,
        "status": status,
        "updated_at": format_utc(now),
        "updated_by": user["id"],
        "contributors": dumps(contributors),
        "editors_since_approval": dumps(editors),
    }
    with db.atomic():
        updated = _transition(db, row, user, now, "update", changes)
        sync_announcement_rule(db, db.table("announcements").get(announcement_id), now)
    return updated


def archive_announcement(db: Database, announcement_id: int, user: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Keep for the record, off every screen (any status -> archived); audited."""
    row = get_announcement(db, announcement_id)
    require(user, "archive", row)
    if row["status"] == "archived":
        return row
    changes = {"status": "archived", "status_by": user["id"], "status_at": format_utc(now)}
    return _transition(db, row, user, now, "archive", changes)


def displays_reached(db: Database, targets: dict[str, list[str]]) -> set[str]:
    reached = set(targets.get("displays") or [])
    groups = set(targets.get("groups") or [])
    if groups:
        for display in db.table("displays").rows:
            if groups & set(loads(display["groups"], [])):
                reached.add(display["id"])
    return reached


def audit(
    db: Database,
    now: datetime,
    user_id: int | None,
    action: str,
    subject: str,
    detail: str = "",
    before: Any = None,
    after: Any = None,
) -> None:
    """Append to the audit log; ``before``/``after`` are stored as JSON (None when not given)."""
    db.table("audit_log").insert(
        {
            "at": format_utc(now),
            "user_id": user_id,
            "action": action,
            "subject": subject,
            "detail": detail,
            "before": None if before is None else dumps(before),
            "after": None if after is None else dumps(after),
        }
    )
