"""Plain dicts <-> model objects, with validation that names the bad field.

The dicts are what the scheduler stores as JSON and what the YAML import
reads. ``*_to_dict`` emits the canonical form (defaults left out), and
``parse_*(x_to_dict(obj)) == obj`` for every valid object. Every refusal is a
:class:`signage.errors.UserError` whose ``field`` is a dotted path inside the
dict (``dayparts[0].end``). Shapes are documented in ``docs/schedule.md``.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from playlists.model import (
    ITEM_TYPES,
    RULE_LAYERS,
    WEEKDAYS,
    ZONE_NAMES,
    Daypart,
    Display,
    ItemSpec,
    OperatingWindow,
    Playlist,
    Rule,
    Share,
    Targets,
)
from playlists.recurrence import ANCHOR_DATE, PRESETS, check_rrule, first_occurrence
from signage.clock import DEFAULT_TIMEZONE, zone
from signage.errors import UserError

_RULE_KEYS = (
    "id",
    "item",
    "playlist",
    "title",
    "layer",
    "zone",
    "targets",
    "valid_from",
    "valid_until",
    "timezone",
    "days",
    "dayparts",
    "preset",
    "rrule",
    "exdates",
    "share",
    "weight",
    "max_per_hour",
)
_DISPLAY_KEYS = (
    "id",
    "timezone",
    "groups",
    "tags",
    "canvas",
    "zones",
    "operating_hours",
    "fallback",
)
MIN_YEAR, MAX_YEAR = 2000, 2199  # dates outside this are typing mistakes (and would slow every expansion)
MAX_DAYPARTS = 48
MAX_EXDATES = 1000
_ITEM_KEYS = ("id", "type", "duration_s", "title", "width", "height")
_PLAYLIST_KEYS = ("id", "items", "title")


def _fail(field: str, message: str) -> UserError:
    return UserError(f"{field}: {message}", field=field)


def _mapping(d: Any, path: str, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise _fail(path or "(top)", f"expected a mapping, got {type(d).__name__}")
    for key in d:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            raise _fail(where, f"unknown key (known: {', '.join(known)})")
    return d


def _str(d: dict[str, Any], key: str, path: str = "", *, required: bool = False) -> str | None:
    where = f"{path}{key}"
    value = d.get(key)
    if value is None:
        if required:
            raise _fail(where, "missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"expected a non-empty text, got {value!r}")
    return value


def _str_list(d: dict[str, Any], key: str, path: str = "") -> tuple[str, ...]:
    where = f"{path}{key}"
    value = d.get(key, [])
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {type(value).__name__}")
    for i, v in enumerate(value):
        if not isinstance(v, str) or not v.strip():
            raise _fail(f"{where}[{i}]", f"expected a non-empty text, got {v!r}")
    if len(set(value)) != len(value):
        raise _fail(where, "has duplicates")
    return tuple(value)


def _int(value: Any, where: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(where, f"expected a whole number from {lo} to {hi}, got {value!r}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, f"expected a number, got {value!r}")
    return value


def _zone_name(value: str, where: str) -> str:
    try:
        zone(value)
    except ValueError as exc:
        raise _fail(where, str(exc)) from None
    return value


def parse_clock_min(value: Any, where: str, *, allow_24: bool) -> int:
    """``"HH:MM"`` -> minutes after midnight (``24:00`` only where ``allow_24``)."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise _fail(where, f"expected a time HH:MM, got {value!r}")
    try:
        hours, minutes = int(value[:2]), int(value[3:])
    except ValueError:
        raise _fail(where, f"expected a time HH:MM, got {value!r}") from None
    total = hours * 60 + minutes
    if minutes > 59 or total > 24 * 60 or (total == 24 * 60 and not allow_24):
        raise _fail(where, f"{value!r} is not a time of day")
    return total


def format_clock_min(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise _fail(where, "expected a list of day names such as [mon, fri]")
    out = []
    for i, name in enumerate(value):
        if not isinstance(name, str) or name.lower() not in WEEKDAYS:
            raise _fail(f"{where}[{i}]", f"{name!r} is not one of {', '.join(WEEKDAYS)}")
        out.append(WEEKDAYS.index(name.lower()))
    if len(set(out)) != len(out):
        raise _fail(where, "has duplicates")
    return tuple(sorted(out))


def _daypart(d: Any, where: str, keys: tuple[str, ...] = ("start", "end")) -> Daypart:
    d = _mapping(d, where, keys)
    start = parse_clock_min(d.get("start"), f"{where}.start", allow_24=False)
    end = parse_clock_min(d.get("end"), f"{where}.end", allow_24=True)
    if end == start:
        raise _fail(f"{where}.end", "must differ from start (leave dayparts out for all day)")
    return Daypart(start, end)


def _local_datetime(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise _fail(where, f"expected a local date-time like 2026-12-01T08:00, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"{value!r} is not a date-time like 2026-12-01T08:00") from None
    if moment.tzinfo is not None:
        raise _fail(where, "write local wall time without offset and set 'timezone'")
    if moment.microsecond:
        raise _fail(where, "whole seconds only")
    _year(moment.year, where, value)
    return moment


def _year(year: int, where: str, value: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _fail(where, f"{value!r}: the year must be from {MIN_YEAR} to {MAX_YEAR}")


def _date(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise _fail(where, f"expected a date like 2026-12-25, got {value!r}")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"{value!r} is not a date like 2026-12-25") from None
    _year(day.year, where, value)
    return day


def parse_targets(d: Any) -> Targets:
    """A rule's ``targets`` mapping alone (field names start with ``targets``)."""
    return _targets(d)


def _targets(d: Any) -> Targets:
    d = _mapping(d, "targets", ("displays", "groups", "tags", "all"))
    all_flag = d.get("all", False)
    if not isinstance(all_flag, bool):
        raise _fail("targets.all", "expected true or false")
    targets = Targets(
        displays=_str_list(d, "displays", "targets."),
        groups=_str_list(d, "groups", "targets."),
        tags=_str_list(d, "tags", "targets."),
        all=all_flag,
    )
    if targets.empty:
        raise _fail("targets", "name at least one display, group or tag (or all: true)")
    return targets


def _share(d: Any) -> Share:
    d = _mapping(d, "share", ("seconds_per_hour", "percent"))
    if len(d) != 1:
        raise _fail("share", "give exactly one of seconds_per_hour or percent")
    if "percent" in d:
        pct = _number(d["percent"], "share.percent")
        if not 0 < pct <= 100:
            raise _fail("share.percent", f"must be above 0 and at most 100, got {pct!r}")
        return Share(percent=pct)
    sec = _number(d["seconds_per_hour"], "share.seconds_per_hour")
    if not 0 < sec <= 3600:
        raise _fail("share.seconds_per_hour", f"must be above 0 and at most 3600, got {sec!r}")
    return Share(seconds_per_hour=sec)


def parse_rule(d: Any) -> Rule:
    """Validate a rule dict into a :class:`Rule`; refuse with a field-naming UserError."""
    d = _mapping(d, "", _RULE_KEYS)
    rule_id = _str(d, "id", required=True)
    assert rule_id is not None
    item, playlist = _str(d, "item"), _str(d, "playlist")
    if (item is None) == (playlist is None):
        raise _fail("item", "give exactly one of item or playlist")
    layer = d.get("layer", "normal")
    if layer not in RULE_LAYERS:
        raise _fail("layer", f"{layer!r} is not one of {', '.join(RULE_LAYERS)}")
    zone_name = d.get("zone", "main" if layer != "overlay" else None)
    if zone_name not in ZONE_NAMES:
        raise _fail("zone", f"unknown zone {zone_name!r} (known: {', '.join(ZONE_NAMES)})")
    if layer == "overlay" and zone_name == "main":
        raise _fail("zone", "an overlay runs in its own zone (ticker, logo, clock...), not main")
    if layer != "overlay" and zone_name != "main":
        raise _fail("zone", f"a {layer} rule plays in the main zone; use layer overlay for {zone_name}")
    if "targets" not in d:
        raise _fail("targets", "missing")
    targets = _targets(d["targets"])
    tz_name = _str(d, "timezone")
    if tz_name is not None:
        _zone_name(tz_name, "timezone")
    valid_from = _local_datetime(d["valid_from"], "valid_from") if d.get("valid_from") else None
    valid_until = _local_datetime(d["valid_until"], "valid_until") if d.get("valid_until") else None
    if valid_from and valid_until and valid_until <= valid_from:
        raise _fail("valid_until", "must be after valid_from")
    days = _days(d["days"], "days") if "days" in d else ()
    raw_parts = d.get("dayparts", [])
    if not isinstance(raw_parts, list):
        raise _fail("dayparts", "expected a list of {start, end}")
    if len(raw_parts) > MAX_DAYPARTS:
        raise _fail("dayparts", f"at most {MAX_DAYPARTS} dayparts per rule")
    dayparts = tuple(_daypart(p, f"dayparts[{i}]") for i, p in enumerate(raw_parts))
    preset, rrule = _str(d, "preset"), _str(d, "rrule")
    if preset is not None and rrule is not None:
        raise _fail("rrule", "give either preset or rrule, not both")
    if preset is not None and preset not in PRESETS:
        raise _fail("preset", f"{preset!r} is not one of {', '.join(PRESETS)}")
    if rrule is not None:
        check_rrule(rrule)
    raw_ex = d.get("exdates", [])
    if not isinstance(raw_ex, list):
        raise _fail("exdates", "expected a list of dates")
    if len(raw_ex) > MAX_EXDATES:
        raise _fail("exdates", f"at most {MAX_EXDATES} dates per rule")
    exdates = tuple(sorted({_date(v, f"exdates[{i}]") for i, v in enumerate(raw_ex)}))
    if len(exdates) != len(raw_ex):
        raise _fail("exdates", "has duplicates")
    share = _share(d["share"]) if d.get("share") is not None else None
    if layer == "interrupt" and share is None:
        raise _fail("share", "an interrupt needs a share of voice (seconds_per_hour or percent)")
    if layer != "interrupt" and share is not None:
        raise _fail("share", "only interrupt rules have a share of voice")
    looped = layer in ("normal", "fallback", "overlay")
    weight = _int(d.get("weight", 1), "weight", 1, 100)
    if weight != 1 and not looped:
        raise _fail("weight", f"a {layer} rule has no round-robin weight")
    max_per_hour = d.get("max_per_hour")
    if max_per_hour is not None:
        max_per_hour = _int(max_per_hour, "max_per_hour", 1, 3600)
        if not looped:
            raise _fail("max_per_hour", f"a {layer} rule has no max plays per hour")
    title = d.get("title", "")
    if not isinstance(title, str):
        raise _fail("title", "expected text")
    _check_occurs(rrule, preset, days, exdates, valid_from)
    return Rule(
        id=rule_id,
        item=item,
        playlist=playlist,
        layer=layer,
        zone=zone_name,
        targets=targets,
        valid_from=valid_from,
        valid_until=valid_until,
        timezone=tz_name,
        days=days,
        dayparts=dayparts,
        preset=preset,
        rrule=rrule,
        exdates=exdates,
        share=share,
        weight=weight,
        max_per_hour=max_per_hour,
        title=title,
    )


def _check_occurs(
    rrule: str | None,
    preset: str | None,
    days: tuple[int, ...],
    exdates: tuple[date, ...],
    valid_from: datetime | None,
) -> None:
    """Refuse a recurrence that, with its days and exdates, can never give a date.

    A validity window missing every recurring date is not refused: that is a
    ``never_plays`` warning (``outside_horizon``), as for any rule whose time is past.
    """
    if rrule is None and preset is None:
        return
    text, where = (rrule, "rrule") if rrule is not None else (PRESETS[preset or ""], "preset")
    start = valid_from.date() if valid_from is not None else ANCHOR_DATE
    first_occurrence(text, start, weekdays=days, exdates=exdates, field=where)


def _num_out(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """Canonical dict of ``rule`` (defaults omitted); ``parse_rule`` inverts it exactly."""
    out: dict[str, Any] = {"id": rule.id}
    if rule.item is not None:
        out["item"] = rule.item
    if rule.playlist is not None:
        out["playlist"] = rule.playlist
    if rule.title:
        out["title"] = rule.title
    if rule.layer != "normal":
        out["layer"] = rule.layer
    if rule.zone != "main":
        out["zone"] = rule.zone
    t = rule.targets
    targets: dict[str, Any] = {}
    for key in ("displays", "groups", "tags"):
        if getattr(t, key):
            targets[key] = list(getattr(t, key))
    if t.all:
        targets["all"] = True
    out["targets"] = targets
    if rule.valid_from is not None:
        out["valid_from"] = rule.valid_from.isoformat(timespec="seconds")
    if rule.valid_until is not None:
        out["valid_until"] = rule.valid_until.isoformat(timespec="seconds")
    if rule.timezone is not None:
        out["timezone"] = rule.timezone
    if rule.days:
        out["days"] = [WEEKDAYS[i] for i in rule.days]
    if rule.dayparts:
        out["dayparts"] = [
            {"start": format_clock_min(p.start_min), "end": format_clock_min(p.end_min)} for p in rule.dayparts
        ]
    if rule.preset is not None:
        out["preset"] = rule.preset
    if rule.rrule is not None:
        out["rrule"] = rule.rrule
    if rule.exdates:
        out["exdates"] = [d.isoformat() for d in rule.exdates]
    if rule.share is not None:
        if rule.share.percent is not None:
            out["share"] = {"percent": _num_out(rule.share.percent)}
        else:
            assert rule.share.seconds_per_hour is not None
            out["share"] = {"seconds_per_hour": _num_out(rule.share.seconds_per_hour)}
    if rule.weight != 1:
        out["weight"] = rule.weight
    if rule.max_per_hour is not None:
        out["max_per_hour"] = rule.max_per_hour
    return out


def parse_display(d: Any) -> Display:
    d = _mapping(d, "", _DISPLAY_KEYS)
    display_id = _str(d, "id", required=True)
    assert display_id is not None
    tz_name = _zone_name(_str(d, "timezone") or DEFAULT_TIMEZONE, "timezone")
    canvas = _mapping(d.get("canvas", {}), "canvas", ("width", "height", "rotation"))
    width = _int(canvas.get("width", 1920), "canvas.width", 1, 100_000)
    height = _int(canvas.get("height", 1080), "canvas.height", 1, 100_000)
    rotation = canvas.get("rotation", 0)
    if rotation not in (0, 90, 180, 270) or isinstance(rotation, bool):
        raise _fail("canvas.rotation", "must be 0, 90, 180 or 270")
    zones = _str_list(d, "zones") if "zones" in d else ("main",)
    for i, name in enumerate(zones):
        if name not in ZONE_NAMES:
            raise _fail(f"zones[{i}]", f"unknown zone {name!r} (known: {', '.join(ZONE_NAMES)})")
    if "main" not in zones:
        raise _fail("zones", "must include main")
    raw_hours = d.get("operating_hours", [])
    if not isinstance(raw_hours, list):
        raise _fail("operating_hours", "expected a list of {days, start, end}")
    hours = []
    for i, w in enumerate(raw_hours):
        where = f"operating_hours[{i}]"
        part = _daypart(w, where, ("days", "start", "end"))
        days = _days(w["days"], f"{where}.days") if "days" in w else ()
        hours.append(OperatingWindow(part, days))
    return Display(
        id=display_id,
        timezone=tz_name,
        groups=_str_list(d, "groups"),
        tags=_str_list(d, "tags"),
        width_px=width,
        height_px=height,
        rotation_deg=rotation,
        zones=zones,
        operating_hours=tuple(hours),
        fallback=_str_list(d, "fallback"),
    )


def display_to_dict(display: Display) -> dict[str, Any]:
    out: dict[str, Any] = {"id": display.id}
    if display.timezone != DEFAULT_TIMEZONE:
        out["timezone"] = display.timezone
    if display.groups:
        out["groups"] = list(display.groups)
    if display.tags:
        out["tags"] = list(display.tags)
    canvas: dict[str, int] = {}
    if display.width_px != 1920:
        canvas["width"] = display.width_px
    if display.height_px != 1080:
        canvas["height"] = display.height_px
    if display.rotation_deg:
        canvas["rotation"] = display.rotation_deg
    if canvas:
        out["canvas"] = canvas
    if display.zones != ("main",):
        out["zones"] = list(display.zones)
    if display.operating_hours:
        hours = []
        for w in display.operating_hours:
            entry: dict[str, Any] = {}
            if w.days:
                entry["days"] = [WEEKDAYS[i] for i in w.days]
            entry["start"] = format_clock_min(w.daypart.start_min)
            entry["end"] = format_clock_min(w.daypart.end_min)
            hours.append(entry)
        out["operating_hours"] = hours
    if display.fallback:
        out["fallback"] = list(display.fallback)
    return out


def parse_item(d: Any) -> ItemSpec:
    d = _mapping(d, "", _ITEM_KEYS)
    item_id = _str(d, "id", required=True)
    kind = d.get("type")
    if kind not in ITEM_TYPES:
        raise _fail("type", f"{kind!r} is not one of {', '.join(ITEM_TYPES)}")
    if "duration_s" not in d:
        raise _fail("duration_s", "missing")
    duration_s = _number(d["duration_s"], "duration_s")
    if not 0 < duration_s <= 86_400:
        raise _fail("duration_s", f"must be above 0 and at most one day, got {duration_s!r}")
    width = _int(d["width"], "width", 1, 100_000) if "width" in d else None
    height = _int(d["height"], "height", 1, 100_000) if "height" in d else None
    title = d.get("title", "")
    if not isinstance(title, str):
        raise _fail("title", "expected text")
    assert item_id is not None
    return ItemSpec(item_id, kind, duration_s, title, width, height)


def item_to_dict(item: ItemSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.id, "type": item.type, "duration_s": item.duration_s}
    if item.title:
        out["title"] = item.title
    if item.width_px is not None:
        out["width"] = item.width_px
    if item.height_px is not None:
        out["height"] = item.height_px
    return out


def parse_playlist(d: Any) -> Playlist:
    d = _mapping(d, "", _PLAYLIST_KEYS)
    playlist_id = _str(d, "id", required=True)
    items = _str_list(d, "items") if "items" in d else ()
    if not items:
        raise _fail("items", "a playlist needs at least one item")
    if len(set(items)) != len(items):
        raise _fail("items", "has duplicates")
    title = d.get("title", "")
    if not isinstance(title, str):
        raise _fail("title", "expected text")
    assert playlist_id is not None
    return Playlist(playlist_id, items, title)


def playlist_to_dict(playlist: Playlist) -> dict[str, Any]:
    out: dict[str, Any] = {"id": playlist.id, "items": list(playlist.items)}
    if playlist.title:
        out["title"] = playlist.title
    return out
