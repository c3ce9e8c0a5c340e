"""Opening the scheduler store: SQLite in WAL mode with all migrations applied."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from scheduler.migrations import migrations

log = logging.getLogger("scheduler.store")
PRIVATE_DIR_MODE = 0o700  # the data dir holds the store, the signing keys and the display token hashes
PRIVATE_FILE_MODE = 0o600


def _make_private(path: Path) -> None:
    """Create the data dir 0700 and the store 0600, and tighten existing ones (and the WAL/SHM) on every start."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if not path.exists():  # SQLite gives WAL/SHM the same mode
        # Never open (and close) a store that exists: closing any descriptor of a file drops every POSIX lock
        # this process holds on it, SQLite's shared lock included; another process closing its connection
        # then thinks it is the last one and deletes the WAL under this one (commits lost).
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, PRIVATE_FILE_MODE))
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


class Store(Database):
    """sqlite-utils' ``Database`` whose ``atomic()`` transactions take the write lock when they begin.

    A deferred ``BEGIN`` reads first (sqlite-utils checks a table's columns before inserting) and asks for
    the write lock later; in WAL mode, if another connection (the intake writer's group commits, another
    process) committed in between, SQLite refuses the upgrade at once with SQLITE_BUSY ("database is
    locked") without waiting its busy timeout: under a steady flow of heartbeats a publish then failed to
    record its versions. ``BEGIN IMMEDIATE`` waits (busy timeout) for the other writer instead. Nested
    blocks still use savepoints.
    """

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Store]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.rollback()
                raise


def open_store(path: Path | str) -> Database:
    """Open (creating if needed) the store at ``path`` and apply pending migrations."""
    if str(path) != ":memory:":
        _make_private(Path(path))
    # One connection shared by the server's threads; callers serialise access with
    # ``Service.lock`` (one writer), which SQLite's own locking backs up.
    db = Store(sqlite3.connect(str(path), check_same_thread=False, isolation_level=None))
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        db.enable_wal()
        _make_private(Path(path))  # the WAL/SHM of a store from before this rule
    migrations.apply(db)
    return db


def loads(text: str | None, default: Any) -> Any:
    """Decode a JSON column, with ``default`` for NULL."""
    return default if text is None or text == "" else json.loads(text)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
