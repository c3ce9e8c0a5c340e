"""The player's disk writer thread: slow commits and fsyncs leave the GUI thread; nothing is lost or doubled."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from player.clock import ClockFloorFile, PlayerClock
from player.diskwriter import DiskWriter
from player.playlog import PlayLog

#: A commit that waits for a locked database (timeout 30 s) would take this long at least; the GUI thread's
#: calls must return far sooner, on a busy machine too.
GUI_CALL_BOUND_S = 2.0


@pytest.fixture
def writer():
    out = DiskWriter()
    yield out
    out.stop()


def blocker(writer: DiskWriter) -> threading.Event:
    """Hold the writer thread until the returned event is set."""
    gate, running = threading.Event(), threading.Event()

    def hold() -> None:
        running.set()
        gate.wait(30)

    writer.submit("gate", hold)
    assert running.wait(30), "the writer thread did not start the job"
    return gate


def test_jobs_run_in_order_on_the_writer_thread_and_a_waiting_job_is_replaced(writer):
    ran: list[tuple[str, str]] = []
    gate = blocker(writer)
    writer.submit("a", lambda: ran.append(("a1", threading.current_thread().name)))
    writer.submit("b", lambda: ran.append(("b", threading.current_thread().name)))
    writer.submit("a", lambda: ran.append(("a2", threading.current_thread().name)))  # replaces a1
    assert writer.pending == 2 and ran == []
    gate.set()
    assert writer.flush(10)
    assert ran == [("b", "player-disk-writer"), ("a2", "player-disk-writer")]


def test_a_failing_job_does_not_stop_the_others(writer, caplog):
    ran: list[str] = []
    writer.submit("bad", lambda: 1 / 0)
    writer.submit("good", lambda: ran.append("good"))
    assert writer.flush(10)
    assert ran == ["good"]
    assert any("disk write 'bad' failed" in r.getMessage() for r in caplog.records)


def test_stop_runs_what_is_pending_and_later_jobs_run_inline():
    writer = DiskWriter()
    ran: list[str] = []
    gate = blocker(writer)
    writer.submit("x", lambda: ran.append("x"))
    threading.Timer(0.2, gate.set).start()
    writer.stop()
    assert ran == ["x"]
    writer.submit("late", lambda: ran.append(threading.current_thread().name))
    assert ran == ["x", threading.current_thread().name]


def test_play_log_calls_return_at_once_while_the_database_is_locked(tmp_path: Path, writer, helpers):
    """Regression (#13 item 8): PlayLog committed on the GUI thread, waiting up to 30 s for a locked or slow disk
    at every item change. With the writer the calls only touch memory; the rows are stored once the lock goes."""
    path = tmp_path / "playlog.sqlite"
    plays = PlayLog(path, "dsp-1", writer=writer)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("begin exclusive")  # e.g. a long upload transaction, or a disk that does not answer
    t0 = helpers.T0
    started = time.monotonic()
    for n in range(5):
        plays.start(f"item-{n}", sha256=None, started_at=t0 + timedelta(seconds=n), mono_s=float(n))
        plays.checkpoint(at=t0 + timedelta(seconds=n + 0.5), mono_s=n + 0.5)
    plays.skipped("item-4", "cannot decode", at=t0 + timedelta(seconds=5), mono_s=5.0)
    took_s = time.monotonic() - started
    assert took_s < GUI_CALL_BOUND_S, f"recording 5 plays took {took_s:.2f} s with the database locked"
    assert plays.unsaved == 5
    other.execute("rollback")
    other.close()
    assert plays.flush(40)
    rows = plays.rows()
    assert [(r["item_id"], r["result"]) for r in rows] == [
        *[(f"item-{n}", "played") for n in range(4)], ("item-4", "skipped")]
    assert all(r["ended_at"] is not None for r in rows) and plays.unsaved == 0
    plays.close()


def test_restamp_with_a_writer_shifts_every_play_once(tmp_path: Path, writer, helpers):
    """Stored plays are shifted on the writer thread, plays in memory in place, none twice: even while a commit
    of the old times is in flight when the correction arrives."""
    t0 = helpers.T0
    plays = PlayLog(tmp_path / "playlog.sqlite", "dsp-1", writer=writer)
    plays.start("stored", sha256=None, started_at=t0, mono_s=0.0)
    plays.finish(ended_at=t0 + timedelta(seconds=5), mono_s=5.0)
    assert plays.flush(10) and plays.unsaved == 0
    gate = blocker(writer)
    plays.start("in-memory", sha256=None, started_at=t0 + timedelta(seconds=10), mono_s=10.0)
    plays.restamp(60.0)
    gate.set()
    plays.finish(ended_at=t0 + timedelta(seconds=20), mono_s=20.0)
    assert plays.flush(10)
    rows = {r["item_id"]: r for r in plays.rows()}
    assert rows["stored"]["started_at"] == "2026-11-28T03:01:00.000Z"
    assert rows["stored"]["ended_at"] == "2026-11-28T03:01:05.000Z"
    assert rows["in-memory"]["started_at"] == "2026-11-28T03:01:10.000Z"
    assert rows["in-memory"]["ended_at"] == "2026-11-28T03:00:20.000Z"  # closed after the correction: as given
    plays.close()


def test_clock_floor_is_written_on_the_writer_thread(tmp_path: Path, writer):
    """Regression: ClockFloorFile.save fsynced clock.json on the GUI thread."""
    clock = PlayerClock(lambda: 1_800_000_000.0, lambda: 100.0)
    clock.correct(1_800_000_500.0, 100.0, 1_800_000_000.0)
    floor = ClockFloorFile(tmp_path, writer=writer)
    gate = blocker(writer)
    assert floor.save(clock, force=True)
    assert floor.load() is None  # handed to the writer, which is busy
    gate.set()
    assert writer.flush(10)
    assert floor.load() == pytest.approx(1_800_000_500.0)


def test_a_play_recorded_after_the_writer_stopped_is_written_in_place_without_a_deadlock(tmp_path: Path, helpers):
    """Regression: after the writer stopped (shutdown), submit() ran the job on the caller's thread, which
    already held the play log's lock; the GUI thread hung forever at the next item change."""
    writer = DiskWriter()
    plays = PlayLog(tmp_path / "playlog.sqlite", "dsp-1", writer=writer)
    writer.stop()
    t0 = helpers.T0
    done = threading.Event()

    def record() -> None:
        plays.start("late", sha256=None, started_at=t0, mono_s=0.0)
        plays.finish(ended_at=t0 + timedelta(seconds=1), mono_s=1.0)
        done.set()

    thread = threading.Thread(target=record, daemon=True)
    thread.start()
    assert done.wait(20), "recording a play after the writer stopped hung (lock taken twice)"
    assert [(r["item_id"], r["result"]) for r in plays.rows()] == [("late", "played")]
    plays.close()
