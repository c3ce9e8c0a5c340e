"""Notice what other processes committed to the store (e.g. `signage keys rotate` while the server runs).

SQLite's ``PRAGMA data_version`` changes on a connection whenever *another*
connection committed since it was last read, never for the connection's own
commits; one cheap pragma tells the running server to drop what it cached.
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
        self._checked_s = time.monotonic()

    def _read(self) -> int:
        with self.lock:
            return int(self.db.execute("pragma data_version").fetchone()[0])

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
        return True
