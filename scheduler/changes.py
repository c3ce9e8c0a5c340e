"""Notice what other processes committed to the store (e.g. `signage keys rotate` while the server runs).

SQLite's ``PRAGMA data_version`` changes on a connection whenever *another*
connection committed since it was last read, never for the connection's own
commits; one cheap pragma tells the running server to drop what it cached.

The server's own intake writer is another connection too, committing heartbeats and plays many
times a second: on its own, ``data_version`` made the server drop its token cache and reload every
display's latest manifest once a second, on the event loop (the p99 of every player request). So a
changed ``data_version`` counts only when ``store_changes.n`` moved as well: triggers (m020) bump it
on every write to a table the server caches (keys, tokens, manifests, emergency pushes, displays),
never for the intake's tables. The server's own writes to those tables bump it too: the first look
after one of them reports a change once (a harmless refresh).
"""

from __future__ import annotations

import threading
import time

from sqlite_utils import Database


class ExternalChanges:
    def __init__(self, db: Database, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock
        self._version = self._read()
        self._marker = self._read_marker()
        self._checked_s = time.monotonic()

    def _read(self) -> int:
        with self.lock:
            return int(self.db.execute("pragma data_version").fetchone()[0])

    def _read_marker(self) -> int:
        with self.lock:
            return int(self.db.execute("select n from store_changes where id = 1").fetchone()[0])

    def changed(self, max_age_s: float = 0.0) -> bool:
        """True once after each commit by another connection; looks again only if the last look is older."""
        now_s = time.monotonic()
        if max_age_s > 0 and now_s - self._checked_s < max_age_s:
            return False
        self._checked_s = now_s
        version = self._read()
        if version == self._version:
            return False
        self._version = version
        marker = self._read_marker()
        if marker == self._marker:  # only tables the server does not cache (the intake writer's)
            return False
        self._marker = marker
        return True
