"""Another process closing its connection must never delete the WAL of a running scheduler.

Regression: open_store opened and closed the store file itself after SQLite had
it open, which dropped SQLite's shared lock (POSIX locks go with any close);
the next process to close its connection (`signage backup`, any CLI command)
then believed it was the last one, checkpointed and deleted the WAL, and the
server's later commits went to a deleted file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scheduler.store import open_store

CLOSE_ELSEWHERE = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('select count(*) from t').fetchone(); c.close()"
)
COUNT_ELSEWHERE = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from t').fetchone()[0])"
)


def other_process(code: str, store: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, str(store)], check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()


def test_commits_after_another_process_closed_its_connection_are_kept(tmp_path: Path) -> None:
    store = tmp_path / "signage.db"
    first = open_store(store)  # an existing store in WAL mode, as the server finds it (`signage init` made it)
    first.execute("create table t (x integer)")
    first.conn.close()
    db = open_store(store)
    try:
        db.execute("insert into t values (1)")
        other_process(CLOSE_ELSEWHERE, store)  # e.g. `signage backup` finishing
        db.execute("insert into t values (2)")
        assert store.with_name("signage.db-wal").exists()
        assert other_process(COUNT_ELSEWHERE, store) == "2", "a commit was lost: the WAL was deleted under the store"
    finally:
        db.conn.close()


def test_reopening_an_existing_store_keeps_it_private(tmp_path: Path) -> None:
    store = tmp_path / "signage.db"
    open_store(store).conn.close()
    store.chmod(0o644)
    db = open_store(store)
    db.conn.close()
    assert store.stat().st_mode & 0o777 == 0o600
