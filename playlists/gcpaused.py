"""Pause the cyclic garbage collector while a display compiles.

A compile allocates hundreds of thousands of short-lived, acyclic objects (tuples, lists, loops);
each allocation burst triggers collections that also walk the process's long-lived heap (rule spans
and loops shared between compiles, a publish's rules), which cost ~40 % of a compile in a
5,000-rule world (``benchmarks/bench_compile.py``). Nothing a compile makes needs the cyclic
collector: reference counting frees it. So the collector is off for the compile's duration and back
on afterwards (the next automatic pass then sees what little was left). Thread-safe and nestable:
the collector comes back on when the last compile that paused it ends, and only if it was on.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
