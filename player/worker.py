"""One background daemon thread with a stop flag and a wake-up event.

The player's blocking work (HTTP, hashing, SQLite uploads) runs on such threads,
never on the GUI thread. ``start`` is idempotent; ``stop`` sets ``stopping``,
sets ``wake`` (so a waiting loop returns at once) and joins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class WorkerThread:
    def __init__(self, name: str, target: Callable[[], None]) -> None:
        self.name = name
        self._target = target
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> bool:
        """Start the thread; False if it was already running."""
        if self._thread is not None:
            return False
        self.stopping.clear()
        self._thread = threading.Thread(target=self._target, name=self.name, daemon=True)
        self._thread.start()
        return True

    def stop(self, timeout_s: float = 3.0) -> None:
        self.stopping.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
