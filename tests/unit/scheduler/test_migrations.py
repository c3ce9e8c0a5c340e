from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from scheduler.migrations import migrations
from scheduler.store import open_store


def test_fresh_store_is_wal_with_every_migration(tmp_path: Path) -> None:
    db = open_store(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [m.name for m in migrations.applied(db)] == [m.name for m in migrations._migrations]
    assert {"play_events", "display_status", "rules", "layouts", "data_sources", "snapshots"} <= set(db.table_names())


def test_upgrade_from_each_earlier_schema_keeps_all_rows(tmp_path: Path) -> None:
    names = [m.name for m in migrations._migrations]
    for stop in names[1:]:
        path = tmp_path / f"{stop}.db"
        old = Database(sqlite3.connect(path))
        migrations.apply(old, stop_before=stop)
        old["users"].insert(
            {
                "username": "lama",
                "password_hash": "x",
                "role": "admin",
                "language": "id",
                "created_at": "t",
                "disabled": 0,
            }
        )
        old["displays"].insert(
            {"id": "kantor-bupati", "name": "K", "width": 1920, "height": 1080, "timezone": "Asia/Pontianak"}
        )
        old["signing_keys"].insert({"key_id": "k1", "public_key": "p", "created_at": "t", "active": 1})
        old.conn.close()
        upgraded = open_store(path)
        assert [m.name for m in migrations.pending(upgraded)] == []
        assert next(upgraded["users"].rows)["username"] == "lama"
        assert upgraded["displays"].get("kantor-bupati")["width"] == 1920
        assert upgraded["signing_keys"].get("k1")["active"] == 1


def test_opening_twice_is_idempotent(tmp_path: Path) -> None:
    open_store(tmp_path / "s.db").conn.close()
    db = open_store(tmp_path / "s.db")
    assert len(migrations.applied(db)) == len(migrations._migrations)
