"""Emergency acknowledgement: which targeted screen reports showing an emergency, and since when.

A player's heartbeat lists the item ids of the emergency its main zone shows now
(``Heartbeat.emergency_items``, sent at once when an emergency starts or ends). The
scheduler keeps, per display, each of those ids with the time it was *first* reported
(``display_status.emergency_shown``); an id no longer reported is dropped.

A pushed emergency (:mod:`scheduler.emergency_push`) is also acknowledged at once by a *receipt*
(``POST /api/v1/player/emergency-receipts``): the player verified the signed message and shows it,
or refused it with a reason (English, and as a ``code`` with ``params`` from newer players: see
:mod:`signage.reason_codes`; staff pages translate it). The latest push of an emergency counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from scheduler.announcements import displays_reached
from scheduler.fleet import ONLINE_GRACE
from scheduler.schedule import item_id
from scheduler.store import loads
from signage.clock import format_utc, parse_utc


@dataclass(frozen=True)
class Acknowledgement:
    display_id: str
    name: str
    since: datetime | None  # None: the screen does not report showing it (yet)
    last_seen: datetime | None
    online: bool  # heard from within the fleet's grace (an old acknowledgement may be stale)
    received: datetime | None = None  # the receipt for the latest push of this emergency
    outcome: str | None = None  # its outcome: shown | refused (with ``reason``)
    reason: str = ""
    code: str | None = None  # the reason as signage.reason_codes (None: an old player sent only ``reason``)
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return format_utc(moment) if moment is not None else None

        return {"display_id": self.display_id, "name": self.name, "showing_since": iso(self.since),
                "received_at": iso(self.received), "outcome": self.outcome, "reason": self.reason,
                "code": self.code, "params": self.params,
                "last_seen": iso(self.last_seen), "online": self.online}  # fmt: skip


def emergency_shown(db: Database, display_id: str, items: list[str], now_iso: str) -> dict[str, str]:
    """The display's new ``{item id: first reported}``, keeping the first time of ids still reported."""
    rows = list(db.query("select emergency_shown from display_status where display_id = ?", [display_id]))
    before: dict[str, str] = loads(rows[0]["emergency_shown"], {}) if rows else {}
    return {item: before.get(item, now_iso) for item in dict.fromkeys(items)}


def acknowledgements(db: Database, announcement: dict[str, Any], now: datetime) -> list[Acknowledgement]:
    """Every screen the (decoded) announcement targets, by name, with when it started showing it."""
    targets = announcement["targets"]
    if isinstance(targets, str):
        targets = loads(targets, {})
    rows = _targeted(db, targets)
    if not rows:
        return []
    key = item_id(int(announcement["id"]))
    got = receipts(db, int(announcement["id"]))
    acks = []
    for row in rows:
        since = loads(row["emergency_shown"], {}).get(key)
        last_seen = parse_utc(row["last_seen"]) if row["last_seen"] else None
        online = _online(last_seen, now)
        receipt = got.get(row["id"])
        acks.append(Acknowledgement(
            row["id"], row["name"], parse_utc(since) if since else None, last_seen, online,
            parse_utc(receipt["received_at"]) if receipt else None, receipt["outcome"] if receipt else None,
            (receipt["reason"] or "") if receipt else "", receipt.get("code") if receipt else None,
            loads(receipt.get("params"), {}) if receipt else {},
        ))  # fmt: skip
    return acks


def offline_targets(db: Database, targets: dict[str, Any], now: datetime) -> tuple[int, list[str]]:
    """(how many screens ``targets`` reach, the names of those not seen within ONLINE_GRACE): what an emergency's
    sender is told before confirming -- an offline screen shows it only once it connects again."""
    rows = _targeted(db, targets)
    offline = [str(row["name"] or row["id"]) for row in rows
               if not _online(parse_utc(row["last_seen"]) if row["last_seen"] else None, now)]  # fmt: skip
    return len(rows), offline


def _targeted(db: Database, targets: dict[str, Any]) -> list[dict[str, Any]]:
    """The screens ``targets`` reach (id, name, emergency_shown, last_seen), by name."""
    reached = displays_reached(db, targets)
    if not reached:
        return []
    marks = ",".join("?" * len(reached))
    return list(db.query(
        f"select d.id, d.name, s.emergency_shown, s.last_seen from displays d "
        f"left join display_status s on s.display_id = d.id where d.id in ({marks}) order by d.name, d.id",
        sorted(reached),
    ))  # fmt: skip


def _online(last_seen: datetime | None, now: datetime) -> bool:
    return last_seen is not None and now - last_seen <= ONLINE_GRACE


def receipts(db: Database, announcement_id: int) -> dict[str, dict[str, Any]]:
    """display id -> its receipt for the latest emergency push of the announcement (none: {})."""
    rows = list(db.query(
        "select r.* from emergency_receipts r where r.seq = (select max(seq) from emergency_pushes "
        "where announcement_id = ? and kind = 'emergency')", [announcement_id]))  # fmt: skip
    return {row["display_id"]: row for row in rows}
