"""A sliding-window rate limiter (per key, e.g. a client address)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from scheduler.errors import TooMany


class RateLimiter:
    def __init__(self, per_minute: int, what: str) -> None:
        self.per_minute = per_minute
        self.what = what
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str, now_s: float | None = None) -> None:
        """Record a hit for ``key``; raise TooMany beyond ``per_minute`` in the last 60 s."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            hits = self._hits[key]
            while hits and now_s - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                raise TooMany(f"too many {self.what} from this address; wait a minute", field=None)
            hits.append(now_s)
