"""The one rate limiter: a token bucket (bandwidth) and one bucket per key (requests per address)."""

from __future__ import annotations

from typing import Any

import pytest

from signage.ratelimit import MAX_TRACKED_KEYS, KeyedLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_bucket_take_waits_for_the_debt() -> None:
    clock = FakeClock()
    slept: list[float] = []
    bucket = TokenBucket(1000, burst=100, clock=clock)
    bucket.take(100, sleep=slept.append)  # the burst passes at once
    assert slept == []
    bucket.take(500, sleep=slept.append)  # 500 bytes of debt at 1000 B/s
    assert slept == [pytest.approx(0.5)]


def test_unlimited_bucket_never_waits() -> None:
    bucket = TokenBucket(0, burst=1)
    assert bucket.unlimited
    bucket.take(10**9, sleep=lambda s: pytest.fail("slept"))
    assert all(bucket.try_take() for _ in range(1000))


def test_keyed_limiter_allows_per_minute_per_key_and_refills() -> None:
    clock = FakeClock()
    limiter = KeyedLimiter(6, clock=clock)
    assert [limiter.allow("10.0.0.1") for _ in range(7)] == [True] * 6 + [False]
    assert limiter.allow("10.0.0.2")  # another address has its own allowance
    clock.now_s += 10  # one request per 10 s refills
    assert limiter.allow("10.0.0.1") and not limiter.allow("10.0.0.1")


def test_keyed_limiter_forgets_the_least_recently_used_keys_but_not_busy_ones() -> None:
    clock = FakeClock()
    limiter = KeyedLimiter(2, clock=clock)
    for i in range(MAX_TRACKED_KEYS - 1):
        limiter.allow(f"idle{i}")
    clock.now_s += 60  # every bucket so far is full again: idle
    assert limiter.allow("busy") and limiter.allow("busy") and not limiter.allow("busy")
    assert limiter.allow("newcomer")  # over the limit of tracked keys: the least recently used one is dropped
    assert len(limiter._buckets) == MAX_TRACKED_KEYS and "idle0" not in limiter._buckets
    assert not limiter.allow("busy")  # the busy address kept its (empty) bucket
    with pytest.raises(ValueError):
        KeyedLimiter(0)


def test_a_flood_of_new_keys_forgets_the_least_recently_used_and_keeps_the_busy_one(monkeypatch: Any) -> None:
    from signage import ratelimit

    monkeypatch.setattr(ratelimit, "MAX_TRACKED_KEYS", 3)
    now = [0.0]
    limiter = ratelimit.KeyedLimiter(2, clock=lambda: now[0])
    assert limiter.allow("penyerang-0") and limiter.allow("penyerang-0")
    assert not limiter.allow("penyerang-0")  # used up
    limiter.allow("a")
    limiter.allow("b")
    assert limiter.blocked("penyerang-0")
    limiter.allow("penyerang-0")  # refused, but it is now the most recently used key
    for index in range(10):  # the attacker's address tries a new made-up user name each time
        limiter.allow(f"nama-palsu-{index}")  # each new key evicts one old key, not the whole table
        assert not limiter.allow("penyerang-0")  # the address in use is never the one forgotten
    assert len(limiter._buckets) == 3
    assert not limiter.allow("penyerang-0")  # the key in use was never forgotten: still refused
