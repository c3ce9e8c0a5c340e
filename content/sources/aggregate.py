"""Kecamatan / kabupaten figures from many villages' last good snapshots.

Series with the same key are added up category by category (labels matched
case-insensitively); a total is summed only when every village gives one. A
``desa`` series lists each village's population. Villages without good data
are left out and named; stale ones are counted but named too, so the slide's
footnote says exactly what the figure contains.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.sources.model import Category, Series, Snapshot
from content.sources.validate import population


@dataclass(frozen=True)
class Aggregate:
    series: dict[str, Series]
    included: tuple[str, ...]
    missing: tuple[str, ...]
    stale: tuple[str, ...]

    def footnote(self) -> str:
        parts = []
        if self.missing:
            parts.append("belum ada data: " + ", ".join(self.missing))
        if self.stale:
            parts.append("data lama: " + ", ".join(self.stale))
        text = "; ".join(parts)
        return text[:1].upper() + text[1:]


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _merge(key: str, parts: list[Series]) -> Series:
    order: list[str] = []
    rows: dict[str, list[int | None]] = {}
    labels: dict[str, str] = {}
    for series in parts:
        for c in series.categories:
            norm = c.label.strip().upper()
            if norm not in rows:
                order.append(norm)
                labels[norm] = c.label
                rows[norm] = [0, 0 if c.male is not None else None, 0 if c.female is not None else None]
            row = rows[norm]
            row[0] = (row[0] or 0) + c.total
            row[1] = _add(row[1], c.male)
            row[2] = _add(row[2], c.female)
    total: int | None = 0
    total_male: int | None = 0
    total_female: int | None = 0
    households: int | None = 0
    for series in parts:
        total = _add(total, series.total)
        total_male = _add(total_male, series.total_male)
        total_female = _add(total_female, series.total_female)
        households = _add(households, series.households)
    categories = tuple(Category(labels[n], int(rows[n][0] or 0), rows[n][1], rows[n][2]) for n in order)
    return Series(key, parts[0].title, categories, total, total_male, total_female,
                  sum(s.unfilled for s in parts), households)  # fmt: skip


def aggregate(villages: dict[str, Snapshot | None], stale: set[str]) -> Aggregate:
    """``villages``: name -> last good snapshot (None when there is none); ``stale``: names with old data."""
    included = [name for name, snap in villages.items() if snap is not None]
    missing = [name for name, snap in villages.items() if snap is None]
    by_key: dict[str, list[Series]] = {}
    per_village: list[Category] = []
    for name in included:
        snap = villages[name]
        assert snap is not None
        for key, series in snap.series.items():
            by_key.setdefault(key, []).append(series)
        people = population(snap.series)
        if people is not None:
            per_village.append(Category(name, people))
    merged = {key: _merge(key, parts) for key, parts in by_key.items() if len(parts) == len(included)}
    if per_village:
        merged["desa"] = Series("desa", "Penduduk per Desa", tuple(per_village), sum(c.total for c in per_village))
    return Aggregate(merged, tuple(included), tuple(missing), tuple(n for n in included if n in stale))
