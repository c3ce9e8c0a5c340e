"""Server-side web sessions: survive a restart, expire when idle and at their absolute age, store no token."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scheduler.sessions import SessionStore
from scheduler.store import open_store


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _store(path: Path, clock: FakeClock) -> SessionStore:
    return SessionStore(open_store(path), threading.RLock(), clock, idle_s=600, max_age_s=3600)


def test_session_survives_a_restart_and_the_store_holds_only_a_hash(tmp_path: Path) -> None:
    clock = FakeClock()
    first = _store(tmp_path / "s.db", clock)
    token, session = first.create(7, "10.0.0.1")
    first.db.conn.close()
    second = _store(tmp_path / "s.db", clock)  # a new process on the same store
    found = second.get(token)
    assert found is not None and found.user_id == 7 and found.csrf_token == session.csrf_token
    assert token not in str(list(second.db.table("web_sessions").rows))
    assert second.get("not-" + token) is None


def test_idle_and_absolute_expiry(tmp_path: Path) -> None:
    clock = FakeClock()
    store = _store(tmp_path / "s.db", clock)
    token, _ = store.create(1)
    clock.now += timedelta(seconds=599)
    assert store.get(token) is not None  # activity renews the idle timer...
    clock.now += timedelta(seconds=599)
    assert store.get(token) is not None
    clock.now += timedelta(seconds=600)
    assert store.get(token) is None  # ...but 600 s without a request ends it
    token, _ = store.create(1)
    for _ in range(7):  # active every 500 s: alive until its absolute age of one hour...
        clock.now += timedelta(seconds=500)
        assert store.get(token) is not None
    clock.now += timedelta(seconds=500)  # ...3500 s -> 4000 s after login
    assert store.get(token) is None


def test_flash_messages_are_shown_once(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", FakeClock())
    _token, session = store.create(1)
    store.add_flash(session.id_hash, "Tersimpan.")
    assert store.pop_flash(session.id_hash) == ["Tersimpan."]
    assert store.pop_flash(session.id_hash) == []
