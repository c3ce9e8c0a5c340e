"""The intake writer: group commit, per-job failure, retry of a locked store, backpressure, flush on close."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database
from tests_support import hold_writer

from scheduler.intake import IntakeUnavailable, IntakeWriter
from scheduler.store import open_store
from signage.errors import UserError

WAIT_S = 30.0  # generous: the machine may be busy


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "signage.db"
    db = open_store(path)
    db.execute("create table t (n integer primary key)")
    db.conn.close()
    yield path


def _insert(n: int):  # type: ignore[no-untyped-def]
    def job(db: Database) -> int:
        db.execute("insert into t (n) values (?)", [n])
        return n

    return job


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("select count(*) from t").fetchone()[0])
    finally:
        conn.close()


def test_jobs_queued_while_writing_are_committed_together(store: Path) -> None:
    writer = IntakeWriter(store, linger_ms=0)
    release = hold_writer(writer, WAIT_S)
    futures = [writer.submit(_insert(n)) for n in range(100)]
    time.sleep(0.1)
    assert _count(store) == 0 and not any(f.done() for f in futures)  # no answer before the commit
    release.set()
    assert [f.result(WAIT_S) for f in futures] == list(range(100))
    assert _count(store) == 100
    assert writer.stats.batches == 2 and writer.stats.largest_batch == 100  # the gate's batch, then one commit
    writer.close()


def test_a_failing_job_fails_alone(store: Path) -> None:
    writer = IntakeWriter(store)
    release = hold_writer(writer, WAIT_S)

    def refuse(db: Database) -> None:
        db.execute("insert into t (n) values (999)")
        raise UserError("screenshot_png_b64: not a PNG image", field="screenshot_png_b64")

    good, bad, after = writer.submit(_insert(1)), writer.submit(refuse), writer.submit(_insert(2))
    release.set()
    assert good.result(WAIT_S) == 1 and after.result(WAIT_S) == 2
    with pytest.raises(UserError, match="screenshot_png_b64"):
        bad.result(WAIT_S)
    assert _count(store) == 2  # the refused job's own insert was undone
    writer.close()


def _impatient(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 0")
    return conn


def test_a_locked_store_is_retried_until_it_frees(store: Path) -> None:
    writer = IntakeWriter(store, retry_for_s=WAIT_S, connect=lambda: _impatient(store))
    blocker = sqlite3.connect(store, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process (the CLI) is writing
    future = writer.submit(_insert(7))
    deadline = time.monotonic() + WAIT_S
    while writer.stats.retries < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert writer.stats.retries >= 2 and not future.done()
    blocker.execute("ROLLBACK")
    blocker.close()
    assert future.result(WAIT_S) == 7
    assert _count(store) == 1
    writer.close()


def test_a_store_locked_too_long_refuses_the_batch_and_writes_on_afterwards(store: Path) -> None:
    writer = IntakeWriter(store, retry_for_s=0.3, connect=lambda: _impatient(store))
    blocker = sqlite3.connect(store, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(IntakeUnavailable, match="cannot be written now"):
        writer.submit(_insert(1)).result(WAIT_S)
    blocker.execute("ROLLBACK")
    blocker.close()
    assert writer.submit(_insert(2)).result(WAIT_S) == 2
    assert _count(store) == 1 and writer.stats.failed_jobs == 1
    writer.close()


def test_a_full_queue_refuses_at_once(store: Path) -> None:
    writer = IntakeWriter(store, queue_limit=10)
    release = hold_writer(writer, WAIT_S)
    queued = [writer.submit(_insert(n)) for n in range(10)]
    with pytest.raises(IntakeUnavailable, match="busy"):
        writer.submit(_insert(10))
    assert writer.stats.refused_full == 1
    release.set()
    assert [f.result(WAIT_S) for f in queued] == list(range(10))
    writer.close()


def test_close_commits_everything_queued_then_refuses(store: Path) -> None:
    writer = IntakeWriter(store)
    release = hold_writer(writer, WAIT_S)
    futures = [writer.submit(_insert(n)) for n in range(50)]
    closer = threading.Thread(target=writer.close)
    closer.start()
    time.sleep(0.1)
    release.set()
    closer.join(WAIT_S)
    assert not closer.is_alive()
    assert all(f.done() and f.exception() is None for f in futures)
    assert _count(store) == 50
    with pytest.raises(IntakeUnavailable, match="shutting down"):
        writer.submit(_insert(99))


def test_a_request_waits_for_its_commit_at_most_its_timeout(store: Path) -> None:
    writer = IntakeWriter(store)
    release = hold_writer(writer, WAIT_S)
    with pytest.raises(IntakeUnavailable, match="did not answer in time"):
        asyncio.run(writer.write(_insert(1), timeout_s=0.2))
    release.set()
    assert asyncio.run(writer.write(_insert(2))) == 2
    writer.close()
    assert _count(store) == 2  # the late write still landed (the player's re-send is a duplicate)


def test_a_caller_that_gave_up_does_not_fail_the_rest_of_its_batch(store: Path) -> None:
    writer = IntakeWriter(store)
    release = hold_writer(writer, WAIT_S)
    first, gone, last = writer.submit(_insert(1)), writer.submit(_insert(2)), writer.submit(_insert(3))
    assert gone.cancel()
    release.set()
    assert (first.result(WAIT_S), last.result(WAIT_S)) == (1, 3)
    writer.close()
    assert writer.stats.failed_jobs == 0
