"""Audit: who did what and when, with the values before and after; filter by user, action and date. Read-only."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from scheduler.i18n import N_
from scheduler.web.common import ServiceDep, UserDep, page_router, render, require_action
from signage.clock import format_utc, zone

router = page_router()
PAGE_ROWS = 200
HIDDEN_KEYS = {"password_hash"}
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
    "snapshot.approved": N_("Approved held data of a source"),
    "snapshot.rejected": N_("Rejected held data of a source"),
    "keys.rotate": N_("Changed the signing key"),
    "release_add": N_("Added a player release"),
    "release_offer": N_("Offered a player release"),
    "release_withdraw": N_("Withdrew a player release"),
}
#: Subject kinds (``display:<id>``...) whose stored names the page shows instead of the id.
SUBJECT_TABLES = {"display": "displays", "group": "groups", "source": "data_sources"}


def changes(before: str | None, after: str | None) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field that differs (all of ``after`` for a creation)."""
    old = json.loads(before) if before else {}
    new = json.loads(after) if after else {}
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [("-", old, new)]
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in HIDDEN_KEYS]
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def _day_bound(text: str, zone_name: str, end: bool) -> str | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    local = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=zone(zone_name))
    return format_utc(local)


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
    since_utc = _day_bound(since, service.config.timezone, end=False) if since else None
    until_utc = _day_bound(until, service.config.timezone, end=True) if until else None
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
    for row in rows:
        row["changes"] = changes(row.get("before"), row.get("after"))
        row["subject_label"] = titles.get(row["subject"]) or names.get(row["subject"]) or row["subject"]
    return render(
        request, "audit.html", active="audit", rows=rows, actions=actions, people=people, action_labels=ACTION_LABELS,
        filters={"who": who, "action": action, "since": since, "until": until}, limit=PAGE_ROWS,
    )  # fmt: skip
