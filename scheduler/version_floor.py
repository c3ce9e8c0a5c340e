"""The floor under manifest versions: a restored store never issues a version a player already accepted.

A backup holds the versions issued up to the moment it was taken; the machine it
came from may have issued (and players accepted) higher ones afterwards, which
no restore can know. ``signage restore`` therefore raises the floor to the
restore time in milliseconds since the epoch (and above every version in the
backup): versions are issued at most once per publish of a display, and a
publish takes longer than a millisecond, so no store can have counted past the
wall clock in milliseconds. The publisher issues ``max(..., floor) + 1`` and
republishes every display whose latest version is not above the floor.
"""

from __future__ import annotations

import time

from sqlite_utils import Database

FLOOR_ROW_ID = 1


def read_floor(db: Database) -> int:
    """The current floor (0 when none was ever set)."""
    if "version_floor" not in db.table_names():
        return 0
    row = db.execute("select floor from version_floor where id = ?", [FLOOR_ROW_ID]).fetchone()
    return int(row[0]) if row else 0


def highest_version(db: Database) -> int:
    """The highest manifest version the store ever issued (0 without any)."""
    row = db.execute("select max(version) from manifests").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def restore_floor(db: Database, now_iso: str, now_ms: int | None = None) -> int:
    """Raise the floor for a store just restored from a backup; the new floor."""
    wall_ms = int(time.time() * 1000) if now_ms is None else now_ms
    floor = max(read_floor(db), highest_version(db), wall_ms)
    with db.atomic():
        db.table("version_floor").upsert(
            {"id": FLOOR_ROW_ID, "floor": floor, "set_at": now_iso, "reason": "restore"}, pk="id"
        )
    return floor
