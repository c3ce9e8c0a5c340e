"""Long-lived objects are frozen out of the collector's passes; cyclic garbage is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from scheduler import gcpause


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gcpause.release()
    gc.collect()


def test_a_settle_freezes_the_survivors_so_later_passes_skip_them() -> None:
    kept = [Node() for _ in range(1000)]
    gcpause.settle(full=True)
    assert gc.get_freeze_count() >= len(kept)
    walked = {id(obj) for generation in range(3) for obj in gc.get_objects(generation)}
    assert not any(id(node) in walked for node in kept)  # in no generation: no pass walks them


def test_garbage_made_after_a_settle_is_collected_by_the_next_one() -> None:
    gcpause.settle(full=True)
    ref = _cycle()
    assert ref() is not None
    gcpause.settle()
    assert ref() is None


def test_a_cycle_frozen_while_alive_is_collected_by_the_next_full_settle() -> None:
    holder = [Node()]
    holder[0].other = Node()
    holder[0].other.other = holder[0]
    ref = weakref.ref(holder[0])
    gcpause.settle(full=True)  # alive now: frozen
    holder.clear()  # unreachable from now on, but frozen
    gcpause.settle()
    assert ref() is not None, "a partial settle does not walk what is frozen"
    gcpause.settle(full=True)
    assert ref() is None
