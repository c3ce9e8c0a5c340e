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
uploads); WAL lets them work concurrently. With a :class:`player.diskwriter.DiskWriter`
(the player passes one) the GUI thread only updates the rows in memory: the
commits run on the writer thread, so a slow disk never freezes the picture
(:meth:`PlayLog.flush` waits for them; :meth:`PlayLog.upload` flushes first).

A full or failing disk (``database or disk is full``, ``disk I/O error``)
never reaches the caller: rows that could not be written are kept in memory
(at most ``MAX_UNSAVED_ROWS``) and written with the next play or checkpoint,
the fault is logged once and reported through :class:`player.fsutil.WriteFaults`.
"""

from __future__ import annotations

import contextlib
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

from player.diskwriter import DiskWriter
from player.fsutil import WriteFaults
from player.http import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, error_text, short_exc
from signage.apimodels import PlayEvent, PlayEventBatch
from signage.clock import format_utc, parse_utc

log = logging.getLogger("player.playlog")

TABLE = "plays"
DEFAULT_MAX_ROWS = 200_000
DEFAULT_BATCH = 500
MAX_DURATION_MS = 7 * 86400 * 1000  # the server's limit per event
REASON_CHARS = 500
#: Plays kept in memory while the disk refuses writes; beyond this the oldest are dropped.
MAX_UNSAVED_ROWS = 10_000
#: How long :meth:`PlayLog.close` waits for pending writes (and then for the database) at shutdown.
CLOSE_TIMEOUT_S = 3.0
COLUMNS = ("id", "display_id", "zone", "item_id", "sha256", "started_at", "ended_at", "start_mono_s",
           "end_mono_s", "duration_ms", "result", "reason", "count", "run_id")
STORE_SQL = f"insert or replace into {TABLE} ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})"
WRITE_ERRORS = (sqlite3.Error, OSError)


@dataclass(frozen=True)
class OpenPlay:
    id: str
    item_id: str
    started_mono_s: float
    row: dict[str, Any]  # the full row, rewritten at each checkpoint


class PlayLog:
    def __init__(self, path: Path, display_id: str = "", *, max_rows: int = DEFAULT_MAX_ROWS,
                 faults: WriteFaults | None = None, writer: DiskWriter | None = None) -> None:
        self.path = Path(path)
        self.display_id = display_id
        self.max_rows = max_rows
        self.faults = faults or WriteFaults()
        self.writer = writer  # None: every save commits on the caller's thread
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []  # every thread's, closed by close()
        self._conn_lock = threading.Lock()
        self._open: OpenPlay | None = None
        # the rows in memory (held briefly; never during disk I/O with a writer); re-entrant: after the writer
        # stops, submit() runs the job in place, with this lock already held by the caller
        self._write_lock = threading.RLock()
        self._db_lock = threading.RLock()  # write transactions (save, restamp, compact, upload's delete)
        self._restamps: list[tuple[float, frozenset[str]]] = []  # (delta, ids shifted in memory), not yet stored
        self._writer_key = f"play log {self.path}"
        self.run_id = uuid.uuid4().hex  # marks the rows of this process (see restamp)
        self._unsaved: dict[str, dict[str, Any]] = {}  # id -> row the disk refused; written with the next save
        self._ready = False
        self.dropped = 0  # plays lost because the disk refused writes for too long
        with self._write_lock, self._db_lock:
            self._setup()

    def _setup(self) -> bool:
        """Create the table and close interrupted plays; False (fault recorded) if the disk refuses."""
        if self._ready:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._create()
            self._recover()
        except WRITE_ERRORS as exc:
            self.faults.failed("play log", exc)
            return False
        self._ready = True
        return True

    def _create(self) -> None:
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
        if "run_id" not in db.table(TABLE).columns_dict:  # a queue written by an older player
            db.table(TABLE).add_column("run_id", str)
        db.conn.execute(f"create index if not exists idx_{TABLE}_run_id on {TABLE} (run_id)")  # restamp

    def _db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across power cuts per checkpoint
            db = sqlite_utils.Database(conn)
            self._local.db = db
            with self._conn_lock:
                self._connections.append(conn)
        return db

    def flush(self, timeout_s: float = 15.0) -> bool:
        """Wait until the writer thread has committed what was recorded so far (True at once without one)."""
        if self.writer is None:
            return True
        return self.writer.flush(timeout_s)

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Commit what is pending (with a writer), then close every thread's connection.

        Waits at most about ``timeout_s`` (a stop must not hang on a failing disk: plays not written by then are
        closed at their last checkpoint at the next start)."""
        if self.writer is not None:
            self.writer.submit(self._writer_key, self._write_pending)
            if not self.writer.flush(timeout_s):
                log.warning("play log: pending writes not finished within %.0f s at close", timeout_s)
        if not self._db_lock.acquire(timeout=timeout_s):
            log.warning("play log busy at close; leaving its connections to the process exit")
            return
        try:
            with self._conn_lock:
                for conn in self._connections:
                    with contextlib.suppress(sqlite3.Error):
                        conn.close()
                self._connections.clear()
        finally:
            self._db_lock.release()
        self._local = threading.local()

    # -- recording (GUI thread) ----------------------------------------------------

    def start(self, item_id: str, *, zone: str = "main", sha256: str | None, started_at: datetime,
              mono_s: float) -> str:
        """Close the open play (if any) and open a new one; return its event id."""
        self.finish(ended_at=started_at, mono_s=mono_s)
        event_id = str(uuid.uuid4())
        row = {
            "id": event_id, "display_id": self.display_id, "zone": zone, "item_id": item_id,
            "sha256": sha256, "started_at": format_utc_ms(started_at), "ended_at": None,
            "start_mono_s": mono_s, "end_mono_s": None, "duration_ms": 0, "result": "played",
            "reason": "", "count": 1, "run_id": self.run_id,
        }
        with self._write_lock:
            self._open = OpenPlay(event_id, item_id, mono_s, row)
            self._save(row)
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
        """Record how far the open play got (survives a power cut); retry rows the disk refused."""
        with self._write_lock:
            play = self._open
            if play is None:
                if self._unsaved or not self._ready:
                    self._save(None)
                return
            play.row.update({
                "ended_at": None, "end_mono_s": mono_s,
                "duration_ms": _duration_ms(play.started_mono_s, mono_s),
                "reason": f"checkpoint {format_utc_ms(at)}",
            })
            self._save(play.row)

    def skipped(self, item_id: str, reason: str, *, at: datetime, mono_s: float, sha256: str | None = None,
                zone: str = "main") -> None:
        """An item could not be shown: close its open play as skipped, or record a zero-length skip."""
        with self._write_lock:
            play = self._open
            if play is not None and play.item_id == item_id:
                self._open = None
                self._close_row(play, at, mono_s, "skipped", reason)
                return
            self._save({
                "id": str(uuid.uuid4()), "display_id": self.display_id, "zone": zone, "item_id": item_id,
                "sha256": sha256, "started_at": format_utc_ms(at), "ended_at": format_utc_ms(at),
                "start_mono_s": mono_s, "end_mono_s": mono_s, "duration_ms": 0, "result": "skipped",
                "reason": reason[:REASON_CHARS], "count": 1, "run_id": self.run_id,
            })

    def restamp(self, delta_s: float) -> int:
        """Shift the times of every play this process recorded by ``delta_s`` seconds.

        For plays recorded on a floored clock (PC clock in the past, offline)
        once the server's time is known. Returns how many rows moved (with a
        writer: the rows in memory; the stored ones move on the writer thread).
        """
        with self._write_lock:
            memory = {row["id"]: row for row in self._unsaved.values()}
            if self._open is not None:
                memory[self._open.id] = self._open.row
            for row in memory.values():
                row["started_at"] = _shift(row["started_at"], delta_s)
                row["ended_at"] = _shift(row["ended_at"], delta_s)
                self._unsaved[row["id"]] = row  # written with the corrected times
            self._restamps.append((delta_s, frozenset(memory)))
            moved = self._save(None)
        log.info("re-stamped %d play(s) recorded on a floored clock by %+.0f s%s", len(memory) + moved, delta_s,
                 " (stored ones on the writer thread)" if self.writer is not None else "")
        return len(memory) + moved

    def _close_row(self, play: OpenPlay, ended_at: datetime, mono_s: float, result: str, reason: str) -> None:
        play.row.update({
            "ended_at": format_utc_ms(ended_at), "end_mono_s": mono_s,
            "duration_ms": _duration_ms(play.started_mono_s, mono_s), "result": result,
            "reason": reason[:REASON_CHARS],
        })
        self._save(play.row)

    def _save(self, row: dict[str, Any] | None) -> int:
        """Write ``row``, every row the disk refused before and pending re-stamps (write lock held); never raises.

        With a writer this only hands the work to its thread. Returns how many stored rows were re-stamped.
        """
        if row is not None:
            self._unsaved[row["id"]] = row
        if self.writer is not None:
            self.writer.submit(self._writer_key, self._write_pending)
            return 0
        with self._db_lock:
            if not self._setup():
                self._trim_unsaved()
                return 0
            if not self._unsaved and not self._restamps:
                return 0
            try:
                moved = self._commit(self._restamps, list(self._unsaved.values()))
            except WRITE_ERRORS as exc:
                self.faults.failed("play log", exc)
                self._trim_unsaved()
                return 0
        self._restamps.clear()
        self._unsaved.clear()
        self.faults.ok("play log")
        return moved

    def _write_pending(self) -> None:
        """Writer thread: commit a copy of the pending rows and re-stamps; the GUI thread is never held up."""
        with self._write_lock:
            restamps = list(self._restamps)
            rows = {row_id: dict(row) for row_id, row in self._unsaved.items()}
        with self._db_lock:
            if not self._setup():
                with self._write_lock:
                    self._trim_unsaved()
                return
            if not rows and not restamps:
                return
            try:
                self._commit(restamps, list(rows.values()))
            except WRITE_ERRORS as exc:
                self.faults.failed("play log", exc)
                with self._write_lock:
                    self._trim_unsaved()
                return
        with self._write_lock:
            del self._restamps[:len(restamps)]
            for row_id, row in rows.items():
                if self._unsaved.get(row_id) == row:  # not changed meanwhile (else written next time)
                    del self._unsaved[row_id]
        self.faults.ok("play log")

    def _commit(self, restamps: list[tuple[float, frozenset[str]]], rows: list[dict[str, Any]]) -> int:
        """One transaction: shift this run's stored plays (except those rewritten from memory), store ``rows``.

        Database lock held; raises the disk's error. Returns how many stored rows were re-stamped.
        """
        conn = self._db().conn
        moved = 0
        conn.execute("begin immediate")
        try:
            for delta_s, in_memory in restamps:
                stored = conn.execute(f"select id, started_at, ended_at from {TABLE} where run_id = ?",
                                      [self.run_id]).fetchall()
                changes = [(_shift(start, delta_s), _shift(end, delta_s), row_id)
                           for row_id, start, end in stored if row_id not in in_memory]
                conn.executemany(f"update {TABLE} set started_at = ?, ended_at = ? where id = ?", changes)
                moved += len(changes)
            conn.executemany(STORE_SQL, [tuple(r[c] for c in COLUMNS) for r in rows])
            conn.execute("commit")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("rollback")
            if conn.in_transaction:  # the disk refused the rollback too: never keep the write lock
                self._drop_connection(conn)
            raise
        return moved

    def _drop_connection(self, conn: sqlite3.Connection) -> None:
        """Close this thread's connection (it releases its locks); the next write opens a new one."""
        with self._conn_lock:
            if conn in self._connections:
                self._connections.remove(conn)
        with contextlib.suppress(sqlite3.Error):
            conn.close()
        self._local.db = None

    def _trim_unsaved(self) -> None:
        while len(self._unsaved) > MAX_UNSAVED_ROWS:
            del self._unsaved[next(iter(self._unsaved))]
            self.dropped += 1

    @property
    def unsaved(self) -> int:
        """Plays waiting in memory for the disk to accept them."""
        return len(self._unsaved)

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
        with self._db_lock:
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
        """Upload closed plays; delete each batch after a 2xx. Returns how many were delivered.

        A disk that refuses the deletion (full) keeps the batch; it is sent again
        later, harmlessly (the server is idempotent by event id).
        """
        self.flush()  # closed plays and re-stamps still on the writer thread go out in this upload
        if not self._ready:
            return 0
        try:
            self.compact()
        except WRITE_ERRORS as exc:
            self.faults.failed("play log", exc)
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
            try:
                with self._db_lock:
                    self._db().conn.executemany(f"delete from {TABLE} where id = ?", [(r["id"],) for r in rows])
            except WRITE_ERRORS as exc:
                self.faults.failed("play log", exc)
                sent += len(rows)
                break
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


def _shift(value: str | None, delta_s: float) -> str | None:
    return None if value is None else format_utc_ms(parse_utc(value) + timedelta(seconds=delta_s))


def _duration_ms(start_s: float, end_s: float) -> int:
    return max(0, min(MAX_DURATION_MS, round((end_s - start_s) * 1000)))


__all__ = ["PlayLog", "format_utc", "format_utc_ms", "to_event"]
