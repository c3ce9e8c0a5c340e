"""Opening the scheduler store: SQLite in WAL mode with all migrations applied."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from scheduler.migrations import migrations


def open_store(path: Path | str) -> Database:
    """Open (creating if needed) the store at ``path`` and apply pending migrations."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # One connection shared by the server's threads; callers serialise access with
    # ``Service.lock`` (one writer), which SQLite's own locking backs up.
    db = Database(sqlite3.connect(str(path), check_same_thread=False, isolation_level=None))
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        db.enable_wal()
    migrations.apply(db)
    return db


def loads(text: str | None, default: Any) -> Any:
    """Decode a JSON column, with ``default`` for NULL."""
    return default if text is None or text == "" else json.loads(text)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
