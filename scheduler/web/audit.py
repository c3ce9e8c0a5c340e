"""Audit: who did what and when, with the values before and after; filter by user, action and date. Read-only."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from scheduler.web.common import ServiceDep, UserDep, page_router, render, require_action
from signage.clock import format_utc, zone

router = page_router()
PAGE_ROWS = 200
HIDDEN_KEYS = {"password_hash"}


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
    names = {f"user:{p['id']}": p["username"] for p in people}
    for row in rows:
        row["changes"] = changes(row.get("before"), row.get("after"))
        row["subject_label"] = titles.get(row["subject"]) or names.get(row["subject"]) or row["subject"]
    return render(
        request, "audit.html", active="audit", rows=rows, actions=actions, people=people,
        filters={"who": who, "action": action, "since": since, "until": until}, limit=PAGE_ROWS,
    )  # fmt: skip
