"""The round-robin sweep: fill available time with loops, interrupts and caps.

Within the spans where looped content may play (operating hours minus
emergencies), the sweep walks forward from event to event:

* a change in which rules are live (daypart, validity, day) takes effect at its
  exact second; the item playing then is cut and counts as played;
* a due interrupt spot waits for the current item to finish, then plays;
* a rule with ``max_per_hour`` leaves the loop once it has started that many
  times in the (UTC-aligned) hour and comes back at the next hour;
* when no normal rule is live (or all are capped), fallback rules loop, and
  failing those the display's own fallback items.

Between events a run is one :class:`~playlists.timeline.Run`, computed by
arithmetic on the loop, so the cost is per event, not per play. The round
robin continues across runs: after any interruption the next item is the one
following the last item that started.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain

from playlists.budget import CHECK_EVERY
from playlists.intervals import Span
from playlists.loops import Loop, Rank, Slot, cycle_offsets, round_robin_sorted, starts_before
from playlists.timeline import EMPTY_LOOP, Run, RunColumns, RunTable, runs_from_columns

HOUR_S = 3600
NEVER = 1 << 62


@dataclass
class Entity:
    """A looped rule on one display: its slots and where it is live."""

    rule_id: str
    layer: str  # "normal", "fallback" or "overlay"
    rank: Rank
    weight: int
    slots: tuple[Slot, ...]
    spans: Sequence[Span]
    cache_key: object = None  # names it in loop-cache keys; None: its rule id

    def __post_init__(self) -> None:
        if self.cache_key is None:
            self.cache_key = self.rule_id


@dataclass(frozen=True)
class SpotRule:
    """An interrupt rule's spot: what plays when one of its due times comes."""

    loop: Loop
    rule_id: str
    why: str


LoopCache = dict[tuple[tuple[object, ...], frozenset[tuple[str, int]]], "Loop | None"]


@dataclass
class _State:
    """Round-robin memory of one layer."""

    last_rank: Rank | None = None
    loop: Loop | None = None
    pos_after: int = 0
    count_hour: int = -1
    counts: dict[tuple[str, int], int] = field(default_factory=dict)
    excluded: frozenset[tuple[str, int]] = frozenset()


class Sweep:
    """One zone of one display. Writes its runs, in time order, into ``self.cols``.

    Loops and labels are numbered in ``table`` (shared by the display's zones);
    ``fixed`` runs (start, end, loop no, pos, label no), sorted and outside the
    swept components, are interleaved so the columns stay ordered by start.
    """

    def __init__(
        self,
        zone: str,
        primary_layer: str,
        entities: list[Entity],
        spots: list[tuple[int, int]],
        spot_rules: list[SpotRule],
        base_fallback: Entity | None,
        loop_cache: LoopCache | None = None,
        table: RunTable | None = None,
        check: Callable[[], None] | None = None,
    ) -> None:
        self.zone = zone
        self.check = check  # called every CHECK_EVERY steps; raises to stop an over-budget compile
        self.primary_layer = primary_layer
        self.entities = sorted(entities, key=lambda e: e.rank)  # index order = rank order
        self.spots = spots  # (due instant, index into spot_rules), sorted
        self.spot_rules = spot_rules
        self.base_fallback = base_fallback
        self.table = table if table is not None else RunTable()
        self.cols = RunColumns()
        self.holes: list[Span] = []
        self.unseen: set[str] = {e.rule_id for e in entities} | {s.rule_id for s in spot_rules}
        self._loops: LoopCache = loop_cache if loop_cache is not None else {}
        self._by_id = {e.rule_id: e for e in entities}
        if base_fallback is not None:
            self._by_id[base_fallback.rule_id] = base_fallback
        self._picks: dict[frozenset[int], list[tuple[str, tuple[object, ...], list[Entity]]]] = {}
        self._states = {primary_layer: _State(), "fallback": _State(), "base": _State()}
        self._excluded_changed = False

    @property
    def runs(self) -> list[Run]:
        return runs_from_columns(self.table, self.cols)

    # -- loops -------------------------------------------------------------
    def _layers(self, active: frozenset[int]) -> list[tuple[str, tuple[object, ...], list[Entity]]]:
        """The layers to try, in order, for this set of live entities: (layer, ids, entities)."""
        picked = self._picks.get(active)
        if picked is None:
            entities, primary = self.entities, self.primary_layer
            chosen = [entities[i] for i in sorted(active)]  # rank order
            picked = []
            for layer, match in ((primary, primary), ("fallback", "fallback")):
                mine = [e for e in chosen if e.layer == match]
                if mine:
                    picked.append((layer, tuple([e.cache_key for e in mine]), mine))
            if self.base_fallback is not None:
                picked.append(("base", (self.base_fallback.cache_key,), [self.base_fallback]))
            self._picks[active] = picked
        return picked

    def _pick(self, t: int, active: frozenset[int]) -> tuple[str, _State, Loop] | None:
        hour = t // HOUR_S
        for layer, ids, entities in self._layers(active):
            state = self._states[layer]
            if state.count_hour != hour:
                state.count_hour = hour
                if state.counts or state.excluded:
                    state.counts, state.excluded = {}, frozenset()
            excluded = state.excluded
            key = (ids, excluded)
            loop = self._loops[key] if key in self._loops else self._new_loop(ids, excluded, entities)
            if loop is not None:
                return layer, state, loop
        return None

    def _new_loop(
        self, ids: tuple[object, ...], excluded: frozenset[tuple[str, int]], entities: list[Entity]
    ) -> Loop | None:
        if excluded:
            key: tuple[tuple[object, ...], frozenset[tuple[str, int]]] = (ids, frozenset())
            full = self._loops[key] if key in self._loops else self._new_loop(ids, frozenset(), entities)
            loop = full.without(excluded) if full is not None else None
        else:  # entities are in rank order
            blocks = [(e.rank, e.weight, e.slots) for e in entities if e.slots]
            loop = Loop(round_robin_sorted(blocks)) if blocks else None
        self._loops[(ids, excluded)] = loop
        return loop

    # -- the walk ----------------------------------------------------------
    def run(self, components: Sequence[Span], fixed: Sequence[tuple[int, int, int, int, int]] = ()) -> None:
        events: list[tuple[int, int, int]] = []
        for i, e in enumerate(self.entities):
            for start, end in e.spans:
                events.append((start, 1, i))
                events.append((end, -1, i))
        events.sort()
        n_events = len(events)
        next_ev = events[0][0] if events else NEVER
        spot_at = [due for due, _ in self.spots]
        spot_rule = [j for _, j in self.spots]
        n_spots = len(spot_at)
        next_spot = spot_at[0] if spot_at else NEVER
        table, zone = self.table, self.zone
        spot_info = [
            (s.loop.period_s, table.loop_no(s.loop), table.label_no(zone, "interrupt", s.why), s.rule_id)
            for s in self.spot_rules
        ]
        states = list(self._states.values())
        cols = self.cols
        ends = cols.end
        add_start, add_end, add_loop, add_pos, add_label = (
            cols.start.append,
            ends.append,
            cols.loop.append,
            cols.pos.append,
            cols.label.append,
        )
        unseen = self.unseen
        holes = self.holes
        labels = {self.primary_layer: self.primary_layer, "fallback": "fallback", "base": "fallback"}
        ev = si = fi = 0
        n_fixed = len(fixed)
        active_set: set[int] = set()
        active: frozenset[int] = frozenset()
        picked: tuple[str, _State, Loop] | None = None
        # the current pick, kept in locals and written back to its _State on the next pick
        state: _State | None = None
        loop: Loop = EMPTY_LOOP
        prefix: tuple[int, ...] = (0,)
        period = 1
        capped = False
        loop_no = label_no = 0
        pos = 0  # slot the next run of `loop` starts with
        last = -1  # slot of `loop` that started last (-1: none yet in this pick)
        check_seen = False
        dirty = True  # the live loop must be picked again
        hour_end = -1  # while caps count, the pick also expires at the next hour
        # merge bookkeeping: the last run may be extended by a run continuing it
        last_loop: Loop | None = None
        last_pos_after = -1
        check, steps = self.check, 0
        for ca, cb in components:
            while fi < n_fixed and fixed[fi][0] < ca:
                add_start(fixed[fi][0]), add_end(fixed[fi][1]), add_loop(fixed[fi][2])
                add_pos(fixed[fi][3]), add_label(fixed[fi][4])
                fi += 1
            while next_spot < ca:  # fell due during an emergency or while off: dropped
                si += 1
                next_spot = spot_at[si] if si < n_spots else NEVER
            t = ca
            last_loop = None
            while t < cb:
                steps += 1
                if check is not None and steps % CHECK_EVERY == 0:
                    check()
                if next_ev <= t:
                    while next_ev <= t:
                        _, delta, idx = events[ev]
                        if delta > 0:
                            active_set.add(idx)
                        else:
                            active_set.discard(idx)
                        ev += 1
                        next_ev = events[ev][0] if ev < n_events else NEVER
                    active = frozenset(active_set)
                    dirty = True
                if next_spot <= t:
                    spot_s, spot_loop_no, spot_label_no, spot_rule_id = spot_info[spot_rule[si]]
                    si += 1
                    next_spot = spot_at[si] if si < n_spots else NEVER
                    end = t + spot_s
                    if end > cb:
                        end = cb
                    unseen.discard(spot_rule_id)
                    add_start(t), add_end(end), add_loop(spot_loop_no), add_pos(0), add_label(spot_label_no)
                    last_loop = None
                    t = end
                    continue
                if dirty or t >= hour_end:
                    if state is not None:  # write the round robin's memory back
                        if last >= 0:
                            state.last_rank = loop.slots[last].rank
                        state.loop, state.pos_after = loop, pos
                    picked = self._pick(t, active)
                    dirty = False
                    hour_end = NEVER
                    if picked is None:
                        state = None
                    else:
                        layer, state, loop = picked
                        capped = loop.capped
                        if capped or any(st.excluded for st in states):
                            hour_end = (t // HOUR_S + 1) * HOUR_S
                        prefix, period = loop.prefix, loop.period_s
                        label = labels[layer]
                        loop_no = table.loop_no(loop)
                        label_no = table.label_no(zone, label, loop.why(label))
                        check_seen = bool(unseen) and not loop.rule_ids.isdisjoint(unseen)
                        pos = state.pos_after if state.loop is loop else loop.next_after_rank(state.last_rank)
                        last = -1
                hard = next_ev if next_ev < cb else cb
                if picked is None:
                    stop = hard if hard < next_spot else next_spot
                    if holes and holes[-1][1] == t:
                        holes[-1] = (holes[-1][0], stop)
                    else:
                        holes.append((t, stop))
                    last_loop = None
                    t = stop
                    continue
                soft = hour_end if hour_end < next_spot else next_spot
                end = hard
                if soft < end:
                    # first slot boundary at or after `soft`
                    offset = (prefix[pos] + soft - t) % period
                    k = bisect_right(prefix, offset) - 1
                    boundary = soft if offset == prefix[k] else soft + prefix[k + 1] - offset
                    if boundary < end:
                        end = boundary
                if capped:
                    assert state is not None
                    end = self._count_caps(loop, state, pos, t, end)
                    if self._excluded_changed:
                        self._excluded_changed = False
                        dirty = True
                # where the run stops: next slot to start, last slot started
                offset = (prefix[pos] + end - t) % period
                k = bisect_right(prefix, offset) - 1
                if offset == prefix[k]:
                    pos_after, last, at_boundary = k, k - 1, True
                else:
                    pos_after, last, at_boundary = k + 1, k, False
                if pos_after == loop.n:
                    pos_after = 0
                if last < 0:
                    last += loop.n
                if check_seen:
                    if loop.rule_ids.isdisjoint(unseen):
                        check_seen = False
                    else:
                        self._mark_seen(loop, pos, end - t)
                if last_loop is loop and last_pos_after == pos and ends[-1] == t:
                    ends[-1] = end
                else:
                    add_start(t), add_end(end), add_loop(loop_no), add_pos(pos), add_label(label_no)
                last_loop = loop if at_boundary else None
                last_pos_after = pos = pos_after
                t = end
        if state is not None:
            if last >= 0:
                state.last_rank = loop.slots[last].rank
            state.loop, state.pos_after = loop, pos
        while fi < n_fixed:
            add_start(fixed[fi][0]), add_end(fixed[fi][1]), add_loop(fixed[fi][2])
            add_pos(fixed[fi][3]), add_label(fixed[fi][4])
            fi += 1

    def _count_caps(self, loop: Loop, state: _State, pos: int, t: int, end: int) -> int:
        """Cut the run where a capped slot would exceed its hourly cap; count starts."""
        base, period = loop.prefix[pos], loop.period_s
        if loop.cap_single and end - t <= period:
            # each capped key starts at most once in the run, and never beyond its cap: a key may start
            # while fewer than its cap did, and its next start is a whole cycle later. Count the keys
            # whose start offset lies in [base, base + elapsed) of the cycle (wrapping past its end).
            starts, reach = loop.cap_starts, base + end - t
            lo = bisect_left(starts, base)
            hi = bisect_left(starts, reach, lo)
            wrap = bisect_left(starts, reach - period, 0, lo) if reach > period else 0
            if hi > lo or wrap:  # most runs start no capped slot
                keys = loop.cap_keys
                self._count_starts(state, [(*keys[i], 1) for i in chain(range(lo, hi), range(wrap))])
            return end
        counts = state.counts
        seen = []
        for key, cap, at in loop.cap_table:
            offs = cycle_offsets(at, base, period)
            cycles, k = divmod(cap - counts.get(key, 0), len(offs))
            stop = t + cycles * period + offs[k]
            if stop < end:
                end = stop
            seen.append((key, cap, offs))
        self._count_starts(state, [(key, cap, starts_before(offs, period, end - t)) for key, cap, offs in seen])
        return end

    def _count_starts(self, state: _State, started: list[tuple[tuple[str, int], int, int]]) -> None:
        """Add (key, cap, starts in this run) to the hour's counts; a key at its cap leaves the loop."""
        counts = state.counts
        full = []
        for key, cap, n in started:
            count = counts[key] = counts.get(key, 0) + n
            if count >= cap:
                full.append(key)
        if full:
            state.excluded = state.excluded | frozenset(full)
            self._excluded_changed = True

    def _mark_seen(self, loop: Loop, pos: int, elapsed_s: int) -> None:
        if elapsed_s >= loop.period_s:
            self.unseen -= loop.rule_ids
            return
        p = loop.locate(pos, elapsed_s)
        last = p.slot if p.into_s else p.slot - 1
        i = pos
        while True:
            self.unseen.discard(loop.slots[i].rule_id)
            if i == last % loop.n:
                break
            i = (i + 1) % loop.n
