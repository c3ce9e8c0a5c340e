"""A sliding-window rate limiter (per key, e.g. a client address or a user name)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from scheduler.errors import TooMany


class RateLimiter:
    def __init__(self, per_minute: int, what: str, window_s: float = 60.0) -> None:
        """At most ``per_minute`` hits per key within ``window_s`` (60 s unless told otherwise)."""
        self.per_minute = per_minute
        self.what = what
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now_s: float) -> deque[float]:
        hits = self._hits[key]
        while hits and now_s - hits[0] > self.window_s:
            hits.popleft()
        return hits

    def check(self, key: str, now_s: float | None = None) -> None:
        """Record a hit for ``key``; raise TooMany beyond ``per_minute`` in the window."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            hits = self._recent(key, now_s)
            if len(hits) >= self.per_minute:
                raise TooMany(f"too many {self.what} from this address; wait a minute", field=None)
            hits.append(now_s)

    def blocked(self, key: str, now_s: float | None = None) -> bool:
        """True while ``key`` has used up its hits in the window (nothing is recorded)."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            blocked = len(self._recent(key, now_s)) >= self.per_minute
            if not self._hits[key]:
                del self._hits[key]
            return blocked

    def record(self, key: str, now_s: float | None = None) -> None:
        """Count a hit for ``key`` without refusing it (e.g. a failed login)."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            self._recent(key, now_s).append(now_s)

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
