"""The server notices what another process changed in the tables it caches, and ignores its own intake writer.

The intake writer (heartbeats, plays) is another SQLite connection: each of its commits used to look like
"another process changed the store", and the server dropped its token cache and reloaded every latest
manifest once a second, on the event loop.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.changes import ExternalChanges
from scheduler.service import Service
from scheduler.store import open_store
from signage.config import SchedulerConfig

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    path = tmp_path / "signage.db"
    open_store(path)
    other = sqlite3.connect(str(path), isolation_level=None, timeout=10)
    yield path, other
    other.close()


def test_commits_to_uncached_tables_are_not_changes(paths: tuple[Path, sqlite3.Connection]) -> None:
    path, other = paths
    db = open_store(path)
    changes = ExternalChanges(db, threading.RLock())
    other.execute("insert into display_status (display_id, last_seen) values ('d1', '2026-11-30T17:00:00Z')")
    assert changes.changed() is False  # a heartbeat, committed by the intake writer's connection
    other.execute("insert into groups (id, name) values ('g', 'g')")
    assert changes.changed() is False
    other.execute(
        "insert into manifests (display_id, version, etag, body_sha256, generated_at, valid_until, key_id) "
        "values ('d1', 1, 'e', 'h', 'g', 'v', 'k')"
    )
    assert changes.changed() is True  # another process published: the server must look
    assert changes.changed() is False  # once
    other.execute("update display_tokens set revoked_at = 'now' where 1 = 0")  # no row: no change
    assert changes.changed() is False


def test_a_heartbeat_flow_keeps_the_servers_caches(tmp_path: Path) -> None:
    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")), clock=lambda: NOW)
    try:
        service._token_cache["digest"] = ("display-1", 0.0)
        service.intake.run(lambda db: db.execute(
            "insert into display_status (display_id, last_seen) values ('display-1', '2026-11-30T17:00:00Z')"
        ))  # fmt: skip
        service.pick_up_external_changes()
        assert "digest" in service._token_cache  # not dropped for a heartbeat
        other = sqlite3.connect(str(tmp_path / "scheduler" / "signage.db"), isolation_level=None, timeout=10)
        other.execute("update display_tokens set revoked_at = '2026-11-30T17:00:00Z'")  # the CLI revoking
        other.execute("insert into signing_keys (key_id, public_key, created_at, active) values ('x', 'p', 'c', 0)")
        other.close()
        service.pick_up_external_changes()
        assert "digest" not in service._token_cache  # a change by another process is picked up at once
    finally:
        service.close()
