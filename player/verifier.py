"""Background re-verification of the media cache: one file every ``interval_s``.

Disks on display PCs fail slowly (and power cuts on cheap SSDs do odd
things); a corrupt file would otherwise show as a broken item until the next
manifest. :class:`CacheVerifier` re-hashes the file verified longest ago,
slowly enough not to disturb playback; a file that no longer hashes to its name
is removed and ``on_corrupt(sha256)`` is called (the sync fetches it again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from player.cache import MediaCache
from player.worker import WorkerThread

log = logging.getLogger("player.verifier")


class CacheVerifier:
    def __init__(self, cache: MediaCache, interval_s: float, on_corrupt: Callable[[str], None]) -> None:
        self.cache = cache
        self.interval_s = interval_s
        self.on_corrupt = on_corrupt
        self.checked = 0
        self.corrupt = 0
        self._worker = WorkerThread("player-verifier", self._run)

    def start(self) -> None:
        if self.interval_s > 0:
            self._worker.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._worker.stop(timeout_s)

    def check_one(self) -> None:
        result = self.cache.verify_next()
        if result is None:
            return
        sha, ok = result
        self.checked += 1
        if not ok:
            self.corrupt += 1
            try:
                self.on_corrupt(sha)
            except Exception:
                log.exception("corrupt-file handler failed")

    def _run(self) -> None:
        while not self._worker.stopping.wait(self.interval_s):
            try:
                self.check_one()
            except Exception:  # never let the verifier die
                log.exception("cache verification failed")
