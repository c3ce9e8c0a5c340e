"""The manifest: everything a player needs for its whole horizon.

A manifest is plain JSON (see ``docs/architecture.md`` for the field list).
:func:`parse_manifest` validates a verified manifest dict into typed objects
and names the offending field on error; :func:`build_manifest` is the one
constructor the publisher uses, so both ends agree on the shape.

Timeline semantics: a :class:`Segment` plays the items of ``loop`` one after
another from ``start``, each for its ``duration_s``, cycling, cut at ``end``.
A single concrete play is a segment whose loop has one item and whose length is
that item's duration; a long round-robin run is one segment, which keeps a
14-day manifest small without losing exactness.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from signage.canvas import Canvas
from signage.clock import format_utc, parse_utc
from signage.errors import UserError

SCHEMA = "mempawah-signage/manifest/1"
#: The compact timeline (a loop table and int runs, see :func:`_compact_segments`), for players that
#: report reading it in their heartbeat (``scheduler/manifest_schema.py``).
SCHEMA_V2 = "mempawah-signage/manifest/2"
SCHEMAS = {SCHEMA: 1, SCHEMA_V2: 2}
#: Every schema this code reads: the player reports it, the scheduler writes the highest both ends know.
SCHEMA_NUMBERS = tuple(sorted(SCHEMAS.values()))
LAYERS = ("emergency", "interrupt", "normal", "fallback", "overlay", "off")
ITEM_TYPES = ("image", "video", "text", "stat", "clock", "prayer", "ticker")
MEDIA_TYPES = ("image", "video")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


#: A schema-2 run's offsets are within a year of the timeline's start (a horizon is days).
MAX_TIMELINE_S = 366 * 86_400


class ManifestFormatError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"manifest field {field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class Zone:
    id: str
    x: float
    y: float
    w: float
    h: float
    z: int = 0


@dataclass(frozen=True)
class MediaRef:
    sha256: str
    size: int
    mime: str
    url: str


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    duration_s: float
    title: str = ""
    media: MediaRef | None = None
    text: dict[str, Any] | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    zone: str
    layer: str
    loop: tuple[str, ...]
    why: str = ""


@dataclass(frozen=True)
class Manifest:
    schema: str
    display_id: str
    version: int
    generated_at: datetime
    valid_until: datetime
    timezone: str
    canvas: Canvas
    layout: str
    layouts: dict[str, tuple[Zone, ...]]
    items: dict[str, Item]
    timeline: tuple[Segment, ...]
    fallback: tuple[str, ...]
    operating_hours: list[dict[str, Any]] = field(default_factory=list)
    key_id: str | None = None

    @property
    def zones(self) -> tuple[Zone, ...]:
        return self.layouts[self.layout]

    def media(self) -> list[MediaRef]:
        """Every media file this manifest references, each once, in item order."""
        seen: dict[str, MediaRef] = {}
        for item in self.items.values():
            if item.media is not None:
                seen.setdefault(item.media.sha256, item.media)
        return list(seen.values())

    def loop_duration_s(self, loop: tuple[str, ...]) -> float:
        return sum(self.items[item_id].duration_s for item_id in loop)

    def play_at(self, moment: datetime, zone: str = "main") -> tuple[Segment, Item, datetime] | None:
        """What ``zone`` shows at ``moment``: (segment, item, item start) or None.

        Emergency beats interrupt beats normal beats fallback; an ``off``
        segment (outside operating hours) returns None for its zone.
        """
        best: Segment | None = None
        for segment in self.timeline:
            if segment.zone != zone or not (segment.start <= moment < segment.end):
                continue
            if best is None or _rank(segment.layer) < _rank(best.layer):
                best = segment
        if best is None or best.layer == "off" or not best.loop:
            return None
        period_s = self.loop_duration_s(best.loop)
        offset_s = (moment - best.start).total_seconds() % period_s
        item_start = moment - timedelta(seconds=offset_s)
        for item_id in best.loop:
            item = self.items[item_id]
            if offset_s < item.duration_s:
                return best, item, item_start
            offset_s -= item.duration_s
            item_start += timedelta(seconds=item.duration_s)
        item = self.items[best.loop[-1]]
        return best, item, item_start


def layer_rank(layer: str) -> int:
    """Lower wins: emergency beats off beats interrupt beats normal beats fallback beats overlay."""
    return _rank(layer)


def _rank(layer: str) -> int:
    return {"emergency": 0, "off": 1, "interrupt": 2, "normal": 3, "fallback": 4, "overlay": 5}[layer]


def build_manifest(
    *,
    display_id: str,
    version: int,
    generated_at: datetime,
    valid_until: datetime,
    timezone: str,
    canvas: dict[str, int],
    layouts: dict[str, list[dict[str, Any]]],
    layout: str,
    items: dict[str, dict[str, Any]],
    timeline: list[dict[str, Any]],
    fallback: list[str],
    operating_hours: list[dict[str, Any]],
    key_id: str,
    check: bool = True,
    schema: str = SCHEMA,
) -> dict[str, Any]:
    """The manifest dict; ``check`` (default) refuses what a player would refuse (:func:`check_manifest`).

    The publisher passes ``check=False`` for a draft it may discard unchanged, and checks what it signs.
    """
    manifest = {
        "schema": schema,
        "display_id": display_id,
        "version": version,
        "generated_at": format_utc(generated_at),
        "valid_until": format_utc(valid_until),
        "timezone": timezone,
        "canvas": canvas,
        "layout": layout,
        "layouts": layouts,
        "items": items,
        "timeline": timeline,
        "fallback": fallback,
        "operating_hours": operating_hours,
        "key_id": key_id,
    }
    if check:
        check_manifest(manifest)  # the publisher never emits what a player would refuse
    return manifest


def check_manifest(data: dict[str, Any]) -> None:
    """Refuse exactly what :func:`parse_manifest` refuses, with the same error, without building the timeline.

    A busy display's timeline has thousands of segments; they are checked in one tight loop and
    only a segment that fails it goes through the parser's own code (so the error names its field).
    """
    if data.get("schema") == SCHEMA_V2:
        parse_manifest(data)  # the compact timeline is checked as it is expanded
        return
    head = parse_manifest({**data, "timeline": []})
    timeline = _get(data, "timeline", list, "")
    zone_ids = {z.id for z in head.zones}
    item_ids = head.items.keys()
    instants: dict[str, datetime] = {}
    loops_ok: set[tuple[str, ...]] = set()
    for i, s in enumerate(timeline):
        try:
            start, end, zone, layer, loop = s["start"], s["end"], s["zone"], s["layer"], s["loop"]
            begins, ends = instants.get(start), instants.get(end)
            if begins is None:
                begins = instants[start] = _fast_instant(start)
            if ends is None:
                ends = instants[end] = _fast_instant(end)
            ok = (
                type(zone) is str
                and type(layer) is str
                and type(loop) is list
                and begins < ends
                and zone in zone_ids
                and layer in LAYERS
                and (bool(loop) or layer == "off")
            )
            if ok:
                key = tuple(loop)
                if key not in loops_ok:
                    ok = all(type(item_id) is str and item_id in item_ids for item_id in key)
                    if ok:
                        loops_ok.add(key)
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            _segment(s, i, zone_ids, head.layout, item_ids)  # raises with the parser's own message


def _fast_instant(text: Any) -> datetime:
    if type(text) is not str:
        raise TypeError("not a string")
    return parse_utc(text)


def _segment(s: Any, i: int, zone_ids: set[str], layout: str, item_ids: Collection[str]) -> Segment:
    p = f"timeline[{i}]."
    seg = Segment(
        start=_instant(s, "start", p),
        end=_instant(s, "end", p),
        zone=_get(s, "zone", str, p),
        layer=_get(s, "layer", str, p),
        loop=tuple(_get(s, "loop", list, p)),
        why=str(s.get("why", "")),
    )
    if seg.end <= seg.start:
        raise ManifestFormatError(f"{p}end", "must be after start")
    if seg.layer not in LAYERS:
        raise ManifestFormatError(f"{p}layer", f"unknown layer {seg.layer!r}")
    if seg.zone not in zone_ids:
        raise ManifestFormatError(f"{p}zone", f"zone {seg.zone!r} is not in layout {layout!r}")
    for item_id in seg.loop:
        if item_id not in item_ids:
            raise ManifestFormatError(f"{p}loop", f"unknown item {item_id!r}")
    if seg.layer != "off" and not seg.loop:
        raise ManifestFormatError(f"{p}loop", "empty loop outside an 'off' segment")
    return seg


def empty_timeline(schema: str) -> Any:
    """A timeline with no segments in ``schema``'s shape (to check a manifest's other fields alone)."""
    if schema == SCHEMA_V2:
        return {"start": "1970-01-01T00:00:00Z", "items": [], "loops": [], "labels": [], "runs": []}
    return []


def _compact_segments(tl: dict[str, Any], zone_ids: set[str], layout: str, item_ids: Collection[str]) -> list[Segment]:
    """Schema 2's timeline as segments: ``{"start", "items", "loops", "labels", "runs"}``.

    ``items`` lists item ids; ``loops[n]`` is a list of numbers into ``items`` in play order;
    ``labels[n]`` is ``[zone, layer, why]``; each run ``[after_s, length_s, loop, pos, label]`` is
    the segment that plays ``loops[loop]`` from its slot ``pos`` (rotated: ``loop[pos:] + loop[:pos]``)
    for ``length_s`` seconds, starting ``after_s`` after the run before it (the first: after
    ``start``). The same segments as schema 1's list, without repeating rotated loops and labels.
    """
    origin = _instant(tl, "start", "timeline.")
    names: list[str] = []
    for n, item_id in enumerate(_get(tl, "items", list, "timeline.")):
        if type(item_id) is not str or item_id not in item_ids:
            raise ManifestFormatError(f"timeline.items[{n}]", f"unknown item {item_id!r}")
        names.append(item_id)
    loops: list[tuple[str, ...]] = []
    for n, loop in enumerate(_get(tl, "loops", list, "timeline.")):
        if not (isinstance(loop, list) and all(type(x) is int and 0 <= x < len(names) for x in loop)):
            raise ManifestFormatError(f"timeline.loops[{n}]", "expected a list of numbers into timeline.items")
        loops.append(tuple(names[x] for x in loop))
    labels: list[tuple[str, str, str]] = []
    for n, label in enumerate(_get(tl, "labels", list, "timeline.")):
        where = f"timeline.labels[{n}]"
        if not (isinstance(label, list) and len(label) == 3 and all(type(x) is str for x in label)):
            raise ManifestFormatError(where, "expected [zone, layer, why] (three strings)")
        zone, layer, why = label
        if zone not in zone_ids:
            raise ManifestFormatError(where, f"zone {zone!r} is not in layout {layout!r}")
        if layer not in LAYERS:
            raise ManifestFormatError(where, f"unknown layer {layer!r}")
        labels.append((zone, layer, why))
    rotations: dict[tuple[int, int], tuple[str, ...]] = {}
    instants: dict[int, datetime] = {}
    out = []
    start_s = 0
    for i, run in enumerate(_get(tl, "runs", list, "timeline.")):
        where = f"timeline.runs[{i}]"
        if not (isinstance(run, list) and len(run) == 5 and all(type(x) is int for x in run)):
            raise ManifestFormatError(where, "expected [after_s, length_s, loop, pos, label] (five integers)")
        after_s, length_s, loop_no, pos, label_no = run
        start_s += after_s
        end_s = start_s + length_s
        if after_s < 0 or length_s <= 0 or end_s > MAX_TIMELINE_S:
            raise ManifestFormatError(where, f"needs after_s >= 0, length_s > 0 and an end within {MAX_TIMELINE_S} s")
        if not 0 <= loop_no < len(loops):
            raise ManifestFormatError(where, f"loop {loop_no} is not in timeline.loops")
        if not 0 <= label_no < len(labels):
            raise ManifestFormatError(where, f"label {label_no} is not in timeline.labels")
        zone, layer, why = labels[label_no]
        ids = loops[loop_no]
        if not ids and layer != "off":
            raise ManifestFormatError(where, "empty loop outside an 'off' segment")
        if not (0 <= pos < len(ids) or pos == 0):
            raise ManifestFormatError(where, f"pos {pos} is not a slot of loop {loop_no}")
        loop = rotations.get((loop_no, pos))
        if loop is None:
            loop = rotations[(loop_no, pos)] = ids[pos:] + ids[:pos]
        start, end = instants.get(start_s), instants.get(end_s)
        if start is None:
            start = instants[start_s] = origin + timedelta(seconds=start_s)
        if end is None:
            end = instants[end_s] = origin + timedelta(seconds=end_s)
        out.append(Segment(start, end, zone, layer, loop, why))
    return out


def _get(obj: Any, key: str, kind: type | tuple[type, ...], path: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ManifestFormatError(f"{path}{key}", "missing")
    value = obj[key]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise ManifestFormatError(f"{path}{key}", f"expected {kind}, got {type(value).__name__}")
    return value


def _instant(obj: Any, key: str, path: str) -> datetime:
    text = _get(obj, key, str, path)
    try:
        return parse_utc(text)
    except ValueError as exc:
        raise ManifestFormatError(f"{path}{key}", str(exc)) from exc


def parse_manifest(data: dict[str, Any]) -> Manifest:
    """Validate a manifest dict; raise :class:`ManifestFormatError` naming the field."""
    schema = _get(data, "schema", str, "")
    if schema not in SCHEMAS:
        raise ManifestFormatError("schema", f"unsupported schema {schema!r}")
    canvas_d = _get(data, "canvas", dict, "")
    try:
        canvas = Canvas(
            width=_get(canvas_d, "width", int, "canvas."),
            height=_get(canvas_d, "height", int, "canvas."),
            rotation=canvas_d.get("rotation", 0),
        )
    except UserError as exc:
        raise ManifestFormatError("canvas", exc.message) from None
    layouts: dict[str, tuple[Zone, ...]] = {}
    for name, zones_d in _get(data, "layouts", dict, "").items():
        zones = []
        for i, z in enumerate(zones_d):
            p = f"layouts.{name}[{i}]."
            zone = Zone(
                id=_get(z, "id", str, p),
                x=float(_get(z, "x", (int, float), p)),
                y=float(_get(z, "y", (int, float), p)),
                w=float(_get(z, "w", (int, float), p)),
                h=float(_get(z, "h", (int, float), p)),
                z=int(z.get("z", 0)),
            )
            if not (0 <= zone.x < 1 and 0 <= zone.y < 1 and 0 < zone.w <= 1 and 0 < zone.h <= 1):
                raise ManifestFormatError(p.rstrip("."), "zone must lie inside the canvas (fractions 0..1)")
            zones.append(zone)
        layouts[name] = tuple(zones)
    layout = _get(data, "layout", str, "")
    if layout not in layouts:
        raise ManifestFormatError("layout", f"{layout!r} is not in layouts")
    zone_ids = {z.id for z in layouts[layout]}
    items: dict[str, Item] = {}
    for item_id, it in _get(data, "items", dict, "").items():
        p = f"items.{item_id}."
        kind = _get(it, "type", str, p)
        if kind not in ITEM_TYPES:
            raise ManifestFormatError(f"{p}type", f"unknown item type {kind!r}")
        duration_s = float(_get(it, "duration_s", (int, float), p))
        if duration_s <= 0:
            raise ManifestFormatError(f"{p}duration_s", "must be positive")
        media = None
        if it.get("media") is not None:
            m = it["media"]
            media = MediaRef(
                sha256=_get(m, "sha256", str, f"{p}media."),
                size=_get(m, "size", int, f"{p}media."),
                mime=_get(m, "mime", str, f"{p}media."),
                url=_get(m, "url", str, f"{p}media."),
            )
            if not SHA256_RE.match(media.sha256):
                raise ManifestFormatError(f"{p}media.sha256", "not a lowercase hex sha256")
        elif kind in MEDIA_TYPES:
            raise ManifestFormatError(f"{p}media", f"a {kind} item needs media")
        items[item_id] = Item(
            id=item_id,
            type=kind,
            duration_s=duration_s,
            title=str(it.get("title", "")),
            media=media,
            text=it.get("text"),
            data=it.get("data"),
        )
    if schema == SCHEMA_V2:
        timeline = _compact_segments(_get(data, "timeline", dict, ""), zone_ids, layout, items.keys())
    else:
        segments = _get(data, "timeline", list, "")
        timeline = [_segment(s, i, zone_ids, layout, items.keys()) for i, s in enumerate(segments)]
    fallback = tuple(_get(data, "fallback", list, ""))
    for item_id in fallback:
        if item_id not in items:
            raise ManifestFormatError("fallback", f"unknown item {item_id!r}")
    version = _get(data, "version", int, "")
    if version < 1:
        raise ManifestFormatError("version", "must be >= 1")
    return Manifest(
        schema=schema,
        display_id=_get(data, "display_id", str, ""),
        version=version,
        generated_at=_instant(data, "generated_at", ""),
        valid_until=_instant(data, "valid_until", ""),
        timezone=_get(data, "timezone", str, ""),
        canvas=canvas,
        layout=layout,
        layouts=layouts,
        items=items,
        timeline=tuple(timeline),
        fallback=fallback,
        operating_hours=list(data.get("operating_hours", [])),
        key_id=data.get("key_id"),
    )
