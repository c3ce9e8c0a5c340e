"""CAP alerts -> announcements: emergency (Extreme/Severe + Immediate) or interrupt, for the matching groups.

* Each alert becomes one text announcement for the display groups whose area
  keywords (source option ``areas``) appear in its area or description, on air
  from ``effective`` until ``expires``.
* By default an approver must click it on air (a draft), and not the person who added the source in the
  web admin (two-person rule: they chose where its text comes from); with the source option ``auto_air``
  (set only from the server's shell, never the web admin) an emergency is approved by the system at once.
* ``msgType`` Update replaces the referenced alerts' announcements; Cancel
  archives them. Test, Exercise and Draft alerts (``status``) are ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from content.sources.cap import Alert, matching_groups
from scheduler.announcements import (
    approve_announcement,
    archive_announcement,
    create_announcement,
    displays_reached,
)
from scheduler.sources import configured_by
from scheduler.store import dumps, loads
from signage.clock import format_utc

log = logging.getLogger("scheduler.alerts")
ALERTS_AUTHOR = "sistem-peringatan"
ALERTS_APPROVER = "sistem-peringatan-otomatis"
INTERRUPT_SHARE_PERCENT = 25
MAX_TITLE = 200
MAX_BODY = 2000


def _system_user(db: Database, username: str, role: str, now: datetime) -> dict[str, Any]:
    """A system account. Its password hash "!" never verifies, so nobody can log in as it; it is not
    ``disabled`` because the policy refuses disabled accounts, and it acts only for the CAP source (the
    author archives what an alert Update/Cancel withdraws; the approver only when ``auto_air`` is on)."""
    rows = list(db.table("users").rows_where("username = ?", [username]))
    if rows:
        return dict(rows[0])
    db.table("users").insert({"username": username, "password_hash": "!", "role": role, "language": "id",
                              "created_at": format_utc(now), "disabled": 0})  # fmt: skip
    return dict(next(db.table("users").rows_where("username = ?", [username])))


def _announcement(alert: Alert, groups: list[str]) -> dict[str, Any]:
    body = " ".join(part for part in (alert.description, alert.instruction) if part)
    data: dict[str, Any] = {
        "title": (alert.headline or alert.event or "Peringatan dini")[:MAX_TITLE],
        "body": f"{body} (Sumber: {alert.sender or 'CAP'})"[:MAX_BODY],
        "kind": "text",
        "targets": {"groups": groups},
        "layer": "emergency" if alert.emergency else "interrupt",
        "starts_at": alert.effective or alert.sent or None,
        "ends_at": alert.expires,
    }
    if not alert.emergency:
        data["schedule"] = {"share": {"percent": INTERRUPT_SHARE_PERCENT}}
    return data


def apply_alerts(db: Database, source_id: str, alerts: list[dict[str, Any]], now: datetime) -> set[str]:
    """Create, replace or archive announcements for the source's current alerts; the displays affected."""
    row = db.table("data_sources").get(source_id)
    options = (loads(row["config"], {}).get("options")) or {}
    areas: dict[str, list[str]] = options.get("areas") or {}
    auto_air = bool(options.get("auto_air", False))
    state = loads(row.get("state"), {})
    known: dict[str, int] = {str(k): int(v) for k, v in (state.get("alert_announcements") or {}).items()}
    author = _system_user(db, ALERTS_AUTHOR, "editor", now)
    barred = configured_by(db, source_id)
    affected: set[str] = set()

    def retire(identifier: str) -> None:
        announcement_id = known.get(identifier)
        if announcement_id is None:
            return
        current = db.table("announcements").get(announcement_id)
        if current["status"] != "archived":
            archive_announcement(db, announcement_id, author, now)
            affected.update(displays_reached(db, loads(current["targets"], {})))
        known[identifier] = announcement_id

    for data in alerts:
        alert = Alert.from_json(data)
        if alert.status != "Actual" or alert.identifier in known:
            continue
        for old in alert.referenced_ids():
            retire(old)
        if alert.msg_type == "Cancel":
            known[alert.identifier] = known.get(alert.identifier, 0)
            continue
        if alert.expired(now):
            continue
        groups = [g for g in matching_groups(alert, areas) if db.table("groups").count_where("id = ?", [g])]
        if not groups:
            known[alert.identifier] = 0  # not for our screens; remember so it is not examined again
            continue
        announcement_id = create_announcement(db, _announcement(alert, groups), author["id"], now,
                                              also_barred=barred)  # fmt: skip
        known[alert.identifier] = announcement_id
        if auto_air and alert.emergency:
            approver = _system_user(db, ALERTS_APPROVER, "approver", now)
            approve_announcement(db, announcement_id, approver, now)
            affected.update(displays_reached(db, {"groups": groups}))
        log.info("CAP %s (%s, %s) -> announcement %s for %s", alert.identifier, alert.severity, alert.urgency,
                 announcement_id, groups)  # fmt: skip
    state["alert_announcements"] = {k: v for k, v in known.items()}
    db.table("data_sources").update(source_id, {"state": dumps(state)})
    return affected
