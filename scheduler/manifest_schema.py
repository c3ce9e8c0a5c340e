"""Which manifest schema a display gets: the highest its player reports reading, schema 1 until it does.

Schema 2 (``signage.manifest.SCHEMA_V2``) carries the same timeline as a loop table and integer runs,
a tenth of schema 1's bytes for a busy display (and of the CPU to hash, sign and gzip them). A player
says which schemas it reads in every heartbeat (``manifest_schemas``); an older player says nothing
and keeps schema 1. When what a display's player reads changes (a new player installed, or an old
one put back), the display's ``manifest_schema`` column follows and the display is republished: its
player gets the same content in the form it reads, so no player is ever sent a manifest it refuses.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from signage.manifest import SCHEMA_NUMBERS

if TYPE_CHECKING:
    from scheduler.service import Service

#: What the scheduler writes for a display whose player reported nothing (players older than the field).
DEFAULT_SCHEMA = 1


def negotiated(reported: Sequence[int] | None) -> int:
    """The highest schema both the player (``reported``) and this scheduler read; 1 when none."""
    both = [n for n in reported or () if n in SCHEMA_NUMBERS]
    return max(both, default=DEFAULT_SCHEMA)


class SchemaTracker:
    """Remembers each display's schema, so a heartbeat costs a dict lookup unless it changes."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._known: dict[str, int] = {}
        self._lock = threading.Lock()

    def changed(self, display_id: str, schema: int) -> bool:
        """Cheap check from a heartbeat: whether ``schema`` differs from what is remembered."""
        return self._known.get(display_id) != schema

    def apply(self, display_id: str, schema: int) -> bool:
        """Store ``schema`` for ``display_id``; True when it changed (then republish the display)."""
        service = self.service
        with service.lock:
            row = service.db.execute("select manifest_schema from displays where id = ?", [display_id]).fetchone()
            if row is None:
                return False
            stored = row[0] or DEFAULT_SCHEMA
            if stored != schema:
                service.db.table("displays").update(display_id, {"manifest_schema": schema})
        with self._lock:
            self._known[display_id] = schema
        return stored != schema
