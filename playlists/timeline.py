"""Runs (the compiler's output), concrete entries, and the manifest encoding.

A :class:`Run` is exactly a manifest segment: ``loop`` played from slot
``pos`` at ``start_s``, cycling, cut at ``end_s``. Concrete entries are the
runs expanded play by play; segments are the runs written as manifest dicts.
Both come from the same runs, so decoding a segment at any instant gives the
item of the entry covering that instant.
"""

from __future__ import annotations

import json
import time
from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from playlists.loops import Loop, Slot
from signage.clock import format_utc, parse_utc

EMPTY_LOOP = Loop(())
LAYER_RANK = {"emergency": 0, "off": 1, "interrupt": 2, "normal": 3, "fallback": 4, "overlay": 5}


def utc(instant_s: int) -> datetime:
    return datetime.fromtimestamp(instant_s, UTC)


class Run(NamedTuple):
    start_s: int
    end_s: int
    zone: str
    layer: str
    loop: Loop
    pos: int
    why: str


class Entry(NamedTuple):
    """One concrete play (or an ``off`` stretch, whose ``item_id`` is None)."""

    start_s: int
    end_s: int
    zone: str
    item_id: str | None
    layer: str
    rule_id: str | None
    why: str

    @property
    def start(self) -> datetime:
        return utc(self.start_s)

    @property
    def end(self) -> datetime:
        return utc(self.end_s)

    @property
    def duration_s(self) -> int:
        return self.end_s - self.start_s


def expand(run: Run) -> Iterator[Entry]:
    """The concrete plays of ``run``, the last one cut at ``end_s`` if need be."""
    if run.loop.n == 0:
        yield Entry(run.start_s, run.end_s, run.zone, None, run.layer, None, run.why)
        return
    slots, n = run.loop.slots, run.loop.n
    t, i = run.start_s, run.pos
    while t < run.end_s:
        slot = slots[i]
        end = min(t + slot.duration_s, run.end_s)
        yield Entry(t, end, run.zone, slot.item_id, run.layer, slot.rule_id, run.why)
        t = end
        i = (i + 1) % n


def segment_dict(run: Run) -> dict[str, Any]:
    return {
        "start": format_utc(utc(run.start_s)),
        "end": format_utc(utc(run.end_s)),
        "zone": run.zone,
        "layer": run.layer,
        "loop": list(run.loop.rotated_item_ids(run.pos)),
        "why": run.why,
    }


def encode(runs: Iterable[Run]) -> list[dict[str, Any]]:
    """Manifest ``timeline`` segments, ordered by (start, zone)."""
    return [segment_dict(r) for r in sorted(runs, key=lambda r: (r.start_s, r.zone))]


def decode_at(
    segments: Sequence[Mapping[str, Any]],
    durations_s: Mapping[str, float],
    instant: datetime,
    zone: str = "main",
) -> tuple[str, str | None] | None:
    """(layer, item id) that ``zone`` shows at ``instant`` per the manifest semantics.

    Mirrors ``signage.manifest.Manifest.play_at``: the highest layer covering the
    instant wins; an ``off`` segment yields ``("off", None)``; None if uncovered.
    """
    best: Mapping[str, Any] | None = None
    for seg in segments:
        if seg["zone"] != zone:
            continue
        if not parse_utc(seg["start"]) <= instant < parse_utc(seg["end"]):
            continue
        if best is None or LAYER_RANK[seg["layer"]] < LAYER_RANK[best["layer"]]:
            best = seg
    if best is None:
        return None
    if not best["loop"]:
        return best["layer"], None
    period_s = sum(durations_s[i] for i in best["loop"])
    offset_s = (instant - parse_utc(best["start"])).total_seconds() % period_s
    for item_id in best["loop"]:
        if offset_s < durations_s[item_id]:
            return best["layer"], item_id
        offset_s -= durations_s[item_id]
    return best["layer"], best["loop"][-1]


class RunTable:
    """The distinct loops and (zone, layer, why) labels that one display's runs refer to.

    While compiling, loops are numbered by identity; :meth:`seal` then lets go
    of the :class:`Loop` objects (shared with the loop cache, and heavy with
    lookup caches) and keeps only their slots; :attr:`loops` rebuilds light
    loops from those on demand.
    """

    __slots__ = ("_label_no", "_loop_no", "_loops", "labels", "slots")

    def __init__(self) -> None:
        self.slots: list[tuple[Slot, ...]] = []  # loop number -> its slots in play order
        self.labels: list[tuple[str, str, str]] = []  # label number -> (zone, layer, why)
        self._loops: list[Loop] | None = []
        self._loop_no: dict[int, int] = {}
        self._label_no: dict[tuple[str, str, str], int] = {}

    def loop_no(self, loop: Loop) -> int:
        no = self._loop_no.get(id(loop))
        if no is None:
            assert self._loops is not None, "sealed"
            no = self._loop_no[id(loop)] = len(self.slots)
            self.slots.append(loop.slots)
            self._loops.append(loop)  # kept alive, so its id stays unique
        return no

    def label_no(self, zone: str, layer: str, why: str) -> int:
        key = (zone, layer, why)
        no = self._label_no.get(key)
        if no is None:
            no = self._label_no[key] = len(self.labels)
            self.labels.append(key)
        return no

    def __getstate__(self) -> tuple[list[tuple[Slot, ...]], list[tuple[str, str, str]]]:
        return self.slots, self.labels

    def __setstate__(self, state: tuple[list[tuple[Slot, ...]], list[tuple[str, str, str]]]) -> None:
        self.slots, self.labels = state
        self.seal()

    def seal(self) -> None:
        self._loops, self._loop_no, self._label_no = None, {}, {}

    @property
    def loops(self) -> list[Loop]:
        if self._loops is None:
            self._loops = [Loop(slots) if slots else EMPTY_LOOP for slots in self.slots]
        return self._loops


class RunColumns:
    """Runs as parallel int columns: start, end, loop number, start slot, label number.

    Ints in arrays are no Python objects: a display's thousands of runs cost a
    few bytes each and nothing for the garbage collector to traverse.
    """

    __slots__ = ("end", "label", "loop", "pos", "start")

    def __init__(self) -> None:
        self.start = array("q")  # Unix seconds
        self.end = array("q")
        self.loop = array("i")  # loop number in the RunTable
        self.pos = array("i")  # slot the run starts with
        self.label = array("i")  # label number in the RunTable

    def __getstate__(self) -> tuple[array[int], ...]:
        return self.start, self.end, self.loop, self.pos, self.label

    def __setstate__(self, state: tuple[array[int], ...]) -> None:
        self.start, self.end, self.loop, self.pos, self.label = state

    def __len__(self) -> int:
        return len(self.start)

    def append(self, start_s: int, end_s: int, loop_no: int, pos: int, label_no: int) -> None:
        self.start.append(start_s)
        self.end.append(end_s)
        self.loop.append(loop_no)
        self.pos.append(pos)
        self.label.append(label_no)

    def extend(self, other: RunColumns) -> None:
        for name in self.__slots__:
            getattr(self, name).extend(getattr(other, name))


def columns_from_runs(runs: Iterable[Run]) -> tuple[RunTable, RunColumns]:
    table, cols = RunTable(), RunColumns()
    for r in runs:
        cols.append(r.start_s, r.end_s, table.loop_no(r.loop), r.pos, table.label_no(r.zone, r.layer, r.why))
    return table, cols


def runs_from_columns(table: RunTable, cols: RunColumns, base_s: int = 0) -> list[Run]:
    loops, labels = table.loops, table.labels
    return [
        Run(start + base_s, end + base_s, labels[label][0], labels[label][1], loops[loop], pos, labels[label][2])
        for start, end, loop, pos, label in zip(cols.start, cols.end, cols.loop, cols.pos, cols.label, strict=True)
    ]


def _utc_text(instant_s: int, days: dict[int, str] | None = None) -> str:
    """``format_utc(utc(instant_s))``, without a datetime; ``days`` caches each day's date text."""
    day, second = divmod(instant_s, 86_400)
    date_text = days.get(day) if days is not None else None
    if date_text is None:
        date_text = time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400))
        if days is not None:
            days[day] = date_text
    hour, rest = divmod(second, 3600)
    minute, sec = divmod(rest, 60)
    return f"{date_text}{hour:02d}:{minute:02d}:{sec:02d}Z"


def segments_from_columns(table: RunTable, cols: RunColumns, base_s: int = 0) -> list[dict[str, Any]]:
    """The manifest segments of runs stored by (zone, start), ordered by (start, zone).

    A stable sort on start keeps equal starts in zone order, which is exactly
    the (start, zone) order of :func:`encode`.
    """
    starts, ends, loop_col, pos_col, label_col = cols.start, cols.end, cols.loop, cols.pos, cols.label
    order = sorted(range(len(starts)), key=starts.__getitem__)
    slots, labels = table.slots, table.labels
    item_ids: dict[int, tuple[str, ...]] = {}
    texts: dict[int, str] = {}
    days: dict[int, str] = {}
    out = []
    for i in order:
        start, end = starts[i] + base_s, ends[i] + base_s
        start_text = texts.get(start)
        if start_text is None:
            start_text = texts[start] = _utc_text(start, days)
        end_text = texts.get(end)
        if end_text is None:
            end_text = texts[end] = _utc_text(end, days)
        zone, layer, why = labels[label_col[i]]
        loop_no, pos = loop_col[i], pos_col[i]
        ids = item_ids.get(loop_no)
        if ids is None:
            ids = item_ids[loop_no] = tuple(slot.item_id for slot in slots[loop_no])
        out.append(
            {
                "start": start_text,
                "end": end_text,
                "zone": zone,
                "layer": layer,
                "loop": list(ids[pos:] + ids[:pos]) if pos else list(ids),
                "why": why,
            }
        )
    return out


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def segments_json_from_columns(table: RunTable, cols: RunColumns, base_s: int = 0) -> bytes:
    """``canonical_json(segments_from_columns(table, cols, base_s))``, written straight from the columns.

    The same bytes (keys sorted, no spaces, UTF-8) without building a dict per segment: each
    label's and each rotated loop's JSON is encoded once, times are fixed-width ASCII.
    """
    starts, ends, loop_col, pos_col, label_col = cols.start, cols.end, cols.loop, cols.pos, cols.label
    order = sorted(range(len(starts)), key=starts.__getitem__)
    slots, labels = table.slots, table.labels
    label_json: dict[int, tuple[str, str]] = {}  # label no -> ('"layer":..,"loop":', '"why":..,"zone":..}')
    loop_json: dict[tuple[int, int], str] = {}
    loop_ids: dict[int, list[str]] = {}
    id_json: dict[str, str] = {}
    texts: dict[int, str] = {}
    days: dict[int, str] = {}
    parts = []
    for i in order:
        start, end = starts[i] + base_s, ends[i] + base_s
        start_text = texts.get(start)
        if start_text is None:
            start_text = texts[start] = _utc_text(start, days)
        end_text = texts.get(end)
        if end_text is None:
            end_text = texts[end] = _utc_text(end, days)
        label_no = label_col[i]
        around = label_json.get(label_no)
        if around is None:
            zone, layer, why = labels[label_no]
            around = label_json[label_no] = (
                f',"layer":{_json_text(layer)},"loop":',
                f',"why":{_json_text(why)},"zone":{_json_text(zone)}}}',
            )
        key = (loop_col[i], pos_col[i])
        loop_text = loop_json.get(key)
        if loop_text is None:
            ids = loop_ids.get(key[0])
            if ids is None:  # each loop's ids encoded once; a rotation only joins them
                ids = loop_ids[key[0]] = [id_json.get(s.item_id) or id_json.setdefault(s.item_id, _json_text(s.item_id))
                                          for s in slots[key[0]]]  # fmt: skip
            loop_text = loop_json[key] = "[" + ",".join(ids[key[1] :] + ids[: key[1]]) + "]"
        parts.append(f'{{"end":"{end_text}"{around[0]}{loop_text},"start":"{start_text}"{around[1]}')
    return ("[" + ",".join(parts) + "]").encode("utf-8")


def compact_json_from_columns(table: RunTable, cols: RunColumns, origin_s: int) -> bytes:
    """A schema-2 manifest timeline (``signage.manifest._compact_segments``) as canonical JSON bytes.

    ``{"items": [item id...], "labels": [[zone, layer, why]...], "loops": [[item no...]...],
    "runs": [[after_s, length_s, loop, pos, label]...], "start": <origin_s as UTC text>}``: runs in
    (start, zone) order like :func:`segments_from_columns`, each starting ``after_s`` after the one
    before (the first after ``start``); items, loops and labels numbered by first use, so only what
    the runs play is listed. Decodes to exactly :func:`segments_from_columns`'s segments.
    """
    starts, ends, loop_col, pos_col, label_col = cols.start, cols.end, cols.loop, cols.pos, cols.label
    order = sorted(range(len(starts)), key=starts.__getitem__)
    loop_no: dict[int, int] = {}
    label_no: dict[int, int] = {}
    parts = []
    previous = origin_s
    for i in order:
        loop = loop_no.get(loop_col[i])
        if loop is None:
            loop = loop_no[loop_col[i]] = len(loop_no)
        label = label_no.get(label_col[i])
        if label is None:
            label = label_no[label_col[i]] = len(label_no)
        start = starts[i]
        parts.append(f"[{start - previous},{ends[i] - start},{loop},{pos_col[i]},{label}]")
        previous = start
    item_no: dict[str, int] = {}
    loops = []
    for n in loop_no:
        numbers = []
        for slot in table.slots[n]:
            number = item_no.get(slot.item_id)
            if number is None:
                number = item_no[slot.item_id] = len(item_no)
            numbers.append(str(number))
        loops.append("[" + ",".join(numbers) + "]")
    labels = ",".join(_json_text(list(table.labels[n])) for n in label_no)
    return (
        f'{{"items":{_json_text(list(item_no))},"labels":[{labels}],"loops":[{",".join(loops)}],'
        f'"runs":[{",".join(parts)}],"start":"{_utc_text(origin_s)}"}}'
    ).encode()


def columns_plausible(
    table: RunTable, cols: RunColumns, zone_ids: Collection[str], layers: Collection[str], item_ids: Collection[str]
) -> bool:
    """Whether every run would pass a manifest check: start < end, known zone, layer and items, and a
    non-empty loop unless the layer is ``off``. (Checked per distinct label and loop, not per run.)"""
    if any(start >= end for start, end in zip(cols.start, cols.end, strict=True)):
        return False
    for zone, layer, _why in (table.labels[n] for n in set(cols.label)):
        if zone not in zone_ids or layer not in layers:
            return False
    for label_no, loop_no in set(zip(cols.label, cols.loop, strict=True)):
        loop = table.slots[loop_no]
        if not loop and table.labels[label_no][1] != "off":
            return False
        if any(slot.item_id not in item_ids for slot in loop):
            return False
    return True
