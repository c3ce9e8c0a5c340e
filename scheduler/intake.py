"""Group-commit writer for the player's high-rate writes (heartbeats, proof of play).

One background thread owns a second SQLite connection and a bounded queue. A
request hands it a *job* (a function of the connection) and waits for the
:class:`concurrent.futures.Future`: the writer takes every job that is queued
(waiting up to ``linger_ms`` for more, at most ``max_batch_jobs``), runs them
in one ``BEGIN IMMEDIATE`` transaction (each inside its own savepoint, so one
job's error fails only that job) and commits once; only then are the futures
resolved, so a reply means the data is on disk (group commit: one fsync for
many requests).

Reads are not blocked: they use the service's own connection, and WAL lets them
read while this connection writes. The environment's fault (a locked or full
disk) is logged and the batch retried with a back-off; after ``retry_for_s``
the waiting requests get :class:`IntakeUnavailable` (503: the player keeps the
data in its queue and sends it again), never a silent loss. A full queue
refuses at once with the same error (backpressure). :meth:`IntakeWriter.close`
stops taking jobs, commits everything queued and ends the thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

log = logging.getLogger("scheduler.intake")

#: A job gets the writer's connection wrapped as a sqlite-utils ``Database`` for reads; it must write with
#: plain SQL (``db.execute``): sqlite-utils' write helpers commit, which would split the group commit.
Job = Callable[[Database], Any]

#: The retry back-off of a failed batch: first wait, doubled up to the cap.
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 1.0
#: How long a request waits for its commit before it is told 503: under the player's 20 s read timeout, above
#: the 10 s a failing batch is retried.
WAIT_S = 15.0


class IntakeUnavailable(Exception):
    """The store cannot take the write now (queue full, disk locked or full): try again later (503)."""

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


@dataclass
class IntakeStats:
    """Counters for operators (and /metrics): read without a lock, they are only indicative."""

    jobs: int = 0
    batches: int = 0
    failed_jobs: int = 0
    retries: int = 0
    refused_full: int = 0
    largest_batch: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Item:
    job: Job
    future: Future[Any]


_STOP = object()


class IntakeWriter:
    def __init__(
        self,
        path: Path,
        *,
        queue_limit: int = 5000,
        linger_ms: float = 2.0,
        max_batch_jobs: int = 500,
        retry_for_s: float = 10.0,
        connect: Callable[[], sqlite3.Connection] | None = None,
    ) -> None:
        self.path = path
        self.linger_s = linger_ms / 1000
        self.max_batch_jobs = max_batch_jobs
        self.retry_for_s = retry_for_s
        self.stats = IntakeStats()
        self._queue: queue.Queue[_Item | object] = queue.Queue(maxsize=queue_limit)
        self._connect = connect or self._default_connect
        self._closed = False
        self._close_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _default_connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def start(self) -> IntakeWriter:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
            self._thread.start()
        return self

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def submit(self, job: Job) -> Future[Any]:
        """Queue ``job``; its future resolves after the commit that includes it (or fails)."""
        future: Future[Any] = Future()
        with self._close_lock:
            if self._closed:
                raise IntakeUnavailable("the scheduler is shutting down; send again later")
            self.start()
            try:
                self._queue.put_nowait(_Item(job, future))
            except queue.Full:
                self.stats.refused_full += 1
                raise IntakeUnavailable("the scheduler is busy writing; send again later") from None
        return future

    def run(self, job: Job, timeout_s: float = WAIT_S) -> Any:
        """Submit and wait (for callers on a worker thread)."""
        try:
            return self.submit(job).result(timeout=timeout_s)
        except TimeoutError:
            raise IntakeUnavailable("the store did not answer in time; send again later") from None

    async def write(self, job: Job, timeout_s: float = WAIT_S) -> Any:
        """Submit and await the commit (for request handlers)."""
        future = self.submit(job)
        try:
            # shielded: the job stays queued (and is answered to nobody) rather than half-cancelled
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout_s)
        except TimeoutError:  # the write may still land: heartbeats and play events are idempotent
            raise IntakeUnavailable("the store did not answer in time; send again later") from None

    def close(self, timeout_s: float = 30.0) -> None:
        """Refuse new jobs, commit all queued ones, end the thread."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)  # blocks only while the queue is full: the writer is draining it
        if thread is not None:
            thread.join(timeout=timeout_s)
            if thread.is_alive():
                log.error("intake writer did not finish within %.0f s; %d job(s) still queued", timeout_s, self.queued)

    # -- the writer thread ----------------------------------------------------
    def _run(self) -> None:
        conn = self._open()
        db = Database(conn)
        try:
            stop = False
            while not stop:
                first = self._queue.get()
                if first is _STOP:
                    break
                batch: list[_Item] = [first]  # type: ignore[list-item]
                stop = self._gather(batch)
                try:
                    self._commit(db, batch)
                except Exception as exc:  # a bug here must not strand the waiting requests or end the writer
                    log.exception("intake: writing a batch of %d failed", len(batch))
                    _rollback(conn)
                    for item in batch:
                        _settle(item.future, IntakeUnavailable(f"the store cannot be written now ({exc})"))
        finally:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        """The writer's connection; retried (with a log line) until the store can be opened."""
        delay_s = RETRY_FIRST_S
        while True:
            try:
                return self._connect()
            except sqlite3.Error as exc:
                log.error("intake: cannot open the store (%s); retrying in %.1f s", exc, delay_s)
                time.sleep(delay_s)
                delay_s = min(delay_s * 2, RETRY_MAX_S)

    def _gather(self, batch: list[_Item]) -> bool:
        """Add what is queued (lingering briefly for more); True when the stop mark was met."""
        deadline = time.monotonic() + self.linger_s
        while len(batch) < self.max_batch_jobs:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    return False
            if item is _STOP:
                self._drain_rest(batch)
                return True
            batch.append(item)  # type: ignore[arg-type]
        return False

    def _drain_rest(self, batch: list[_Item]) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                batch.append(item)  # type: ignore[arg-type]

    def _commit(self, db: Database, batch: list[_Item]) -> None:
        conn = db.conn
        started = time.monotonic()
        delay_s = RETRY_FIRST_S
        while True:
            try:
                results = self._apply(db, batch)
                break
            except sqlite3.OperationalError as exc:  # locked, busy, disk full or I/O error: the environment's fault
                _rollback(conn)
                if time.monotonic() - started >= self.retry_for_s:
                    log.error("intake: giving up a batch of %d write(s) after %.0f s: %s (clients will resend)",
                              len(batch), self.retry_for_s, exc)
                    for item in batch:
                        self.stats.failed_jobs += 1
                        _settle(item.future, IntakeUnavailable(f"the store cannot be written now ({exc})"))
                    return
                self.stats.retries += 1
                log.warning("intake: writing a batch of %d failed (%s); retrying in %.2f s", len(batch), exc, delay_s)
                time.sleep(delay_s)
                delay_s = min(delay_s * 2, RETRY_MAX_S)
        self.stats.batches += 1
        self.stats.jobs += len(batch)
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        for item, (ok, value) in zip(batch, results, strict=True):
            if not ok:
                self.stats.failed_jobs += 1
            _settle(item.future, value, ok)

    @staticmethod
    def _apply(db: Database, batch: list[_Item]) -> list[tuple[bool, Any]]:
        """Run every job in one transaction; a job's own exception (not a store fault) fails only that job."""
        conn = db.conn
        results: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        for item in batch:
            conn.execute("SAVEPOINT job")
            try:
                value = item.job(db)
            except sqlite3.OperationalError:
                raise  # locked, full, I/O: the whole batch is retried
            except Exception as exc:  # a refusal or a bug in this job: undo it, report it to its caller
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                results.append((False, exc))
                continue
            conn.execute("RELEASE job")
            results.append((True, value))
        conn.execute("COMMIT")
        return results


def _settle(future: Future[Any], value: Any, ok: bool = False) -> None:
    """Resolve ``future`` unless its caller gave up on it (cancelled) or it is resolved already."""
    if future.done():
        return
    try:
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
    except InvalidStateError:  # cancelled in between
        pass


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        log.exception("intake: rollback failed")
