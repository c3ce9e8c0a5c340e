"""Proof of play: a local SQLite queue (WAL) of every play, uploaded in batches.

One row per play: event UUID, item, display, zone, start and end (wall clock
of the player, UTC, and monotonic seconds), content sha256, ``played`` or
``skipped`` with a reason. A play is written when it starts (``ended_at``
NULL) and checkpointed every few seconds, so a power cut loses at most the
last checkpoint; at the next start an open row is closed at its last
checkpoint with reason ``interrupted``.

Upload: :meth:`PlayLog.upload` posts the oldest closed rows to
``POST /api/v1/player/play-events`` and deletes them only after a 2xx (the
server is idempotent by UUID, so a batch re-sent after a lost reply adds
nothing). Bounded disk: beyond ``max_rows`` the oldest events are folded into
one row per item, hour and result (``count`` > 1), never silently dropped.
An aggregate row is uploaded as one event whose ``reason`` is
``aggregate: N plays`` and whose start/end span the plays it stands for.

SQLite connections are per thread (GUI thread records, the reporter thread
uploads); WAL lets them work concurrently.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import sqlite_utils

from player.http import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, error_text, short_exc
from signage.apimodels import PlayEvent, PlayEventBatch
from signage.clock import format_utc, parse_utc

log = logging.getLogger("player.playlog")

TABLE = "plays"
DEFAULT_MAX_ROWS = 200_000
DEFAULT_BATCH = 500
MAX_DURATION_MS = 7 * 86400 * 1000  # the server's limit per event
REASON_CHARS = 500


@dataclass(frozen=True)
class OpenPlay:
    id: str
    item_id: str
    started_mono_s: float


class PlayLog:
    def __init__(self, path: Path, display_id: str = "", *, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self.path = Path(path)
        self.display_id = display_id
        self.max_rows = max_rows
        self._local = threading.local()
        self._open: OpenPlay | None = None
        self._write_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self._db()
        db.enable_wal()
        if TABLE not in db.table_names():
            db.table(TABLE).create(
                {
                    "id": str, "display_id": str, "zone": str, "item_id": str, "sha256": str,
                    "started_at": str, "ended_at": str, "start_mono_s": float, "end_mono_s": float,
                    "duration_ms": int, "result": str, "reason": str, "count": int,
                },
                pk="id",
                not_null={"item_id", "started_at", "result", "count"},
                defaults={"count": 1, "reason": "", "result": "played"},
            )
            db.table(TABLE).create_index(["started_at"])
        self._recover()

    def _db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across power cuts per checkpoint
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    # -- recording (GUI thread) ----------------------------------------------------

    def start(self, item_id: str, *, zone: str = "main", sha256: str | None, started_at: datetime,
              mono_s: float) -> str:
        """Close the open play (if any) and open a new one; return its event id."""
        self.finish(ended_at=started_at, mono_s=mono_s)
        event_id = str(uuid.uuid4())
        with self._write_lock:
            self._db().table(TABLE).insert({
                "id": event_id, "display_id": self.display_id, "zone": zone, "item_id": item_id,
                "sha256": sha256, "started_at": format_utc_ms(started_at), "ended_at": None,
                "start_mono_s": mono_s, "end_mono_s": None, "duration_ms": 0, "result": "played",
                "reason": "", "count": 1,
            })
            self._open = OpenPlay(event_id, item_id, mono_s)
        return event_id

    def finish(self, *, ended_at: datetime, mono_s: float, result: str = "played", reason: str = "") -> None:
        """Close the open play at ``ended_at``."""
        with self._write_lock:
            play = self._open
            if play is None:
                return
            self._open = None
            self._close_row(play, ended_at, mono_s, result, reason)

    def checkpoint(self, *, at: datetime, mono_s: float) -> None:
        """Record how far the open play got (survives a power cut)."""
        with self._write_lock:
            play = self._open
            if play is None:
                return
            self._db().table(TABLE).update(play.id, {
                "ended_at": None, "end_mono_s": mono_s,
                "duration_ms": _duration_ms(play.started_mono_s, mono_s),
                "reason": f"checkpoint {format_utc_ms(at)}",
            })

    def skipped(self, item_id: str, reason: str, *, at: datetime, mono_s: float, sha256: str | None = None,
                zone: str = "main") -> None:
        """An item could not be shown: close its open play as skipped, or record a zero-length skip."""
        with self._write_lock:
            play = self._open
            if play is not None and play.item_id == item_id:
                self._open = None
                self._close_row(play, at, mono_s, "skipped", reason)
                return
            self._db().table(TABLE).insert({
                "id": str(uuid.uuid4()), "display_id": self.display_id, "zone": zone, "item_id": item_id,
                "sha256": sha256, "started_at": format_utc_ms(at), "ended_at": format_utc_ms(at),
                "start_mono_s": mono_s, "end_mono_s": mono_s, "duration_ms": 0, "result": "skipped",
                "reason": reason[:REASON_CHARS], "count": 1,
            })

    def _close_row(self, play: OpenPlay, ended_at: datetime, mono_s: float, result: str, reason: str) -> None:
        self._db().table(TABLE).update(play.id, {
            "ended_at": format_utc_ms(ended_at), "end_mono_s": mono_s,
            "duration_ms": _duration_ms(play.started_mono_s, mono_s), "result": result,
            "reason": reason[:REASON_CHARS],
        })

    def _recover(self) -> None:
        """Close plays left open by a crash or power cut at their last checkpoint."""
        db = self._db()
        rows = list(db.query(f"select id, started_at, duration_ms from {TABLE} where ended_at is null"))
        for row in rows:
            ended = parse_utc(row["started_at"]) + timedelta(milliseconds=row["duration_ms"] or 0)
            db.table(TABLE).update(row["id"], {"ended_at": format_utc_ms(ended), "reason": "interrupted"})
        if rows:
            log.info("closed %d play(s) interrupted by a stop or power cut", len(rows))

    # -- queue ------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._db().execute(f"select count(*) from {TABLE}").fetchone()[0])

    def rows(self) -> list[dict[str, Any]]:
        return list(self._db().query(f"select * from {TABLE} order by started_at, id"))

    def compact(self) -> int:
        """Fold the oldest closed events into per-item-per-hour rows until under ``max_rows``.

        Returns the number of rows removed. Counts are preserved exactly.
        """
        total = self.count()
        if total <= self.max_rows:
            return 0
        target = max(1, self.max_rows * 9 // 10)  # leave room so this does not run every play
        excess = total - target
        db = self._db()
        with self._write_lock:
            db.conn.execute("begin immediate")
            try:
                oldest = list(db.query(
                    f"select * from {TABLE} where ended_at is not null order by started_at, id limit ?",
                    [excess * 2]))
                groups: dict[tuple[str, str, str, str, str], list[dict[str, Any]]] = {}
                for row in oldest:
                    hour = row["started_at"][:13]  # YYYY-MM-DDTHH
                    key = (hour, row["zone"] or "main", row["item_id"], row["sha256"] or "", row["result"])
                    groups.setdefault(key, []).append(row)
                removed = 0
                for (hour, zone, item_id, sha, result), members in sorted(groups.items()):
                    if removed >= excess:
                        break
                    if len(members) < 2:
                        continue
                    count = sum(int(m["count"] or 1) for m in members)
                    start = min(m["started_at"] for m in members)
                    end = max(m["ended_at"] for m in members)
                    duration_ms = min(MAX_DURATION_MS, sum(int(m["duration_ms"] or 0) for m in members))
                    ids = [m["id"] for m in members]
                    db.conn.executemany(f"delete from {TABLE} where id = ?", [(i,) for i in ids])
                    db.conn.execute(
                        f"insert into {TABLE} (id, display_id, zone, item_id, sha256, started_at, ended_at, "
                        "duration_ms, result, reason, count) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (str(uuid.uuid4()), self.display_id, zone, item_id, sha or None, start, end, duration_ms,
                         result, f"aggregate: {count} plays in hour {hour}:00Z", count))
                    removed += len(members) - 1
                db.conn.execute("commit")
            except BaseException:
                db.conn.execute("rollback")
                raise
        if removed:
            log.warning("proof-of-play queue above %d rows: folded %d old plays into per-hour counts",
                        self.max_rows, removed)
        return removed

    def pending_batch(self, limit: int) -> list[dict[str, Any]]:
        return list(self._db().query(
            f"select * from {TABLE} where ended_at is not null order by started_at, id limit ?", [limit]))

    def upload(self, session: requests.Session, url: str, token: str, *, batch: int = DEFAULT_BATCH,
               max_batches: int = 20) -> int:
        """Upload closed plays; delete each batch after a 2xx. Returns how many were delivered."""
        self.compact()
        sent = 0
        for _ in range(max_batches):
            rows = self.pending_batch(batch)
            if not rows:
                break
            body = PlayEventBatch(events=[PlayEvent.model_validate(to_event(row)) for row in rows])
            try:
                response = session.post(url, json=body.model_dump(mode="json"),
                                        headers={"Authorization": f"Bearer {token}"},
                                        timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
            except requests.RequestException as exc:
                log.debug("play events upload failed: %s", short_exc(exc))
                break
            if not 200 <= response.status_code < 300:
                log.warning("play events upload refused: %s", error_text(response))
                break
            with self._write_lock:
                self._db().conn.executemany(f"delete from {TABLE} where id = ?", [(r["id"],) for r in rows])
            sent += len(rows)
            if len(rows) < batch:
                break
        if sent:
            log.info("uploaded %d play event(s)", sent)
        return sent


def to_event(row: dict[str, Any]) -> dict[str, Any]:
    """A queue row as the server's ``PlayEvent``."""
    reason = row["reason"] or ""
    if reason.startswith("checkpoint "):
        reason = ""
    return {
        "id": row["id"],
        "item_id": row["item_id"],
        "sha256": row["sha256"] or None,
        "started_at": row["started_at"],
        "ended_at": row["ended_at"] or row["started_at"],
        "duration_ms": max(0, min(MAX_DURATION_MS, int(row["duration_ms"] or 0))),
        "result": row["result"] if row["result"] in ("played", "skipped") else "played",
        "reason": reason[:REASON_CHARS],
    }


def format_utc_ms(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (sorts like the time; parse_utc reads it)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _duration_ms(start_s: float, end_s: float) -> int:
    return max(0, min(MAX_DURATION_MS, round((end_s - start_s) * 1000)))


__all__ = ["PlayLog", "format_utc", "format_utc_ms", "to_event"]
