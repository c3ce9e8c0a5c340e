"""The background publisher: rounds merge what was queued meanwhile; a failure never stops it; a stop is clean."""

from __future__ import annotations

import sqlite3
import threading

import pytest

import scheduler.publish_behind as behind_module
from scheduler.publish_behind import PublishBehind

WAIT_S = 30.0


def test_ids_queued_during_a_round_are_merged_into_the_next() -> None:
    started, release = threading.Event(), threading.Event()
    rounds: list[list[str]] = []

    def publish(ids: list[str]) -> None:
        rounds.append(ids)
        if len(rounds) == 1:
            started.set()
            assert release.wait(WAIT_S)

    behind = PublishBehind(publish)
    try:
        assert behind.submit({"a", "b"}) >= 2
        assert started.wait(WAIT_S)
        assert behind.submit(["c"]) == 3  # two in the running round, one waiting
        behind.submit(["d", "a"])
        assert behind.busy == 4
        release.set()
        assert behind.wait_idle(WAIT_S)
        assert rounds == [["a", "b"], ["a", "c", "d"]]  # ten approvals in a row: at most two rounds
        assert behind.busy == 0 and behind.rounds == 2
    finally:
        release.set()
        behind.close()


def test_a_failed_round_is_logged_and_tried_again_with_what_came_meanwhile(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(behind_module, "RETRY_FIRST_S", 0.2)
    rounds: list[list[str]] = []
    failed_once = threading.Event()

    def publish(ids: list[str]) -> None:
        rounds.append(ids)
        if not failed_once.is_set():
            failed_once.set()
            raise sqlite3.OperationalError("database is locked")

    behind = PublishBehind(publish)
    try:
        with caplog.at_level("ERROR", logger="scheduler.publish_behind"):
            behind.submit(["a"])
            assert failed_once.wait(WAIT_S)
            behind.submit(["b"])
            assert behind.wait_idle(WAIT_S)
        assert "background publish of 1 display(s) failed; retrying in 0 s" in caplog.text
        assert rounds[0] == ["a"] and rounds[-1] == ["a", "b"]  # nothing lost: the failed ids come back
    finally:
        behind.close()


def test_a_stop_finishes_the_round_under_way_and_refuses_new_work(caplog: pytest.LogCaptureFixture) -> None:
    started, release = threading.Event(), threading.Event()
    rounds: list[list[str]] = []

    def publish(ids: list[str]) -> None:
        rounds.append(ids)
        started.set()
        assert release.wait(WAIT_S)

    behind = PublishBehind(publish)
    behind.submit(["a"])
    assert started.wait(WAIT_S)
    behind.submit(["b"])
    closer = threading.Thread(target=behind.close)
    with caplog.at_level("WARNING", logger="scheduler.publish_behind"):
        closer.start()
        closer.join(0.3)
        assert closer.is_alive(), "the round under way is waited for"
        release.set()
        closer.join(WAIT_S)
    assert not closer.is_alive()
    assert rounds == [["a"]]  # "b" never started: left to the next start-up publish, and said so
    assert "1 display(s) not republished yet" in caplog.text
    with pytest.raises(RuntimeError):
        behind.submit(["c"])
