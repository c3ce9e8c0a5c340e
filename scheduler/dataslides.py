"""Data-slide templates: a ``stat`` announcement whose body names a source and a slide.

The template is approved once like any announcement; each publish fills the
manifest item with the source's *last good* snapshot, so a new snapshot that
passes validation refreshes the slide without a new approval, while held or
invalid snapshots never reach it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from content.sources.aggregate import aggregate
from content.sources.mapping import KEY_RE
from content.sources.model import Series, Snapshot
from scheduler.sources import get_source, last_good
from scheduler.store import dumps, loads
from signage.clock import format_utc, parse_utc
from signage.dataslide import SLIDE_SERIES, STAT_SLIDES, parse_prayer
from signage.errors import NotFoundError, UserError, raise_all

log = logging.getLogger("scheduler.dataslides")
MIN_STALE_AFTER_S = 6 * 3600
MAX_TOP_N = 12
MAX_SOURCES = 200  # villages in one aggregate (Kabupaten Mempawah has 60)


def validate_template(db: Database, body: str) -> str:
    """The normalised template JSON, or UserError naming ``body.<field>``."""
    try:
        spec = json.loads(body or "{}")
    except ValueError:
        raise UserError('body: a data slide needs JSON, e.g. {"source": "desa-x", "slide": "population"}',
                        field="body") from None  # fmt: skip
    if not isinstance(spec, dict):
        raise UserError("body: a JSON object", field="body")
    if spec.get("slide") == "prayer":
        return dumps(_prayer_template(spec))
    if spec.get("slide") == "weather" and "source" not in spec and "sources" not in spec:
        # per display: the BMKG source whose adm4 is the display's region_code ("kode wilayah")
        return dumps({"slide": "weather", **({"place": str(spec["place"])[:60]} if spec.get("place") else {})})
    problems: list[UserError] = []  # every mistake at once (a form's fields)
    sources = spec.get("sources") if "sources" in spec else [spec.get("source")]
    if not isinstance(sources, list) or not sources or len(sources) > MAX_SOURCES:
        problems.append(UserError(f"body.sources: a list of 1 to {MAX_SOURCES} data source ids", field="body.sources"))
        sources = []
    for i, source_id in enumerate(sources):
        field = "body.source" if "sources" not in spec else f"body.sources[{i}]"
        try:
            get_source(db, str(source_id or ""))
        except NotFoundError:
            problems.append(UserError(f"{field}: no data source {source_id!r}; add it with 'signage sources add'",
                                      field=field))  # fmt: skip
            break
    slide = spec.get("slide")
    if slide == "desa" and len(sources) < 2:  # villages side by side: one village is one bar
        problems.append(UserError("body.sources: villages side by side need at least 2 data sources",
                                  field="body.sources"))  # fmt: skip
    if slide not in STAT_SLIDES:
        problems.append(UserError(f"body.slide: one of {', '.join((*STAT_SLIDES, 'prayer'))}", field="body.slide"))
    out: dict[str, Any] = {"slide": slide}
    if "sources" in spec:
        out["sources"] = [str(x) for x in sources]
    else:
        out["source"] = str(sources[0]) if sources else ""
    if slide == "bars":
        series = spec.get("series")
        if not isinstance(series, str) or not KEY_RE.match(series):
            problems.append(UserError("body.series: a series of the source, e.g. agama, pekerjaan, pendidikan-dalam-kk",
                                      field="body.series"))  # fmt: skip
        out["series"] = series
    top_n = spec.get("top_n", 8)
    if isinstance(top_n, bool) or not isinstance(top_n, int) or not 2 <= top_n <= MAX_TOP_N:
        problems.append(UserError(f"body.top_n: a whole number from 2 to {MAX_TOP_N}", field="body.top_n"))
    raise_all(problems)
    out["top_n"] = top_n
    if spec.get("place"):
        out["place"] = str(spec["place"])[:60]
    return dumps(out)


def _prayer_template(spec: dict[str, Any]) -> dict[str, Any]:
    """``lat``/``lon`` are optional: each display's own coordinates win; the template's are the fallback."""
    if "lat" not in spec and "lon" not in spec:
        return {"slide": "prayer", **({"place": str(spec["place"])[:60]} if spec.get("place") else {})}
    try:
        prayer = parse_prayer(spec)
    except ValueError as exc:
        field = str(exc).split(":")[0].replace("data.", "body.")
        raise UserError(f"{field}: the display's coordinates in degrees, e.g. lat 0.36, lon 108.96",
                        field=field) from None  # fmt: skip
    return {"slide": "prayer", "lat": prayer.latitude, "lon": prayer.longitude, "place": prayer.place[:60]}


def stat_item(
    db: Database, ann: dict[str, Any], item: dict[str, Any], now: datetime, display: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The manifest item for a data-slide template on ``display``; None while it has no data for it."""
    spec = loads(ann["body"], {})
    if spec.get("slide") == "prayer":  # computed on the player from the coordinates; no source
        data = _prayer_data(spec, display or {})
        if data is None:
            log.warning("announcement %s: display %s has no coordinates for prayer times; left out", ann["id"],
                        (display or {}).get("id"))  # fmt: skip
            return None
        item.update(type="prayer", data=data)
        return item
    if "sources" in spec:
        return _aggregate_item(db, ann, spec, item, now)
    source_id = spec.get("source", "")
    if spec.get("slide") == "weather" and not source_id:
        source_id = weather_source_for(db, (display or {}).get("region_code"))
        if source_id is None:
            log.info("announcement %s: no BMKG source for display %s's kode wilayah %r; left out", ann["id"],
                     (display or {}).get("id"), (display or {}).get("region_code"))  # fmt: skip
            return None
    try:
        stored = get_source(db, source_id)
    except NotFoundError:
        log.warning("announcement %s: data source %r is gone; left out", ann["id"], source_id)
        return None
    good = last_good(db, source_id)
    if good is None:
        log.info("announcement %s: no good data from %s yet; left out until there is", ann["id"], source_id)
        return None
    snapshot_id, snap = good
    row = db.table("data_sources").get(source_id)
    checked_at = row.get("last_ok_at") or format_utc(snap.fetched_at)
    item.update(type="stat", data={
        **_common(ann, spec, snap.series),
        "place": spec.get("place") or stored.config.name or (snap.forecast or {}).get("place", ""),
        "forecast": snap.forecast if spec["slide"] == "weather" else None,
        "as_of": format_utc(snap.as_of) if snap.as_of else None,
        "checked_at": checked_at, "source_name": stored.config.name or stored.config.id,
        "stale_after_s": stale_after_s(stored.config.poll_interval_s), "snapshot": snapshot_id,
    })  # fmt: skip
    return item


def _prayer_data(spec: dict[str, Any], display: dict[str, Any]) -> dict[str, Any] | None:
    """The display's own coordinates, else the template's; the place from the template, else the display."""
    if display.get("latitude") is not None and display.get("longitude") is not None:
        lat, lon = float(display["latitude"]), float(display["longitude"])
    elif spec.get("lat") is not None and spec.get("lon") is not None:
        lat, lon = float(spec["lat"]), float(spec["lon"])
    else:
        return None
    place = spec.get("place") or display.get("location") or display.get("name") or ""
    return {"lat": lat, "lon": lon, "place": str(place)[:60]}


def weather_source_for(db: Database, region_code: str | None) -> str | None:
    """The BMKG forecast source of a village code (the first by id when several have it), or None."""
    if not region_code:
        return None
    for row in db.table("data_sources").rows_where("kind = 'bmkg'", order_by="id"):
        if (loads(row["config"], {}).get("options") or {}).get("adm4") == region_code:
            return str(row["id"])
    return None


def stale_after_s(poll_interval_s: int) -> int:
    return max(MIN_STALE_AFTER_S, 3 * poll_interval_s)


def _common(ann: dict[str, Any], spec: dict[str, Any], series: dict[str, Series]) -> dict[str, Any]:
    slide = spec["slide"]
    keys = SLIDE_SERIES.get(slide, (spec.get("series", ""),))
    return {"slide": slide, "title": ann["title"], "series": {k: series[k].to_json() for k in keys if k in series},
            "series_key": spec.get("series", ""), "top_n": spec.get("top_n", 8), "as_of_precision": "day"}  # fmt: skip


def _aggregate_item(
    db: Database, ann: dict[str, Any], spec: dict[str, Any], item: dict[str, Any], now: datetime
) -> dict[str, Any] | None:
    """Kecamatan/kabupaten figures: villages summed, the missing and stale ones named in the footnote."""
    villages: dict[str, Snapshot | None] = {}
    stale: set[str] = set()
    checked: list[str] = []
    as_of: list[datetime] = []
    for source_id in spec["sources"]:
        try:
            stored = get_source(db, source_id)
        except NotFoundError:
            villages[source_id] = None
            continue
        name = stored.config.name or source_id
        good = last_good(db, source_id)
        villages[name] = good[1] if good else None
        if good is None:
            continue
        ok_at = db.table("data_sources").get(source_id).get("last_ok_at") or format_utc(good[1].fetched_at)
        checked.append(ok_at)
        if good[1].as_of:
            as_of.append(good[1].as_of)
        if (now - parse_utc(ok_at)).total_seconds() > stale_after_s(stored.config.poll_interval_s):
            stale.add(name)
    total = aggregate(villages, stale)
    if not total.included:
        log.info("announcement %s: none of its villages has good data yet; left out", ann["id"])
        return None
    item.update(type="stat", data={
        **_common(ann, spec, total.series),
        "place": spec.get("place") or f"{len(total.included)} desa",
        "as_of": format_utc(min(as_of)) if as_of else None,
        "checked_at": max(checked),
        "source_name": f"{len(total.included)} desa", "stale_after_s": MIN_STALE_AFTER_S,
        "footnote": total.footnote(),
    })  # fmt: skip
    return item


def displays_for_source(db: Database, source_id: str) -> set[str]:
    """Displays reached by approved data-slide templates of ``source_id``."""
    from scheduler.announcements import displays_reached

    reached: set[str] = set()
    row = db.table("data_sources").get(source_id) if db.table("data_sources").count_where("id = ?", [source_id]) else {}
    adm4 = (loads(row.get("config"), {}).get("options") or {}).get("adm4") if row.get("kind") == "bmkg" else None
    for ann in db.table("announcements").rows_where("kind = 'stat' and status = 'approved'"):
        spec = loads(ann["body"], {})
        if spec.get("source") == source_id or source_id in (spec.get("sources") or []):
            reached |= displays_reached(db, loads(ann["targets"], {}))
        elif adm4 and spec.get("slide") == "weather" and not spec.get("source"):  # per-display weather
            for display_id in displays_reached(db, loads(ann["targets"], {})):
                if db.table("displays").get(display_id).get("region_code") == adm4:
                    reached.add(display_id)
    return reached
