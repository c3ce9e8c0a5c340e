"""Keep the scheduler's long-lived objects out of the cyclic garbage collector's full passes.

A running scheduler holds a large, stable heap (every display's latest manifest, schedule warnings,
rule and loop caches, thousands of held event streams). CPython's full (generation 2) collection
walks all of it, on whichever thread allocates at that moment -- usually the event loop: with 2,000
displays and their streams each pass took ~350 ms, every few seconds, and collected nothing. Those
pauses were the p99 of every player request (bench_api_load: p50 1 ms, p99 90-300 ms at a third of
one core).

:func:`settle` collects and then moves every surviving object to the permanent generation
(``gc.freeze()``), which later passes skip. The server settles after its start-up publish and then
every minute; such a pass only walks what was made since the last one (a few ms). Once an hour (and
after the start-up publish) it first unfreezes, so an object that was alive at an earlier pass and
has since become cyclic garbage is collected: the one full walk is paid hourly, not every few
seconds, and nothing unreachable is kept longer than an hour. When the server stops, everything is
unfrozen again.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger("scheduler.gcpause")


SETTLE_INTERVAL_S = 60.0
FULL_INTERVAL_S = 3600.0


def settle(full: bool = False) -> float:
    """Collect, then freeze what is left; ``full``: unfreeze first (walk the whole heap). The pause in s."""
    started = time.perf_counter()
    if full:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
    pause_s = time.perf_counter() - started
    log.debug("gc settled (%s): %d objects frozen, %.0f ms", "full" if full else "new objects", gc.get_freeze_count(),
              pause_s * 1000)  # fmt: skip
    return pause_s


async def settle_loop(interval_s: float = SETTLE_INTERVAL_S, full_interval_s: float = FULL_INTERVAL_S) -> None:
    """Settle every ``interval_s``, a full settle every ``full_interval_s`` (the server's task)."""
    last_full_s = time.monotonic()
    while True:
        await asyncio.sleep(interval_s)
        full = time.monotonic() - last_full_s >= full_interval_s
        if full:
            last_full_s = time.monotonic()
        settle(full)


def release() -> None:
    """Give every frozen object back to the collector (the server stopped)."""
    gc.unfreeze()
