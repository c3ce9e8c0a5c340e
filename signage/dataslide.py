"""The ``stat`` / ``prayer`` manifest item's ``data``: what a native data slide needs (scheduler -> player).

``stat`` data::

    {"slide": "population" | "age" | "bars" | "dusun", "title": str, "place": str,
     "series": {key: {"title", "categories": [{"label", "total", "male", "female"}], "total",
                      "total_male", "total_female", "unfilled", "households"}},
     "series_key": str, "top_n": int, "as_of": iso | null, "as_of_precision": "day" | "minute",
     "checked_at": iso, "stale_after_s": number, "source_name": str, "footnote": str}

``footnote`` names villages missing from (or stale in) an aggregated figure; a ``weather`` slide
carries ``forecast`` (BMKG steps) instead of series.

The player marks the slide stale when ``checked_at`` (the last successful fetch)
is older than ``stale_after_s`` at the moment it draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signage.clock import parse_utc

STAT_SLIDES = ("population", "age", "bars", "dusun", "desa", "weather")
#: which series each slide needs (``bars`` uses the template's ``series_key``)
SLIDE_SERIES = {
    "population": ("jenis-kelamin", "wilayah"),
    "age": ("rentang-umur",),
    "dusun": ("wilayah",),
    "desa": ("desa",),
}


@dataclass(frozen=True)
class StatSlide:
    slide: str
    title: str
    place: str
    series: dict[str, dict[str, Any]]
    series_key: str
    top_n: int
    as_of: datetime | None
    as_of_precision: str
    checked_at: datetime
    stale_after_s: float
    source_name: str
    footnote: str = ""
    forecast: dict[str, Any] | None = None  # weather: BMKG steps (content.sources.bmkg)

    def is_stale(self, now: datetime) -> bool:
        return (now - self.checked_at).total_seconds() > self.stale_after_s

    def main_series(self) -> dict[str, Any] | None:
        key = {"population": "jenis-kelamin", "age": "rentang-umur", "dusun": "wilayah", "desa": "desa"}.get(
            self.slide, self.series_key
        )
        return self.series.get(key)


def parse_stat(data: dict[str, Any] | None) -> StatSlide:
    """Validate a ``stat`` item's data; ValueError names the field."""
    if not isinstance(data, dict):
        raise ValueError("data: a stat item needs a data object")
    slide = data.get("slide")
    if slide not in STAT_SLIDES:
        raise ValueError(f"data.slide: one of {', '.join(STAT_SLIDES)}, not {slide!r}")
    series = data.get("series")
    if not isinstance(series, dict):
        raise ValueError("data.series: an object of series")
    try:
        checked_at = parse_utc(str(data.get("checked_at")))
        as_of = parse_utc(str(data["as_of"])) if data.get("as_of") else None
    except ValueError as exc:
        raise ValueError(f"data.checked_at/as_of: {exc}") from None
    return StatSlide(
        slide=str(slide),
        title=str(data.get("title") or ""),
        place=str(data.get("place") or ""),
        series=series,
        series_key=str(data.get("series_key") or ""),
        top_n=int(data.get("top_n") or 8),
        as_of=as_of,
        as_of_precision=str(data.get("as_of_precision") or "day"),
        checked_at=checked_at,
        stale_after_s=float(data.get("stale_after_s") or 86400),
        source_name=str(data.get("source_name") or ""),
        footnote=str(data.get("footnote") or ""),
        forecast=data.get("forecast") if isinstance(data.get("forecast"), dict) else None,
    )


@dataclass(frozen=True)
class PrayerSlide:
    latitude: float
    longitude: float
    place: str


def parse_prayer(data: dict[str, Any] | None) -> PrayerSlide:
    """A ``prayer`` item's data ``{"lat", "lon", "place"}``; ValueError names the field."""
    if not isinstance(data, dict):
        raise ValueError("data: a prayer item needs {lat, lon}")
    values = []
    for key, limit in (("lat", 90), ("lon", 180)):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not -limit <= value <= limit:
            raise ValueError(f"data.{key}: a number between -{limit} and {limit}")
        values.append(float(value))
    return PrayerSlide(values[0], values[1], str(data.get("place") or ""))
