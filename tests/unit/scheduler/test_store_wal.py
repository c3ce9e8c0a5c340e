"""The store stays shared: another process (a CLI command) opening and closing it never hides the server's writes.

Regression: ``open_store`` opened and closed a descriptor of the database file after connecting, which drops
the process's POSIX locks; the next process to close its connection then deleted the WAL under the
server's open connection, and nothing the server wrote afterwards was visible to anyone (or kept).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scheduler.store import open_store

COUNT = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "print(c.execute('select count(*) from t').fetchone()[0])")


def _count_elsewhere(path: Path) -> int:
    done = subprocess.run([sys.executable, "-c", COUNT, str(path)], capture_output=True, text=True, check=True,
                          timeout=60)
    return int(done.stdout)


def test_writes_after_another_process_closed_the_store_stay_visible(tmp_path: Path) -> None:
    path = tmp_path / "signage.db"
    created = open_store(path)  # `signage init`
    created.execute("create table t (x integer)")
    created.conn.close()
    db = open_store(path)  # `signage scheduler serve` opens the existing store
    try:
        db.execute("insert into t values (1)")
        assert _count_elsewhere(path) == 1  # another process opens, reads and closes the store
        db.execute("insert into t values (2)")
        assert _count_elsewhere(path) == 2
        assert path.with_name("signage.db-wal").exists()  # still the WAL the server writes to
    finally:
        db.conn.close()
