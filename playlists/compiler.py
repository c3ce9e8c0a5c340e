"""Rules -> per-display timeline for a horizon. Pure: the horizon start is passed in.

Per display, the main zone is resolved layer by layer (see docs/schedule.md):

1. ``emergency`` spans (ignore operating hours) pre-empt everything from their
   exact start; overlapping emergencies share a loop, the newest first;
2. ``off``: outside operating hours and not in an emergency (empty loop);
3. the rest is filled by :class:`playlists.sweep.Sweep`: interrupts at their
   share of voice, the ``normal`` round robin, ``fallback`` rules, and finally
   the display's own fallback items.

Overlay zones loop their ``overlay`` rules in the same available time.
Everything is integer seconds, sorted and free of set-order effects, so the
same input gives byte-identical output.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from typing import Any

from playlists.budget import DEFAULT_COMPILE_BUDGET_S, Deadline
from playlists.gcpaused import gc_paused
from playlists.interrupts import due_times, overloaded_hours
from playlists.intervals import Span, intersect, normalize, subtract, total_s
from playlists.loops import Loop, Slot
from playlists.model import Display, ItemSpec, Playlist, Rule
from playlists.sweep import Entity, LoopCache, SpotRule, Sweep
from playlists.timeline import (
    EMPTY_LOOP,
    Entry,
    Run,
    RunColumns,
    RunTable,
    columns_from_runs,
    columns_plausible,
    compact_json_from_columns,
    expand,
    runs_from_columns,
    segments_from_columns,
    segments_json_from_columns,
    utc,
)
from playlists.warnings import REASONS, ScheduleWarning
from playlists.windows import operating_spans, rule_spans
from signage.errors import UserError

DEFAULT_HORIZON_S = 14 * 86_400
BASE_FALLBACK_ID = "(display fallback)"
LOOP_CACHE_LIMIT = 20_000


class CompiledTimeline:
    """The compiled horizon of one display.

    Runs are kept as int columns over a table of loops and labels (a busy
    display's thousands of runs cost a few bytes each); :attr:`runs` and
    :attr:`entries` are built from them on first access, :meth:`segments`
    straight from the columns. Pickles compactly (each loop and slot once), so
    worker processes hand results back cheaply.
    """

    def __init__(
        self,
        display_id: str,
        horizon_start_s: int,
        horizon_end_s: int,
        runs: list[Run],
        warnings: list[ScheduleWarning],
        item_durations_s: dict[str, int],
    ) -> None:
        self.display_id = display_id
        self.horizon_start_s = horizon_start_s
        self.horizon_end_s = horizon_end_s
        self.warnings = warnings
        self.item_durations_s = item_durations_s  # the manifest's items[id].duration_s
        self._table, self._cols = columns_from_runs(sorted(runs, key=lambda r: (r.zone, r.start_s)))
        self._table.seal()

    @classmethod
    def _from_columns(
        cls,
        display_id: str,
        horizon_start_s: int,
        horizon_end_s: int,
        table: RunTable,
        cols: RunColumns,
        warnings: list[ScheduleWarning],
        item_durations_s: dict[str, int],
    ) -> CompiledTimeline:
        """From columns already ordered by (zone, start)."""
        self = cls.__new__(cls)
        self.display_id = display_id
        self.horizon_start_s = horizon_start_s
        self.horizon_end_s = horizon_end_s
        self.warnings = warnings
        self.item_durations_s = item_durations_s
        self._table, self._cols = table, cols
        return self

    def segment_count(self) -> int:
        """Number of runs (= manifest segments), without building them."""
        return len(self._cols)

    @cached_property
    def runs(self) -> list[Run]:
        """Runs ordered by (zone, start); each is exactly one manifest segment."""
        return runs_from_columns(self._table, self._cols)

    def __getstate__(self) -> dict[str, Any]:
        # arrays pickle as raw bytes; loops as their (memoised, shared) slots
        return {k: v for k, v in self.__dict__.items() if k not in ("runs", "entries", "_derived_memo")}

    @property
    def horizon_start(self) -> datetime:
        return utc(self.horizon_start_s)

    @property
    def horizon_end(self) -> datetime:
        return utc(self.horizon_end_s)

    @cached_property
    def entries(self) -> tuple[Entry, ...]:
        """Every concrete play, ordered by (zone, start). Built on first access."""
        return tuple(entry for run in self.runs for entry in expand(run))

    def segments(self) -> list[dict[str, Any]]:
        """The manifest ``timeline``: segment dicts ordered by (start, zone)."""
        return segments_from_columns(self._table, self._cols)

    def segments_json(self) -> bytes:
        """``canonical_json(self.segments())``, written straight from the columns (no segment dicts).

        Written once per timeline: copies made by :meth:`as_display` share it.
        """
        derived = self._derived()
        out = derived.get("json")
        if out is None:
            out = derived["json"] = segments_json_from_columns(self._table, self._cols)
        return out

    def compact_json(self) -> bytes:
        """The schema-2 manifest timeline (a loop table and int runs from the horizon start), as canonical
        JSON bytes: the same segments as :meth:`segments_json` in a tenth of the bytes or less."""
        derived = self._derived()
        out = derived.get("compact")
        if out is None:
            out = derived["compact"] = compact_json_from_columns(self._table, self._cols, self.horizon_start_s)
        return out

    def _derived(self) -> dict[str, Any]:
        """What is computed from the (immutable) columns, shared with the :meth:`as_display` copies."""
        derived = self.__dict__.get("_derived_memo")
        if derived is None:
            derived = self.__dict__["_derived_memo"] = {}
        return derived

    def as_display(self, display_id: str, placeholder: str) -> CompiledTimeline:
        """The same timeline for ``display_id``: ``placeholder`` (the id it was compiled under) replaced
        in its warnings. The columns and what is derived from them are shared, not copied.

        A timeline depends on a display's settings and the rules reaching it, never on its id
        (only warnings name it), so displays alike compile once (``scheduler.compile_share``).
        """
        copy = CompiledTimeline._from_columns(
            display_id,
            self.horizon_start_s,
            self.horizon_end_s,
            self._table,
            self._cols,
            [_warning_as(w, display_id, placeholder) for w in self.warnings],
            dict(self.item_durations_s),
        )
        copy.__dict__["_derived_memo"] = self._derived()
        return copy

    def plausible(self, zone_ids: Collection[str], layers: Collection[str], item_ids: Collection[str]) -> bool:
        """Whether :meth:`segments` would pass a manifest's timeline check (see ``signage.manifest``)."""
        return columns_plausible(self._table, self._cols, zone_ids, layers, item_ids)

    def segments_digest(self) -> str:
        """A SHA-256 over exactly what :meth:`segments` is made of: equal digests, equal segments.

        Costs a hash of the columns (no segment dicts), so a publisher can tell "no change" cheaply.
        """
        derived = self._derived()
        if "digest" in derived:
            return derived["digest"]
        table, cols = self._table, self._cols
        digest = hashlib.sha256()
        for column in (cols.start, cols.end, cols.loop, cols.pos, cols.label):
            digest.update(f"{column.typecode}{len(column)}:".encode())
            digest.update(column.tobytes())
        digest.update(json.dumps([[slot.item_id for slot in slots] for slots in table.slots]).encode())
        digest.update(json.dumps(table.labels).encode())
        derived["digest"] = digest.hexdigest()
        return derived["digest"]

    def used_item_ids(self) -> set[str]:
        """The items the segments' loops play (without building the segments)."""
        slots = self._table.slots
        return {slot.item_id for n in set(self._cols.loop) for slot in slots[n]}

    def zones(self) -> list[str]:
        table, cols = self._table, self._cols
        return sorted({table.labels[n][0] for n in set(cols.label)})

    def loops(self) -> list[Loop]:
        """The distinct loops the runs play (without building the runs)."""
        table, cols = self._table, self._cols
        loops = table.loops
        return [loops[n] for n in sorted(set(cols.loop))]


def _epoch_s(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise UserError("horizon_start: needs a time zone (use UTC)", field="horizon_start")
    if moment.microsecond:
        raise UserError("horizon_start: whole seconds only", field="horizon_start")
    return int(moment.timestamp())


def _rule_items(
    rule: Rule, items: Mapping[str, ItemSpec], playlists: Mapping[str, Playlist]
) -> tuple[ItemSpec, ...] | None:
    if rule.item is not None:
        ids: tuple[str, ...] = (rule.item,)
    else:
        assert rule.playlist is not None
        playlist = playlists.get(rule.playlist)
        if playlist is None:
            return None
        ids = playlist.items
    if any(i not in items for i in ids):
        return None
    return tuple(items[i] for i in ids)


def _slots(rule: Rule, specs: tuple[ItemSpec, ...]) -> tuple[Slot, ...]:
    return tuple(
        Slot((rule.id, k), rule.id, spec.id, spec.slot_s, (rule.id, k), rule.max_per_hour)
        for k, spec in enumerate(specs)
    )


def _warning_as(warning: ScheduleWarning, display_id: str, placeholder: str) -> ScheduleWarning:
    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(placeholder, display_id)
        if isinstance(value, list | tuple):
            return type(value)(swap(v) for v in value)
        if isinstance(value, dict):
            return {swap(k): swap(v) for k, v in value.items()}
        return value

    return replace(
        warning,
        message=swap(warning.message),
        display_id=swap(warning.display_id),
        detail={k: swap(v) for k, v in warning.detail.items()},
    )


def rules_targeting(display: Display, rules: Iterable[Rule]) -> list[Rule]:
    """The rules whose targets reach ``display`` (by id, group, tag or all), in order."""
    return _rules_targeting(display, rules)


def compile_display(
    display: Display,
    rules: Iterable[Rule],
    items: Mapping[str, ItemSpec],
    horizon_start: datetime,
    horizon_s: int = DEFAULT_HORIZON_S,
    *,
    playlists: Mapping[str, Playlist] | None = None,
    budget_s: float | None = DEFAULT_COMPILE_BUDGET_S,
    rules_targeted: bool = False,
) -> CompiledTimeline:
    """Compile ``display``'s horizon. ``rules`` may hold all rules; only those targeting it count
    (``rules_targeted``: ``rules`` are already those, see :func:`rules_targeting`).

    Raises :class:`playlists.budget.CompileBudgetExceeded` when it takes longer
    than ``budget_s`` (None: no time limit) or a rule has too many windows.
    """
    if horizon_s <= 0:
        raise UserError("horizon_s: must be positive", field="horizon_s")
    start_s = _epoch_s(horizon_start)
    mine = list(rules) if rules_targeted else _rules_targeting(display, rules)
    if len(_SHARED_LOOPS) > LOOP_CACHE_LIMIT or len(_SHARED_KEYS) > LOOP_CACHE_LIMIT:
        _SHARED_LOOPS.clear()
        _SHARED_KEYS.clear()
    check = Deadline(budget_s, display.id).check if budget_s is not None else None
    with gc_paused():  # only acyclic garbage; the collector's passes over the shared caches cost ~40 %
        return _compile(
            display, mine, items, playlists or {}, start_s, start_s + horizon_s, _SHARED_LOOPS, _SHARED_KEYS, check
        )


# Loops shared by successive compile_display calls (the displays of one edit share
# most rules). Rules and items may change between calls, so entities are named in
# the keys by a number standing for their whole content (rule id, weight, slots);
# numbers are never reused, so a stale loop can never be hit.
_SHARED_LOOPS: LoopCache = {}
_SHARED_KEYS: dict[tuple[Any, ...], int] = {}
_SHARED_COUNTER = itertools.count()


def _content_key(rule_id: str, weight: int, slots: tuple[Slot, ...], keys: dict[tuple[Any, ...], int]) -> int:
    content = (rule_id, weight, tuple([(s.item_id, s.duration_s, s.max_per_hour) for s in slots]))
    number = keys.get(content)
    if number is None:
        number = keys.setdefault(content, next(_SHARED_COUNTER))
    return number


def _rules_targeting(display: Display, rules: Iterable[Rule]) -> list[Rule]:
    """``[r for r in rules if targets_display(r.targets, display)]``, inlined: one pass, no calls."""
    return rules_addressing(rules, frozenset((display.id,)), frozenset(display.groups), frozenset(display.tags))


def rules_addressing(
    rules: Iterable[Rule], display_ids: frozenset[str], groups: frozenset[str], tags: frozenset[str]
) -> list[Rule]:
    """The rules, in order, addressing all displays or any of these display ids, groups or tags."""
    mine = []
    for rule in rules:
        targets = rule.targets
        if targets.all:
            mine.append(rule)
            continue
        ids, rule_groups, rule_tags = targets.names
        if (
            not display_ids.isdisjoint(ids)
            or (rule_groups and not groups.isdisjoint(rule_groups))
            or (rule_tags and not tags.isdisjoint(rule_tags))
        ):
            mine.append(rule)
    return mine


def _compile(
    display: Display,
    rules: list[Rule],
    items: Mapping[str, ItemSpec],
    playlists: Mapping[str, Playlist],
    h0: int,
    h1: int,
    loop_cache: LoopCache | None = None,
    content_keys: dict[tuple[Any, ...], int] | None = None,
    check: Callable[[], None] | None = None,
) -> CompiledTimeline:
    """Compile one display from the rules targeting it.

    ``loop_cache`` may be shared by displays compiled from the same rules and items;
    with ``content_keys`` it may be shared by any compiles (entities are keyed by content).
    """
    if loop_cache is None:
        loop_cache = {}
    warnings: list[ScheduleWarning] = []
    rules = sorted(rules, key=lambda r: r.id)
    tz = display.timezone
    on = operating_spans(display, h0, h1)
    resolved: list[tuple[int, Rule, tuple[ItemSpec, ...], list[Span]]] = []
    for rank, rule in enumerate(rules):
        specs = _rule_items(rule, items, playlists)
        if specs is None:
            warnings.append(_warn_unknown_item(display, rule))
            continue
        resolved.append((rank, rule, specs, list(rule_spans(rule, tz, h0, h1))))
        if check is not None:
            check()

    emergencies = [(rank, r, s, sp) for rank, r, s, sp in resolved if r.layer == "emergency"]
    emergency_cover = normalize(span for *_, spans in emergencies for span in spans)
    available = subtract(on, emergency_cover)
    off = subtract(subtract([(h0, h1)], on), emergency_cover)

    fixed: list[Run] = [Run(s, e, "main", "off", EMPTY_LOOP, 0, "outside operating hours") for s, e in off]
    fixed.extend(_emergency_runs(display, emergencies, warnings))
    fixed.sort(key=lambda r: r.start_s)
    table = RunTable()
    fixed_cols = [
        (r.start_s, r.end_s, table.loop_no(r.loop), r.pos, table.label_no(r.zone, r.layer, r.why)) for r in fixed
    ]

    entities: list[Entity] = []
    overlay: dict[str, list[Entity]] = {}
    interrupts = []
    for rank, rule, specs, spans in resolved:
        if rule.layer in ("normal", "fallback", "overlay"):
            slots = _slots(rule, specs)
            entity = Entity(
                rule.id,
                rule.layer,
                (rule.id, 0),
                rule.weight,
                slots,
                intersect(spans, available),
                None if content_keys is None else _content_key(rule.id, rule.weight, slots, content_keys),
            )
            if rule.layer == "overlay":
                overlay.setdefault(rule.zone, []).append(entity)
            else:
                entities.append(entity)
        elif rule.layer == "interrupt":
            interrupts.append((rank, rule, specs, intersect(spans, available)))

    spot_rules = [
        SpotRule(Loop(_slots(rule, specs)), rule.id, f"interrupt {rule.id}: {rule.share.effective_s_per_h:g} s/h")
        for _, rule, specs, _ in interrupts
        if rule.share is not None
    ]
    longest_s = max(
        (spec.slot_s for _, r, specs, _ in resolved if r.layer in ("normal", "fallback") for spec in specs), default=0
    )
    if display.fallback:
        longest_s = max([longest_s] + [items[i].slot_s for i in display.fallback if i in items])
    margin_s = longest_s + sum(s.loop.period_s for s in spot_rules)
    spots: list[tuple[int, int]] = []
    for j, (_, rule, _, spans) in enumerate(interrupts):
        assert rule.share is not None
        phase = (j + 0.5) / len(interrupts)
        period_s = spot_rules[j].loop.period_s
        spots.extend((t, j) for t in due_times(spans, rule.share.effective_s_per_h, period_s, phase, margin_s))
    spots.sort()

    base = None
    if display.fallback:
        base_specs = [items[i] for i in display.fallback if i in items]
        if base_specs:
            base_rule = Rule(id=BASE_FALLBACK_ID, item=base_specs[0].id)
            base_slots = _slots(base_rule, tuple(base_specs))
            base = Entity(
                BASE_FALLBACK_ID,
                "fallback",
                (BASE_FALLBACK_ID, 0),
                1,
                base_slots,
                [],
                None if content_keys is None else _content_key(BASE_FALLBACK_ID, 1, base_slots, content_keys),
            )

    if check is not None:
        check()
    main = Sweep("main", "normal", entities, spots, spot_rules, base, loop_cache, table, check)
    main.run(available, fixed_cols)
    by_zone = {"main": main.cols}
    unseen = set(main.unseen)
    if main.holes:
        warnings.append(_warn_empty(display, main.holes))

    for zone_name in sorted(overlay):
        if zone_name not in display.zones:
            for entity in overlay[zone_name]:
                warnings.append(_warn_zone(display, entity.rule_id, zone_name))
            continue
        sweep = Sweep(zone_name, "overlay", overlay[zone_name], [], [], None, loop_cache, table, check)
        sweep.run(available)
        by_zone[zone_name] = sweep.cols
        unseen |= sweep.unseen

    played_emergency = {r.id for _, r, _, spans in emergencies if spans}
    unseen |= {r.id for _, r, _, _ in emergencies} - played_emergency
    unseen.discard(BASE_FALLBACK_ID)
    warnings.extend(_warn_never(display, resolved, unseen, on, available))
    warnings.extend(_warn_share(display, interrupts))
    warnings.extend(_warn_canvas(display, resolved))

    durations = {spec.id: spec.slot_s for _, r, specs, _ in resolved for spec in specs}
    if base is not None:
        durations.update({s.item_id: s.duration_s for s in base.slots})
    table.seal()
    cols = RunColumns()
    for zone_name in sorted(by_zone):  # runs ordered by (zone, start)
        cols.extend(by_zone[zone_name])
    return CompiledTimeline._from_columns(display.id, h0, h1, table, cols, warnings, dict(sorted(durations.items())))


def _emergency_runs(
    display: Display,
    emergencies: list[tuple[int, Rule, tuple[ItemSpec, ...], list[Span]]],
    warnings: list[ScheduleWarning],
) -> list[Run]:
    events = sorted(
        (t, kind, i) for i, (*_, spans) in enumerate(emergencies) for s, e in spans for t, kind in ((s, 1), (e, 0))
    )
    active: dict[int, int] = {}  # index -> start of its current span
    runs: list[Run] = []
    loops: dict[tuple[int, ...], Loop] = {}
    overlaps: set[tuple[str, str]] = set()
    k = 0
    while k < len(events):
        t = events[k][0]
        while k < len(events) and events[k][0] == t:
            _, kind, i = events[k]
            if kind:
                active[i] = t
            else:
                active.pop(i, None)
            k += 1
        if not active or k >= len(events):
            continue
        # newest first: the latest start; at the same start the later announcement (ann-10 before ann-9)
        newest = sorted(active, key=lambda i: natural_key(emergencies[i][1].id), reverse=True)
        order = tuple(sorted(newest, key=lambda i: -active[i]))
        if order not in loops:
            slots = tuple(s for i in order for s in _slots(emergencies[i][1], emergencies[i][2]))
            loops[order] = Loop(slots)
        ids = [emergencies[i][1].id for i in order]
        runs.append(Run(t, events[k][0], "main", "emergency", loops[order], 0, "emergency " + ", ".join(ids)))
        if len(ids) > 1:
            for a in ids:
                for b in ids:
                    if a < b and (a, b) not in overlaps:
                        overlaps.add((a, b))
                        warnings.append(
                            ScheduleWarning(
                                "emergency_overlap",
                                f"Emergencies {a} and {b} overlap on display {display.id} from "
                                f"{utc(t):%Y-%m-%d %H:%M} UTC; they share the screen, newest first.",
                                display_id=display.id,
                                rule_id=a,
                                detail={"other_rule_id": b, "at": utc(t).isoformat()},
                            )
                        )
    return runs


def natural_key(rule_id: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key reading digit runs as numbers: ``ann-9`` < ``ann-10``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(rule_id) if part)


_DIGITS = re.compile(r"(\d+)")


def never_reason(rule: Rule, spans: Sequence[Span], on: list[Span], available: list[Span]) -> str:
    """Why a rule with these raw spans gets no play on a display (a REASONS key)."""
    if not spans:
        return "outside_horizon"
    if rule.layer == "emergency":
        return "crowded_out"
    inside = intersect(list(spans), on)
    if not inside:
        return "outside_operating_hours"
    if not intersect(inside, available):
        return "preempted_by_emergency"
    if rule.layer == "fallback":
        return "fallback_not_needed"
    return "crowded_out"


def _warn_never(
    display: Display,
    resolved: list[tuple[int, Rule, tuple[ItemSpec, ...], list[Span]]],
    unseen: set[str],
    on: list[Span],
    available: list[Span],
) -> list[ScheduleWarning]:
    out = []
    for _, rule, _, spans in resolved:
        if rule.id not in unseen or (rule.layer == "overlay" and rule.zone not in display.zones):
            continue
        reason = never_reason(rule, spans, on, available)
        out.append(
            ScheduleWarning(
                "never_plays",
                f"Rule {rule.id} never plays on display {display.id} in this horizon: {REASONS[reason]}.",
                display_id=display.id,
                rule_id=rule.id,
                item_id=rule.item,
                detail={"reason": reason},
            )
        )
    return out


def _warn_share(
    display: Display, interrupts: list[tuple[int, Rule, tuple[ItemSpec, ...], list[Span]]]
) -> list[ScheduleWarning]:
    active = []
    for _, rule, _, spans in interrupts:
        assert rule.share is not None
        active.append((rule.id, rule.share.effective_s_per_h, spans))
    out = []
    shares = {rule.id: rule.share.effective_s_per_h for _, rule, _, _ in interrupts if rule.share}
    for rule_ids, hours in overloaded_hours(active).items():
        pct = sum(shares[r] for r in rule_ids) / 36.0
        out.append(
            ScheduleWarning(
                "share_over_100",
                f"Interrupts {', '.join(rule_ids)} ask for {pct:.0f}% of the hour on display "
                f"{display.id} in {len(hours)} hour(s) from {utc(hours[0] * 3600):%Y-%m-%d %H:00} UTC; "
                "their spots will run late and normal content gets no turn.",
                display_id=display.id,
                rule_id=rule_ids[0],
                detail={
                    "rule_ids": list(rule_ids),
                    "percent": round(pct, 1),
                    "hours": len(hours),
                    "first_hour": utc(hours[0] * 3600).isoformat(),
                },
            )
        )
    return out


def _warn_canvas(
    display: Display, resolved: list[tuple[int, Rule, tuple[ItemSpec, ...], list[Span]]]
) -> list[ScheduleWarning]:
    out = []
    seen: set[str] = set()
    shown_w, shown_h = display.shown_size_px
    for _, rule, specs, _ in resolved:
        if rule.layer == "overlay":
            continue
        for spec in specs:
            if spec.id in seen or spec.orientation is None:
                continue
            seen.add(spec.id)
            assert spec.width_px and spec.height_px
            aspect_ratio = (spec.width_px / spec.height_px) / (shown_w / shown_h)
            if spec.orientation != display.orientation or not 0.9 <= aspect_ratio <= 1 / 0.9:
                out.append(
                    ScheduleWarning(
                        "canvas_mismatch",
                        f"Item {spec.id} is {spec.width_px}x{spec.height_px} ({spec.orientation}) "
                        f"but display {display.id} shows {shown_w}x{shown_h} ({display.orientation}); "
                        "it will be letterboxed or cropped.",
                        display_id=display.id,
                        rule_id=rule.id,
                        item_id=spec.id,
                        detail={"item_size": [spec.width_px, spec.height_px], "display_size": [shown_w, shown_h]},
                    )
                )
    return out


def _warn_unknown_item(display: Display, rule: Rule) -> ScheduleWarning:
    what = f"item {rule.item}" if rule.item is not None else f"playlist {rule.playlist}"
    return ScheduleWarning(
        "unknown_item",
        f"Rule {rule.id} names {what}, which does not exist (or holds a missing item); it is skipped.",
        display_id=display.id,
        rule_id=rule.id,
        item_id=rule.item,
    )


def _warn_zone(display: Display, rule_id: str, zone_name: str) -> ScheduleWarning:
    return ScheduleWarning(
        "zone_missing",
        f"Rule {rule_id} plays in zone {zone_name}, but display {display.id}'s layout has no such zone.",
        display_id=display.id,
        rule_id=rule_id,
        detail={"zone": zone_name},
    )


def _warn_empty(display: Display, holes: list[Span]) -> ScheduleWarning:
    return ScheduleWarning(
        "main_zone_empty",
        f"Display {display.id} has nothing to play for {total_s(holes)} s during operating hours, "
        f"first at {utc(holes[0][0]):%Y-%m-%d %H:%M} UTC; add a fallback rule or fallback items.",
        display_id=display.id,
        detail={"seconds": total_s(holes), "first": utc(holes[0][0]).isoformat(), "spans": len(holes)},
    )
