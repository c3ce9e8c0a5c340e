"""Data sources in the store: configuration, poll state, snapshots, and the approver's review of held ones.

Every poll that produced data is stored as a snapshot with its validation
status; only ``ok`` and ``approved`` snapshots air (the latest of them is "last
good"), so a failed or invalid fetch never replaces what is on screen.
Functions take the sqlite-utils ``Database``; callers hold the service lock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import requests
from sqlite_utils import Database

from content.sources.config import SourceConfig
from content.sources.model import Article, Snapshot, Validation
from content.sources.run import PollResult, SourceState, poll
from content.sources.validate import with_texts_checked
from scheduler.errors import Forbidden
from scheduler.store import dumps, loads
from signage.clock import format_utc
from signage.errors import NotFoundError, UserError

AIRABLE = ("ok", "approved")


@dataclass(frozen=True)
class StoredSource:
    config: SourceConfig
    state: SourceState
    last_ok_at: str | None
    last_error: str | None


def save_source(db: Database, config: SourceConfig) -> None:
    """Add or replace a source's configuration (its poll state and snapshots are kept)."""
    row = config.to_row()
    existing = db.table("data_sources").count_where("id = ?", [config.id])
    values = {**row, "config": dumps(row["config"]), "name": config.name or config.id}
    if existing:
        db.table("data_sources").update(config.id, values)
    else:
        db.table("data_sources").insert({**values, "state": dumps(SourceState().to_json())})


def get_source(db: Database, source_id: str) -> StoredSource:
    rows = list(db.table("data_sources").rows_where("id = ?", [source_id]))
    if not rows:
        raise NotFoundError(f"source: no data source {source_id!r} (see 'signage sources list')")
    return _stored(rows[0])


def _stored(row: dict[str, Any]) -> StoredSource:
    return StoredSource(
        SourceConfig.from_row(row, loads(row["config"], {})),
        SourceState.from_json(loads(row.get("state"), {})),
        row.get("last_ok_at"),
        row.get("last_error"),
    )


def list_sources(db: Database) -> list[StoredSource]:
    return [_stored(row) for row in db.table("data_sources").rows_where(order_by="id")]


def _snapshot(row: dict[str, Any]) -> Snapshot:
    return Snapshot.from_store(row["source_id"], row["fetched_at"], row["as_of"], loads(row["data"], {}),
                               loads(row["validation"], {"status": row["status"]}))  # fmt: skip


def last_good(db: Database, source_id: str) -> tuple[int, Snapshot] | None:
    """The newest airable snapshot of a source (id, snapshot), or None."""
    rows = list(db.table("snapshots").rows_where(
        "source_id = ? and status in ('ok', 'approved')", [source_id], order_by="id desc", limit=1))  # fmt: skip
    return (int(rows[0]["id"]), _snapshot(rows[0])) if rows else None


def snapshots(db: Database, source_id: str, limit: int = 10) -> list[dict[str, Any]]:
    return list(db.table("snapshots").rows_where("source_id = ?", [source_id], order_by="id desc", limit=limit))


def due_source_ids(db: Database, now: datetime) -> list[str]:
    due = []
    for source in list_sources(db):
        next_due = source.state.next_due_at
        if next_due is None or next_due <= now:
            due.append(source.config.id)
    return due


def record(db: Database, source_id: str, result: PollResult, now: datetime) -> int | None:
    """Store a poll's outcome; the new snapshot's id (any status), or None when nothing new was fetched."""
    update: dict[str, Any] = {"state": dumps(result.state.to_json())}
    snapshot_id = None
    if result.error is not None:
        update["last_error"] = f"{format_utc(now)}: {result.error}"
    elif result.snapshot is not None:
        snap = result.snapshot
        good = last_good(db, source_id)
        checked = with_texts_checked(snap, good[1] if good else None)
        if checked != snap.validation:  # words no approver has seen: held, and fetched in full next time
            snap = replace(snap, validation=checked)
            update["state"] = dumps(replace(result.state, validators={}).to_json())
        table = db.table("snapshots").insert({
            "source_id": source_id,
            "as_of": format_utc(snap.as_of) if snap.as_of else None,
            "fetched_at": format_utc(snap.fetched_at),
            "data": dumps(snap.data_json()),
            "status": snap.validation.status,
            "validation": dumps(snap.validation.to_json()),
        })  # fmt: skip
        snapshot_id = int(table.last_pk)  # type: ignore[arg-type]
        if snap.validation.status == "ok":
            update.update(last_ok_at=format_utc(now), last_error=None)
        else:
            problems = "; ".join(snap.validation.problems[:3])
            update["last_error"] = f"{format_utc(now)}: snapshot {snapshot_id} {snap.validation.status}: {problems}"
    else:
        update.update(last_ok_at=format_utc(now), last_error=None)  # 304: the last good data is still current
    db.table("data_sources").update(source_id, update)
    return snapshot_id


def review(db: Database, snapshot_id: int, decision: str, user_id: int | None, now: datetime) -> dict[str, Any]:
    """An approver airs (``approved``) or discards (``rejected``) a held snapshot."""
    rows = list(db.table("snapshots").rows_where("id = ?", [snapshot_id]))
    if not rows:
        raise NotFoundError(f"snapshot: no snapshot {snapshot_id}")
    if rows[0]["status"] != "held":
        raise UserError(f"snapshot: {snapshot_id} is {rows[0]['status']}, only a held snapshot is reviewed",
                        field="snapshot")  # fmt: skip
    if decision not in ("approved", "rejected"):
        raise UserError("decision: approved or rejected", field="decision")
    if decision == "approved" and user_id is not None and user_id in configured_by(db, rows[0]["source_id"]):
        raise Forbidden("snapshot: you added this source, so what its site says needs another approver (two-person "
                        "rule)", field="snapshot")  # fmt: skip
    db.table("snapshots").update(snapshot_id, {"status": decision, "reviewed_by": user_id,
                                               "reviewed_at": format_utc(now)})  # fmt: skip
    source = db.table("data_sources").get(rows[0]["source_id"])
    if (source.get("last_error") or "").find(f"snapshot {snapshot_id} held") >= 0:  # decided: no longer an error
        update: dict[str, Any] = {"last_error": None}
        if decision == "approved" and (source.get("last_ok_at") or "") < rows[0]["fetched_at"]:
            update["last_ok_at"] = rows[0]["fetched_at"]  # its data is now the good data, as of its fetch
        db.table("data_sources").update(rows[0]["source_id"], update)
    return dict(db.table("snapshots").get(snapshot_id))


def poll_now(
    db: Database, source_id: str, now: datetime, session: requests.Session | None = None
) -> tuple[PollResult, int | None]:
    """Fetch a stored source once and record the outcome (``signage sources fetch`` and tests; the
    background poller does the same with the HTTP part outside the store lock)."""
    stored = get_source(db, source_id)
    previous = last_good(db, source_id)
    result = poll(stored.config, stored.state, previous[1] if previous else None, now=now, session=session)
    snapshot_id = record(db, source_id, result, now)
    if snapshot_id is not None and result.snapshot is not None:  # as stored: held when its words are new
        stored_validation = loads(db.table("snapshots").get(snapshot_id)["validation"], {})
        validation = Validation(str(stored_validation.get("status")), tuple(stored_validation.get("problems") or ()))
        result = replace(result, snapshot=replace(result.snapshot, validation=validation))
    return result, snapshot_id


SOURCES_USER = "sistem-sumber-data"
MAX_SEEN_ARTICLES = 500


def _sources_user_id(db: Database, now: datetime) -> int:
    rows = list(db.table("users").rows_where("username = ?", [SOURCES_USER]))
    if rows:
        return int(rows[0]["id"])
    table = db.table("users").insert({"username": SOURCES_USER, "password_hash": "!", "role": "editor",
                                      "language": "id", "created_at": format_utc(now), "disabled": 1})  # fmt: skip
    return int(table.last_pk)  # type: ignore[arg-type]


def configured_by(db: Database, source_id: str) -> set[int]:
    """The staff who added the source in the web admin (audited ``source.create``): what its drafts say comes
    from the address they chose, so the two-person rule counts them as its authors (another approver approves)."""
    rows = db.execute(
        "select distinct user_id from audit_log where action = 'source.create' and subject = ? and user_id is not null",
        [f"source:{source_id}"],
    ).fetchall()
    return {int(row[0]) for row in rows}


def draft_articles(db: Database, source_id: str, articles: tuple[Article, ...], now: datetime) -> list[int]:
    """New village articles become *draft* text announcements (an approver decides); each guid once."""
    from scheduler.announcements import create_announcement

    row = db.table("data_sources").get(source_id)
    state = loads(row.get("state"), {})
    seen: list[str] = list(state.get("seen_articles") or [])
    config = loads(row["config"], {})
    targets = (config.get("options") or {}).get("targets") or {"displays": [d["id"] for d in db.table("displays").rows]}
    name = row.get("name") or config.get("name") or source_id
    created = []
    barred = configured_by(db, source_id)  # who chose the feed may not approve what it says
    for article in articles:
        if article.guid in seen or not (targets.get("displays") or targets.get("groups")):
            continue
        # the text is what a screen shows: the article's address is unreadable on an LED (it stays on the site)
        body = article.summary[:1800] + f"\n(Sumber: {name})"
        created.append(create_announcement(db, {"title": article.title[:200], "body": body, "targets": targets},
                                           _sources_user_id(db, now), now, also_barred=barred))  # fmt: skip
        seen.append(article.guid)
    if created:
        state["seen_articles"] = seen[-MAX_SEEN_ARTICLES:]
        db.table("data_sources").update(source_id, {"state": dumps(state)})
    return created
