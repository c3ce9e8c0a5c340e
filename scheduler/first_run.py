"""First run of a real installation: ``signage init`` creates the store, signing key and first admin.

``signage scheduler serve`` refuses to start on a store without any user, so a fresh
installation never runs without an administrator (the demo seeds its own users).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from scheduler.auth import create_user
from signage.config import SchedulerConfig

STORE_NAME = "signage.db"
NOT_INITIALISED = "no admin user in {data_dir}: run `signage init --data-dir {data_dir}` first"


@dataclass(frozen=True)
class InitResult:
    created: bool
    data_dir: Path
    admin_username: str
    admin_password: str | None  # shown once; None when the store already existed
    key_id: str | None


def user_count(data_dir: Path) -> int:
    """How many users the store under ``data_dir`` holds (0 when there is no store); never creates it."""
    path = data_dir / STORE_NAME
    if not path.exists():
        return 0
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(connection.execute("select count(*) from users").fetchone()[0])
    except sqlite3.OperationalError:  # a store without the users table yet
        return 0
    finally:
        connection.close()


def initialise(config: SchedulerConfig, admin_username: str = "admin") -> InitResult:
    """Create store, signing key and the first admin (must change the password at first login).

    On a store that already has users nothing is changed and ``created`` is False.
    """
    data_dir = Path(config.data_dir)
    if user_count(data_dir):
        return InitResult(False, data_dir, admin_username, None, None)
    from scheduler.service import Service

    service = Service(config)
    try:
        with service.lock:
            password = create_user(service.db, admin_username, "admin", None, service.now_iso())
            service.db.execute("update users set must_change_password = 1 where username = ?", [admin_username])
        return InitResult(True, data_dir, admin_username, password, service.keyring.active.key_id)
    finally:
        service.close()
