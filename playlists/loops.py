"""Cyclic loops of item slots and the arithmetic to walk them without simulation.

A :class:`Loop` is what one manifest segment plays: its slots in order from
the segment start, each for ``duration_s``, cycling. Where a run of a loop
stands at instant *t* is a divmod and a bisect, so a round-robin run over hours
costs the same as one play.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate, chain
from operator import attrgetter
from typing import NamedTuple

Rank = tuple[str, int]  # (rule id, item index): global, so loops can be shared


@dataclass(frozen=True)
class Slot:
    """One item of one rule inside a loop; ``key`` identifies it for per-hour caps."""

    key: tuple[str, int]  # (rule id, index of the item within the rule)
    rule_id: str
    item_id: str
    duration_s: int
    rank: Rank
    max_per_hour: int | None = None

    def __reduce__(self) -> tuple[type[Slot], tuple[object, ...]]:
        return Slot, (self.key, self.rule_id, self.item_id, self.duration_s, self.rank, self.max_per_hour)


# C-level field readers: map() with these walks a loop's slots without a Python frame per slot
_DURATION_S = attrgetter("duration_s")
_ITEM_ID = attrgetter("item_id")
_RULE_ID = attrgetter("rule_id")
_RANK = attrgetter("rank")
_MAX_PER_HOUR = attrgetter("max_per_hour")


class Position(NamedTuple):
    """Where a run stands at an instant: slot index, seconds into it, whole cycles done."""

    slot: int
    into_s: int
    cycles: int


class Loop:
    """Slots in play order with prefix sums; the rest is computed on first use."""

    __slots__ = (
        "_item_ids",
        "_rank_index",
        "_ranks",
        "_rotations",
        "_rule_ids",
        "_whys",
        "cap_keys",
        "cap_single",
        "cap_starts",
        "cap_table",
        "capped",
        "durations",
        "max_by_key",
        "n",
        "period_s",
        "prefix",
        "slots",
    )

    def __init__(self, slots: tuple[Slot, ...]) -> None:
        self.slots = slots
        self.n = len(slots)
        # tuples, not lists: the collector stops tracking a tuple of ints after its first pass, and the
        # shared loop cache keeps thousands of loops alive for it to walk again and again
        self.durations = tuple(map(_DURATION_S, slots))
        self.prefix = (0, *accumulate(self.durations))
        self.period_s = self.prefix[-1]
        caps = list(map(_MAX_PER_HOUR, slots))
        self.capped = caps.count(None) != self.n
        self.max_by_key: dict[tuple[str, int], int] = {}
        # capped slots: (key, max per hour, the cycle offsets where the key's slots start, ascending)
        self.cap_table: tuple[tuple[tuple[str, int], int, tuple[int, ...]], ...] = ()
        # when each capped key has one slot (no weight, no playlist): its start offsets ascending, and
        # (key, cap) in the same order, so a run shorter than a cycle finds its capped starts by bisection
        self.cap_single = True
        self.cap_starts: tuple[int, ...] = ()
        self.cap_keys: tuple[tuple[tuple[str, int], int], ...] = ()
        if self.capped:
            self._index_caps(caps)
        self._item_ids: tuple[str, ...] | None = None
        self._rule_ids: frozenset[str] | None = None
        self._ranks: tuple[Rank, ...] | None = None
        self._rank_index: tuple[list[Rank], dict[Rank, int]] | None = None
        self._rotations: dict[int, tuple[str, ...]] = {}
        self._whys: dict[str, str] = {}

    def _index_caps(self, caps: list[int | None]) -> None:
        """Fill the cap fields from each slot's ``max_per_hour`` (None: uncapped)."""
        slots, prefix = self.slots, self.prefix
        starts: dict[tuple[str, int], list[int]] = {}
        for i, cap in [(i, cap) for i, cap in enumerate(caps) if cap is not None]:  # the few capped slots
            key = slots[i].key
            self.max_by_key[key] = cap
            starts.setdefault(key, []).append(prefix[i])
        self.cap_table = tuple((key, self.max_by_key[key], tuple(at)) for key, at in starts.items())
        self.cap_single = all(len(at) == 1 for _, _, at in self.cap_table)
        if self.cap_single:
            ordered = sorted((at[0], key, cap) for key, cap, at in self.cap_table)
            self.cap_starts = tuple(at for at, _, _ in ordered)
            self.cap_keys = tuple((key, cap) for _, key, cap in ordered)

    @property
    def item_ids(self) -> tuple[str, ...]:
        if self._item_ids is None:
            self._item_ids = tuple(map(_ITEM_ID, self.slots))
        return self._item_ids

    @property
    def rule_ids(self) -> frozenset[str]:
        if self._rule_ids is None:
            self._rule_ids = frozenset(map(_RULE_ID, self.slots))
        return self._rule_ids

    def why(self, layer: str) -> str:
        """``normal round-robin of 3 item(s), rules a, b, c``: distinct items (not weighted slots) and who."""
        text = self._whys.get(layer)
        if text is None:
            rules = sorted(self.rule_ids)
            named = ", ".join(rules[:3]) + (f" +{len(rules) - 3} more" if len(rules) > 3 else "")
            items = len(set(map(_ITEM_ID, self.slots)))  # not self.item_ids: kept only if asked for
            text = self._whys[layer] = (
                f"{layer} round-robin of {items} item(s), rule{'s' if len(rules) > 1 else ''} {named}"
            )
        return text

    def without(self, excluded: frozenset[tuple[str, int]]) -> Loop | None:
        """This loop minus the slots whose key is in ``excluded`` (order kept)."""
        slots = tuple([s for s in self.slots if s.key not in excluded])
        return Loop(slots) if slots else None

    def rotated_item_ids(self, pos: int) -> tuple[str, ...]:
        ids = self._rotations.get(pos)
        if ids is None:
            ids = self.item_ids[pos:] + self.item_ids[:pos]
            self._rotations[pos] = ids
        return ids

    def locate(self, pos: int, elapsed_s: int) -> Position:
        """Position ``elapsed_s`` after a run that started at slot ``pos``."""
        cycles, offset = divmod(self.prefix[pos] + elapsed_s, self.period_s)
        index = bisect_right(self.prefix, offset) - 1
        return Position(index, offset - self.prefix[index], cycles)

    def boundary_after(self, pos: int, elapsed_s: int) -> int:
        """Elapsed seconds of the first slot boundary at or after ``elapsed_s``."""
        p = self.locate(pos, elapsed_s)
        return elapsed_s if p.into_s == 0 else elapsed_s + self.durations[p.slot] - p.into_s

    def next_after_rank(self, rank: Rank | None) -> int:
        """Slot index to continue a round robin after a slot of ``rank`` played."""
        if rank is None:
            return 0
        if self._rank_index is not None:  # asked before: a bisection
            ordered, first = self._rank_index
            i = bisect_right(ordered, rank)
            return first[ordered[i]] if i < len(ordered) else first[ordered[0]]
        if self._ranks is None:  # asked once, as most loops are (a capped variant): a scan in C, no sort
            self._ranks = tuple(map(_RANK, self.slots))
            after = min(filter(rank.__lt__, self._ranks), default=None)
            return self._ranks.index(min(self._ranks) if after is None else after)
        # asked again (a loop the cache hands out over and over): rank -> its first slot, built from the
        # last slot back so an earlier slot's index wins, and the ranks sorted for bisection
        first = dict(zip(reversed(self._ranks), range(self.n - 1, -1, -1), strict=True))
        self._rank_index = (sorted(first), first)
        return self.next_after_rank(rank)


def cycle_offsets(starts: tuple[int, ...], base: int, period_s: int) -> list[int]:
    """``starts`` (ascending cycle offsets) seen from a run starting at cycle offset ``base``, ascending."""
    if len(starts) == 1:
        return [(starts[0] - base) % period_s]
    i = bisect_left(starts, base)
    return [s - base for s in starts[i:]] + [s - base + period_s for s in starts[:i]]


def starts_before(offsets: list[int], period_s: int, elapsed_s: int) -> int:
    """How many slot starts (at ``offsets`` + k * period) fall in [0, elapsed_s)."""
    return sum((elapsed_s - o - 1) // period_s + 1 for o in offsets if o < elapsed_s)


def round_robin(entities: list[tuple[Rank, int, tuple[Slot, ...]]]) -> tuple[Slot, ...]:
    """Order rule blocks (rank, weight, slots) into one cycle.

    With equal weights this is plain rank order, so every rule plays once per
    cycle. A rule of weight w appears w times, at the fractions (k + 0.5) / w
    of the cycle, so its plays are spread as evenly as the others allow.
    """
    return round_robin_sorted(sorted(entities, key=lambda e: e[0]))


def round_robin_sorted(entities: list[tuple[Rank, int, tuple[Slot, ...]]]) -> tuple[Slot, ...]:
    """:func:`round_robin` of blocks already in rank order."""
    marks: dict[float, list[int]] = {}  # fraction of the cycle -> blocks there, in rank order
    for i, (_, weight, _) in enumerate(entities):
        if weight == 1:
            marks.setdefault(0.5, []).append(i)
        else:
            for k in range(weight):
                marks.setdefault((k + 0.5) / weight, []).append(i)
    if len(marks) == 1:
        return tuple(chain.from_iterable([slots for _, _, slots in entities]))
    return tuple(chain.from_iterable([entities[i][2] for mark in sorted(marks) for i in marks[mark]]))
