"""Opening the scheduler store: SQLite in WAL mode with all migrations applied."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from scheduler.migrations import migrations

log = logging.getLogger("scheduler.store")
PRIVATE_DIR_MODE = 0o700  # the data dir holds the store, the signing keys and the display token hashes
PRIVATE_FILE_MODE = 0o600


def _make_private(path: Path, *, create: bool = True) -> None:
    """Create the data dir 0700 and the store 0600, and tighten existing ones (and the WAL/SHM) on every start.

    ``create=False`` once this process has the store open: closing any descriptor of the file would drop
    the process's POSIX locks, including the SHARED lock SQLite holds in WAL mode; another process closing
    its connection would then think it was the last one and delete the WAL under the open connection,
    whose later writes nobody else would ever see.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if create:
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE))  # SQLite gives WAL/SHM the same mode
    for target, mode in (
        (path.parent, PRIVATE_DIR_MODE),
        (path, PRIVATE_FILE_MODE),
        (path.with_name(path.name + "-wal"), PRIVATE_FILE_MODE),
        (path.with_name(path.name + "-shm"), PRIVATE_FILE_MODE),
    ):
        try:
            if target.exists() and (target.stat().st_mode & 0o777) != mode:
                os.chmod(target, mode)
        except PermissionError:  # owned by someone else: say so, but do not refuse to start
            log.warning("cannot restrict %s to %o (not its owner); fix its permissions", target, mode)


def open_store(path: Path | str) -> Database:
    """Open (creating if needed) the store at ``path`` and apply pending migrations."""
    if str(path) != ":memory:":
        _make_private(Path(path))
    # One connection shared by the server's threads; callers serialise access with
    # ``Service.lock`` (one writer), which SQLite's own locking backs up.
    db = Database(sqlite3.connect(str(path), check_same_thread=False, isolation_level=None))
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        db.enable_wal()
        _make_private(Path(path), create=False)  # the WAL/SHM of a store from before this rule
    migrations.apply(db)
    return db


def loads(text: str | None, default: Any) -> Any:
    """Decode a JSON column, with ``default`` for NULL."""
    return default if text is None or text == "" else json.loads(text)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
