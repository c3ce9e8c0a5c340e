"""Validation of a fetched snapshot: ok (airs), invalid (never airs), held (an approver decides).

* every count is a non-negative integer below ``MAX_COUNT``;
* a category's L + P equals its count, where both are given;
* categories + BELUM MENGISI add up to the series' total (bantuan: at least the total, programmes overlap);
* no series total exceeds the population (eligible-only totals may be lower);
* a population that moves by ``JUMP_FACTOR`` or more against the last good
  snapshot is *held*: probably a data-entry error, possibly real;
* text the snapshot would put on screen that no approver has seen is *held*
  (:func:`with_texts_checked`, applied by the store, which knows the last good snapshot): category
  labels (and series titles) not in the last good snapshot, a forecast's place name,
  a weather description outside BMKG's own vocabulary. The first snapshot of a source
  is therefore held until an approver has read its labels; values alone never hold it.
  Whoever controls the site controls these words, so they get the same two-person
  rule as an announcement.

A series failing the first four checks is left out of the snapshot (:func:`without_inconsistent`), named
with its problems in ``missing``, while the village's other series still air: real OpenSID data has
quirks in single categories (age bands configured to overlap, a log joined twice). Only when no series
is consistent is the whole snapshot invalid.
"""

from __future__ import annotations

from dataclasses import replace

from content.sources.bmkg import forecast_problems
from content.sources.model import Series, Snapshot, Validation
from content.sources.opensid import OVERLAPPING

#: BMKG's weather descriptions (``weather_desc`` of its weather codes): any other description is held.
BMKG_WEATHER = frozenset({
    "Cerah", "Cerah Berawan", "Berawan", "Berawan Tebal", "Udara Kabur", "Asap", "Kabut", "Hujan Ringan",
    "Hujan Sedang", "Hujan Lebat", "Hujan Sangat Lebat", "Hujan Ekstrem", "Hujan Lokal", "Hujan Petir", "Petir",
    "Hujan Es", "Angin Kencang",
})  # fmt: skip
#: How a held snapshot's reason for unseen words begins (the review page lists the words themselves).
FIRST_DATA = "data pertama dari sumber ini"
NEW_TEXTS = "teks baru"
#: How many unseen texts a held snapshot's reason names (the review page lists them all).
NAMED_TEXTS = 8
MAX_COUNT = 10_000_000  # more than Kalimantan Barat's population in one village: absurd
JUMP_FACTOR = 10.0
POPULATION_KEYS = ("jenis-kelamin", "wilayah")


def population(series: dict[str, Series]) -> int | None:
    for key in POPULATION_KEYS:
        found = series.get(key)
        if found is not None and found.total is not None:
            return found.total
    return None


def series_problems(series: Series) -> list[str]:
    problems: list[str] = []
    counts: list[tuple[str, int | None]] = [(c.label, c.total) for c in series.categories]
    counts += [(f"{c.label} (L)", c.male) for c in series.categories if c.male is not None]
    counts += [(f"{c.label} (P)", c.female) for c in series.categories if c.female is not None]
    counts += [("BELUM MENGISI", series.unfilled), ("TOTAL", series.total)]
    for label, value in counts:
        if value is None:
            continue
        if value < 0:
            problems.append(f"{series.key}: {label} negatif ({value})")
        elif value > MAX_COUNT:
            problems.append(f"{series.key}: {label} tidak masuk akal ({value})")
    for c in series.categories:
        if c.male is not None and c.female is not None and c.male + c.female != c.total:
            problems.append(f"{series.key}: {c.label}: L {c.male} + P {c.female} != jumlah {c.total}")
    if series.total is not None:
        added = sum(c.total for c in series.categories) + series.unfilled
        if series.key in OVERLAPPING:  # one person may be in several programmes: at least the total
            if added < series.total:
                problems.append(f"{series.key}: kategori berjumlah {added}, kurang dari total tertulis {series.total}")
        elif added != series.total:
            problems.append(f"{series.key}: kategori berjumlah {added}, total tertulis {series.total}")
        male, female = series.total_male, series.total_female
        if male is not None and female is not None and male + female != series.total:
            problems.append(f"{series.key}: total L {male} + P {female} != {series.total}")
    return problems


def inconsistent_series(series: dict[str, Series]) -> dict[str, list[str]]:
    """Series key -> its problems: counts that do not add up, or a total above the population (the population
    taken from a consistent series)."""
    bad = {key: problems for key, one in series.items() if (problems := series_problems(one))}
    people = population({key: one for key, one in series.items() if key not in bad})
    if people is not None:
        for key, one in series.items():
            if key not in bad and one.total is not None and one.total > people:
                bad[key] = [f"{key}: total {one.total} melebihi jumlah penduduk {people}"]
    return bad


def without_inconsistent(snapshot: Snapshot) -> Snapshot:
    """``snapshot`` minus the series whose numbers do not add up, each named in ``missing`` with why; unchanged
    when none or all of them are (then :func:`validate` refuses the whole snapshot, naming every problem)."""
    bad = inconsistent_series(snapshot.series)
    if not bad or len(bad) == len(snapshot.series):
        return snapshot
    missing = dict(snapshot.missing)
    for key, problems in bad.items():
        missing[key] = ("angka tidak konsisten, tidak ditayangkan: " + "; ".join(problems))[:500]
    series = {key: one for key, one in snapshot.series.items() if key not in bad}
    return replace(snapshot, series=series, missing=missing)


def screen_texts(snapshot: Snapshot) -> set[tuple[str, str]]:
    """The words from the source that its slides would show, as (series key or ``cuaca``, text).

    Numbers are checked by the rules above; these are compared with the last good snapshot's.
    """
    texts: set[tuple[str, str]] = set()
    for key, series in snapshot.series.items():
        texts.add((key, series.title))
        texts.update((key, c.label) for c in series.categories)
    if snapshot.forecast is not None:
        texts.add(("cuaca", str(snapshot.forecast.get("place") or "")))
        for step in snapshot.forecast.get("steps", []):
            desc = str(step.get("weather_desc") or "").strip()
            if desc and desc not in BMKG_WEATHER:
                texts.add(("cuaca", desc))
    return texts


def is_texts_problem(problem: str) -> bool:
    """Whether ``problem`` is :func:`with_texts_checked`'s (not a check of the numbers)."""
    return problem.startswith((f"{FIRST_DATA},", f"{NEW_TEXTS},"))


def unseen_texts(snapshot: Snapshot, last_good: Snapshot | None) -> list[tuple[str, str]]:
    """Texts of ``snapshot`` not in ``last_good`` (every text of a source's first snapshot), sorted."""
    seen = screen_texts(last_good) if last_good is not None else set()
    return sorted(screen_texts(snapshot) - seen)


def validate(snapshot: Snapshot, last_good: Snapshot | None) -> Validation:
    # what poll() leaves in a snapshot (without_inconsistent) has none, unless no series was consistent
    problems = [problem for found in inconsistent_series(snapshot.series).values() for problem in found]
    if snapshot.forecast is not None:
        problems += forecast_problems(snapshot.forecast)
    elif not snapshot.series and not snapshot.articles and snapshot.kind != "cap":  # no active alert is fine
        problems.append("tidak ada data sama sekali")
    if problems:
        return Validation("invalid", tuple(problems))
    held: list[str] = []
    if last_good is not None:
        for key, series in snapshot.series.items():
            before = last_good.series.get(key)
            if before is None or before.total is None or series.total is None:
                continue
            low, high = sorted((before.total, series.total))
            if high >= JUMP_FACTOR * max(low, 1) and high >= 10:
                held.append(f"{key}: total berubah dari {before.total} menjadi {series.total} (>= x{JUMP_FACTOR:g})")
    if held:
        return Validation("held", tuple(held))
    return Validation("ok")


def with_texts_checked(snapshot: Snapshot, last_good: Snapshot | None) -> Validation:
    """``snapshot``'s validation, *held* when it would show words no approver has seen (the store applies
    this when it records a snapshot: the last good one is the store's)."""
    unseen = unseen_texts(snapshot, last_good)
    if not unseen or snapshot.validation.status == "invalid":
        return snapshot.validation
    named = ", ".join(repr(f"{group}: {text}") for group, text in unseen[:NAMED_TEXTS])
    more = f" (+{len(unseen) - NAMED_TEXTS} lagi)" if len(unseen) > NAMED_TEXTS else ""
    why = FIRST_DATA if last_good is None else NEW_TEXTS
    problem = f"{why}, belum pernah disetujui untuk tayang: {named}{more}"
    return Validation("held", (*snapshot.validation.problems, problem))
