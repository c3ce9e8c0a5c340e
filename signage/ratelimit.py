"""The one rate limiter: a token bucket, alone (bandwidth) or one per key (requests per client address).

A bucket holds up to ``burst`` tokens and refills at ``rate_per_s``. The
player's downloads ``take()`` bytes (blocking until they may pass); the
scheduler asks a :class:`KeyedLimiter` whether a client address may make one
more request (``allow()``, never blocking).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

#: A keyed limiter forgets idle keys (full buckets) once it tracks this many.
MAX_TRACKED_KEYS = 10_000


class TokenBucket:
    """Thread-safe token bucket; a rate of 0 or less means unlimited."""

    def __init__(self, rate_per_s: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s = float(rate_per_s)
        self.burst = max(float(burst), 1.0)
        self._clock = clock
        self._tokens = self.burst
        self._stamp_s = clock()
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        return self.rate_per_s <= 0

    def _refill(self, now_s: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now_s - self._stamp_s) * self.rate_per_s)
        self._stamp_s = now_s

    def try_take(self, count: float = 1.0) -> bool:
        """Take ``count`` tokens if there are that many; never waits."""
        if self.unlimited:
            return True
        with self._lock:
            self._refill(self._clock())
            if self._tokens < count:
                return False
            self._tokens -= count
            return True

    def take(self, count: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Take ``count`` tokens, going into debt, and wait until the debt is paid."""
        if self.unlimited:
            return
        with self._lock:
            self._refill(self._clock())
            self._tokens -= count
            wait_s = -self._tokens / self.rate_per_s if self._tokens < 0 else 0.0
        if wait_s > 0:
            sleep(wait_s)

    def available(self) -> float:
        """Tokens there now (refilled to this instant)."""
        with self._lock:
            self._refill(self._clock())
            return self._tokens

    def is_full(self) -> bool:
        with self._lock:
            self._refill(self._clock())
            return self._tokens >= self.burst


class KeyedLimiter:
    """One bucket per key (e.g. a client address): ``per_minute`` hits per ``window_s`` (60 s unless told
    otherwise), bursting up to that many."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, window_s: float = 60.0) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.per_minute = per_minute
        self.window_s = window_s
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def _bucket(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED_KEYS:
                # forget the least recently used key: O(1), so a flood of new keys (made-up user names) cannot
                # make every request walk the whole table
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = TokenBucket(self.per_minute / self.window_s, self.per_minute, self._clock)
        else:
            self._buckets.move_to_end(key)
        return bucket

    def allow(self, key: str) -> bool:
        """Take a hit for ``key``; False (nothing taken) when its bucket is empty."""
        with self._lock:
            bucket = self._bucket(key)
        return bucket.try_take()

    def blocked(self, key: str) -> bool:
        """True while ``key`` has no hit left (nothing is taken)."""
        with self._lock:
            bucket = self._buckets.get(key)
        return bucket is not None and not bucket.unlimited and bucket.available() < 1.0

    def record(self, key: str) -> None:
        """Count a hit for ``key`` without refusing anything (e.g. a failed login)."""
        with self._lock:
            bucket = self._bucket(key)
        bucket.try_take()

    def clear(self, key: str) -> None:
        with self._lock:
            self._buckets.pop(key, None)
