"""A new-announcement form is saved once: sent again (the back button, a double click) it leads to what it made.

Each rendered form carries a random ``form_id``; the first POST of it in a session claims the id, and the
announcement it creates is remembered. Kept in memory (the newest ``size`` forms): after a restart a form sent
twice makes two announcements, as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

PENDING = 0  # claimed by a request still saving


class SentForms:
    def __init__(self, size: int = 2000) -> None:
        self._size = size
        self._made: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: tuple[str, str]) -> int | None:
        """None if this request may save the form; else the announcement it made (PENDING while being saved)."""
        with self._lock:
            if key in self._made:
                return self._made[key]
            self._made[key] = PENDING
            while len(self._made) > self._size:
                self._made.popitem(last=False)
            return None

    def made(self, key: tuple[str, str], announcement_id: int) -> None:
        with self._lock:
            self._made[key] = announcement_id

    def release(self, key: tuple[str, str]) -> None:
        """The save was refused (a field to fix): the same form may be sent again."""
        with self._lock:
            if self._made.get(key) == PENDING:
                del self._made[key]
