"""Per-address request limits for the HTTP API, on the one limiter in :mod:`signage.ratelimit`."""

from __future__ import annotations

import time
from collections.abc import Callable

from scheduler.errors import TooMany
from signage.ratelimit import KeyedLimiter


class RateLimiter:
    """``check(address)`` raises TooMany (429) beyond ``per_minute`` requests from that address."""

    def __init__(self, per_minute: int, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self._limiter = KeyedLimiter(per_minute, clock)

    @property
    def per_minute(self) -> int:
        return self._limiter.per_minute

    def check(self, key: str) -> None:
        if not self._limiter.allow(key):
            raise TooMany(f"too many {self.what} from this address; wait a minute", field=None)
