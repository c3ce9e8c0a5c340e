"""Which manifest schema a display gets: the highest its player reports reading, schema 1 until it does.

Schema 2 (``signage.manifest.SCHEMA_V2``) carries the same timeline as a loop table and integer runs,
a tenth of schema 1's bytes for a busy display (and of the CPU to hash, sign and gzip them). A player
says which schemas it reads in every heartbeat (``manifest_schemas``); an older player says nothing
and keeps schema 1. When what a display's player reads changes (a new player installed, or an old
one put back), the display's ``manifest_schema`` column follows and the display is republished: its
player gets the same content in the form it reads, so no player is ever sent a manifest it refuses.

A move down (an older player) is applied at once: the player cannot read what it has. A move up is applied
at most once per ``UPGRADE_INTERVAL_S`` per display; until then the display keeps the schema it has (which its
player reads too). So a stolen display token alternating what it reports costs a republish per interval,
not one per heartbeat (the third security review: 100 heartbeats wrote 200 manifest files in 2 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from signage.manifest import SCHEMA_NUMBERS

if TYPE_CHECKING:
    from scheduler.service import Service

#: What the scheduler writes for a display whose player reported nothing (players older than the field).
DEFAULT_SCHEMA = 1
#: A display's schema moves up at most once in this many seconds (a move down is never held back).
UPGRADE_INTERVAL_S = 600.0


def negotiated(reported: Sequence[int] | None) -> int:
    """The highest schema both the player (``reported``) and this scheduler read; 1 when none."""
    both = [n for n in reported or () if n in SCHEMA_NUMBERS]
    return max(both, default=DEFAULT_SCHEMA)


class SchemaTracker:
    """Remembers each display's schema, so a heartbeat costs a dict lookup unless it changes."""

    def __init__(self, service: Service, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.upgrade_interval_s = UPGRADE_INTERVAL_S
        self._monotonic = monotonic
        self._known: dict[str, int] = {}
        self._changed_at: dict[str, float] = {}  # display -> when its schema last changed (monotonic s)
        self._lock = threading.Lock()

    def changed(self, display_id: str, schema: int) -> bool:
        """Cheap check from a heartbeat: whether ``schema`` differs from what is remembered."""
        return self._known.get(display_id) != schema

    def apply(self, display_id: str, schema: int) -> bool:
        """Store ``schema`` for ``display_id``; True when it changed (then republish the display).

        A move up within ``upgrade_interval_s`` of the display's last change is not stored (nor remembered:
        a later heartbeat tries again)."""
        service = self.service
        now_s = self._monotonic()
        with service.lock:
            row = service.db.execute("select manifest_schema from displays where id = ?", [display_id]).fetchone()
            if row is None:
                return False
            stored = row[0] or DEFAULT_SCHEMA
            if stored < schema:
                with self._lock:
                    last = self._changed_at.get(display_id)
                if last is not None and now_s - last < self.upgrade_interval_s:
                    return False
            if stored != schema:
                service.db.table("displays").update(display_id, {"manifest_schema": schema})
        with self._lock:
            self._known[display_id] = schema
            if stored != schema:
                self._changed_at[display_id] = now_s
        return stored != schema
