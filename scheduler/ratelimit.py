"""Per-key request limits (client address, user name) on the one limiter in :mod:`signage.ratelimit`."""

from __future__ import annotations

import time
from collections.abc import Callable

from scheduler.errors import TooMany
from signage.ratelimit import KeyedLimiter


class RateLimiter:
    """``check(key)`` raises TooMany (429) beyond ``per_minute`` hits per ``window_s`` from that key."""

    def __init__(self, per_minute: int, what: str, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.window_s = window_s
        self._clock = clock
        self._limiter = KeyedLimiter(per_minute, clock, window_s)

    @property
    def per_minute(self) -> int:
        return self._limiter.per_minute

    @per_minute.setter
    def per_minute(self, value: int) -> None:
        """A new limit (e.g. from a test or a reloaded setting); what was counted so far is forgotten."""
        self._limiter = KeyedLimiter(value, self._clock, self.window_s)

    def check(self, key: str) -> None:
        if not self._limiter.allow(key):
            raise TooMany(f"too many {self.what} from this address; wait a minute", field=None)

    def blocked(self, key: str) -> bool:
        """True while ``key`` has used up its hits (nothing is recorded)."""
        return self._limiter.blocked(key)

    def record(self, key: str) -> None:
        """Count a hit for ``key`` without refusing it (e.g. a failed login)."""
        self._limiter.record(key)

    def clear(self, key: str) -> None:
        self._limiter.clear(key)
