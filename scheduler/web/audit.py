"""Audit: who did what and when, with the values before and after; filter by user, action and date. Read-only."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from scheduler.fleet_admin import format_hours
from scheduler.i18n import N_
from scheduler.web.announcement_form import describe_schedule
from scheduler.web.common import (
    Formatter,
    ServiceDep,
    UserDep,
    gettext_for,
    language_of,
    page_router,
    render,
    require_action,
)
from signage.clock import format_utc, zone

router = page_router()
PAGE_ROWS = 200
#: Kept in the log for support, not shown: secrets and the store's internal bookkeeping of a row.
HIDDEN_KEYS = {"password_hash", "tags", "zones", "fallback", "last_good"}
#: What the stored action codes mean, in the staff's words (a code not listed is shown as stored).
ACTION_LABELS: dict[str, str] = {
    "announcement.create": N_("Wrote an announcement"),
    "announcement.update": N_("Changed an announcement"),
    "announcement.submit": N_("Submitted for approval"),
    "announcement.approve": N_("Approved an announcement"),
    "announcement.reject": N_("Rejected an announcement"),
    "announcement.withdraw": N_("Withdrew an announcement"),
    "announcement.archive": N_("Archived an announcement"),
    "display.create": N_("Added a screen"),
    "display.edit": N_("Changed a screen"),
    "display.delete": N_("Removed a screen"),
    "display.enrol": N_("Connected a player to a screen"),
    "display.revoke": N_("Disconnected a screen's player"),
    "group.create": N_("Added a group"),
    "group.edit": N_("Changed a group"),
    "group.delete": N_("Removed a group"),
    "user.create": N_("Added a user"),
    "user.role": N_("Changed a user's role"),
    "user.reset_password": N_("Reset a user's password"),
    "user.password": N_("Changed own password"),
    "user.disable": N_("Disabled a user"),
    "user.enable": N_("Enabled a user"),
    "login": N_("Logged in"),
    "logout": N_("Logged out"),
    "login.failed": N_("Failed login"),
    "login.locked": N_("Login locked after failed attempts"),
    "source.create": N_("Added a data source"),
    "snapshot.approve": N_("Approved held data of a source"),
    "snapshot.reject": N_("Rejected held data of a source"),
    "snapshot.approved": N_("Approved held data of a source"),
    "snapshot.rejected": N_("Rejected held data of a source"),
    "keys.rotate": N_("Changed the signing key"),
    "release_add": N_("Added a player release"),
    "release_offer": N_("Offered a player release"),
    "release_withdraw": N_("Withdrew a player release"),
}
#: Subject kinds (``display:<id>``...) whose stored names the page shows instead of the id.
SUBJECT_TABLES = {"display": "displays", "group": "groups", "source": "data_sources"}


#: Stored field names in the staff's words (a field not listed is shown as stored).
FIELD_WORDS: dict[str, str] = {
    "id": N_("ID"), "title": N_("Title"), "body": N_("Text"), "kind": N_("Kind"), "layer": N_("Layer"),
    "status": N_("Status"),
    "duration_s": N_("Duration (seconds)"), "targets": N_("Target screens"), "starts_at": N_("Valid from"),
    "ends_at": N_("Valid until"), "schedule": N_("When"), "media_sha256": N_("Media file"),
    "created_at": N_("Created at"), "created_by": N_("Created by"), "updated_at": N_("Changed at"),
    "updated_by": N_("Changed by"), "approved_at": N_("Approved at"), "approved_by": N_("Approved by"),
    "needs_voucher": N_("Waits for someone to answer for it"),
    "status_at": N_("Status changed at"), "status_by": N_("Status changed by"), "status_reason": N_("Reason"),
    "contributors": N_("Authors and editors"), "editors_since_approval": N_("Changed since the last approval by"),
    "name": N_("Name"), "location": N_("Location"), "latitude": N_("Latitude"), "longitude": N_("Longitude"),
    "region_code": N_("Region code"), "width": N_("Canvas width"), "height": N_("Canvas height"),
    "rotation": N_("Rotation"), "timezone": N_("Time zone"), "operating_hours": N_("Operating hours"),
    "groups": N_("Groups"), "role": N_("Role"), "language": N_("Language"), "disabled": N_("Disabled"),
    "must_change_password": N_("Must change password"), "username": N_("User name"), "url": N_("Address"),
    "refresh_s": N_("Poll interval (seconds)"), "config": N_("Settings"),
}
#: Fields holding one user id, or a list of them: shown by user name.
USER_FIELDS = {"created_by", "updated_by", "approved_by", "status_by", "user_id"}
USER_LIST_FIELDS = {"contributors", "editors_since_approval"}
_ADDRESS_DETAIL = re.compile(r"^address (?P<address>\S+)(?: \((?P<via>\w+)\))?$")


class AuditWords:
    """An audit entry's stored values said for staff: user names, statuses and layers in words, local times."""

    def __init__(self, t: Any, fmt: Any, users: dict[int, str], target_names: Any, language: str = "id") -> None:
        self.t, self.fmt, self.users, self.target_names, self.language = t, fmt, users, target_names, language

    def value(self, field: str, value: Any) -> str:
        t = self.t
        if value is None or value == "":
            return "-"
        if field in USER_FIELDS and isinstance(value, int):
            return self.users.get(value, f"#{value}")
        if field in USER_LIST_FIELDS and isinstance(value, list | str):
            ids = json.loads(value) if isinstance(value, str) else value
            return ", ".join(self.users.get(i, f"#{i}") for i in ids if isinstance(i, int)) or "-"
        words = {"status": STATUS_WORDS, "layer": LAYER_WORDS, "kind": KIND_WORDS, "role": ROLE_WORDS}.get(field)
        if words and isinstance(value, str) and value in words:
            return str(t(words[value]))
        if field in ("disabled", "must_change_password", "needs_voucher") and value in (0, 1, True, False):
            return str(t("yes") if value else t("no"))
        if field == "schedule" and isinstance(value, str | dict):
            schedule = json.loads(value) if isinstance(value, str) and value.startswith("{") else value
            if isinstance(schedule, dict):
                return describe_schedule(schedule, t)
        if field == "targets":
            targets = json.loads(value) if isinstance(value, str) else value
            if isinstance(targets, dict):
                return str(self.target_names(targets)) or "-"
        if field in ("groups", "operating_hours") and isinstance(value, str | list):
            listed = json.loads(value) if isinstance(value, str) and value.startswith("[") else value
            if isinstance(listed, list) and field == "groups":
                return str(self.target_names({"groups": listed})) or "-"
            if isinstance(listed, list):
                return format_hours(listed, self.language) or str(t("always on"))
        if isinstance(value, str) and _INSTANT.match(value):
            return str(self.fmt.datetime(value))
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, indent=1) if isinstance(value, dict | list) else str(value)

    def field(self, name: str) -> str:
        return str(self.t(FIELD_WORDS[name])) if name in FIELD_WORDS else name

    def detail(self, text: str | None) -> str:
        snapshot = re.fullmatch(r"snapshot (\d+)", text or "")
        if snapshot:
            return str(self.t("data fetch no. %(n)s") % {"n": snapshot[1]})
        match = _ADDRESS_DETAIL.match(text or "")
        if match is None:
            return text or ""
        via = f" ({match['via']})" if match["via"] else ""
        return str(self.t("from address %(address)s") % {"address": match["address"]}) + via


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$")
STATUS_WORDS = {"draft": N_("Draft"), "submitted": N_("Submitted"), "approved": N_("Approved"),
                "rejected": N_("Rejected"), "withdrawn": N_("Withdrawn"), "archived": N_("Archived"),
                "held": N_("Held for review"), "ok": N_("OK")}  # fmt: skip
LAYER_WORDS = {"normal": N_("Normal"), "interrupt": N_("Interlude"), "emergency": N_("Emergency"),
               "fallback": N_("Fallback"), "overlay": N_("Overlay")}  # fmt: skip
KIND_WORDS = {"text": N_("Text"), "image": N_("Image"), "video": N_("Video"), "stat": N_("Village statistics")}
ROLE_WORDS = {"viewer": N_("Viewer"), "editor": N_("Editor"), "approver": N_("Approver"), "admin": N_("Admin")}


def changes(before: str | None, after: str | None) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field that differs (all of ``after`` for a creation)."""
    old = json.loads(before) if before else {}
    new = json.loads(after) if after else {}
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [("-", old, new)]
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in HIDDEN_KEYS]
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def _target_names(service: Any, targets: dict[str, Any]) -> str:
    with service.lock:
        displays = {r["id"]: r["name"] for r in service.db.table("displays").rows}
        groups = {r["id"]: r["name"] for r in service.db.table("groups").rows}
    return ", ".join([displays.get(d, d) for d in targets.get("displays") or []]
                     + [groups.get(g, g) for g in targets.get("groups") or []])  # fmt: skip


def _day_bound(text: str, zone_name: str, end: bool) -> str | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    local = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=zone(zone_name))
    return format_utc(local)


def _dates_error(t: Any, since: str, until: str, since_utc: str | None, until_utc: str | None) -> str | None:
    """The filter's date mistake in words, or None: a date that is not one, or a start after the end."""
    for typed, bound in ((since, since_utc), (until, until_utc)):
        if typed and bound is None:
            return t("Dates: %(value)s is not a date; choose one from the calendar.") % {"value": typed[:40]}
    if since_utc and until_utc and since_utc >= until_utc:
        return t("Dates: choose a start date on or before the end date.")
    return None


@router.get("/audit")
def audit_page(
    request: Request,
    user: UserDep,
    service: ServiceDep,
    who: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    require_action(user, "view_audit")
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if who.isdigit():
        where.append("user_id = ?")
        params.append(int(who))
    if action:
        where.append("action like ?")
        params.append(action[:60] + "%")
    since, until = since.strip(), until.strip()
    since_utc = _day_bound(since, service.config.timezone, end=False) if since else None
    until_utc = _day_bound(until, service.config.timezone, end=True) if until else None
    error = _dates_error(gettext_for(request), since, until, since_utc, until_utc)
    if error:  # a refused filter shows no entries rather than every entry as if it had been applied
        where.append("0 = 1")
    if since_utc:
        where.append("at >= ?")
        params.append(since_utc)
    if until_utc:
        where.append("at < ?")
        params.append(until_utc)
    with service.lock:
        rows = list(
            service.db.table("audit_log").rows_where(" and ".join(where), params, order_by="id desc", limit=PAGE_ROWS)
        )
        actions = [r["action"] for r in service.db.query("select distinct action from audit_log order by action")]
        people = list(service.db.table("users").rows_where(order_by="username", select="id, username"))
        titles = {f"announcement:{r['id']}": r["title"] for r in service.db.table("announcements").rows}
        for kind, table in SUBJECT_TABLES.items():
            titles.update({f"{kind}:{r['id']}": r.get("name") or r["id"] for r in service.db.table(table).rows})
    names = {f"user:{p['id']}": p["username"] for p in people}
    words = AuditWords(gettext_for(request), Formatter(language_of(request), service.config.timezone,
                                                       service.clock()),
                       {int(p["id"]): p["username"] for p in people}, lambda targets: _target_names(service, targets),
                       language_of(request))  # fmt: skip
    for row in rows:
        row["changes"] = [(words.field(k), words.value(k, old), words.value(k, new))
                          for k, old, new in changes(row.get("before"), row.get("after"))]  # fmt: skip
        subject = str(row["subject"] or "")
        typed_name = subject[5:] if subject.startswith("user:") and not subject[5:].isdigit() else None
        row["subject_label"] = titles.get(subject) or names.get(subject) or typed_name or subject
        row["detail_text"] = words.detail(row.get("detail"))
    return render(
        request, "audit.html", active="audit", rows=rows, actions=actions, people=people, action_labels=ACTION_LABELS,
        filters={"who": who, "action": action, "since": since[:40], "until": until[:40]}, limit=PAGE_ROWS,
        status=400 if error else 200, error=error,
    )  # fmt: skip
