"""What the admin's "Sumber data" page shows per source: status, the data's age, the next poll, a summary.

Pure functions over the store (callers hold the service lock); the page module only renders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from content.sources.model import Snapshot
from content.sources.validate import is_texts_problem, unseen_texts
from scheduler.dataslides import stale_after_s
from scheduler.sources import StoredSource, _snapshot, configured_by, last_good, list_sources, snapshots
from signage.clock import parse_utc

MAX_SUMMARY_ROWS = 14


@dataclass(frozen=True)
class SeriesLine:
    key: str
    title: str
    categories: int
    total: int | None


@dataclass(frozen=True)
class Summary:
    """A snapshot in a few numbers: population (where the source has it) and one line per series."""

    population: int | None
    lines: tuple[SeriesLine, ...]
    more: int  # series not listed
    missing: dict[str, str]
    alerts: int
    forecast_steps: int
    problems: tuple[str, ...]
    status: str

    @property
    def by_key(self) -> dict[str, SeriesLine]:
        return {line.key: line for line in self.lines}

    @property
    def faults(self) -> tuple[str, ...]:
        """The problems that are faults of the data (a jump, figures that do not add up)."""
        return tuple(p for p in self.problems if not is_texts_problem(p))

    @property
    def hold_notes(self) -> tuple[str, ...]:
        """Why the data waits for an approver's reading (a first fetch, new words): expected, not a fault."""
        return tuple(p for p in self.problems if is_texts_problem(p))

    @property
    def missing_by_reason(self) -> list[tuple[str, list[str]]]:
        """What the source lacks, grouped by why: (reason, category titles), the commonest reason first (twenty
        categories a village has not switched on are one line, not twenty)."""
        from content.sources.opensid import CATEGORIES

        groups: dict[str, list[str]] = {}
        for key, why in self.missing.items():
            groups.setdefault(why, []).append(CATEGORIES.get(key, key))
        return sorted(((why, sorted(titles)) for why, titles in groups.items()), key=lambda g: -len(g[1]))


def summarize(snap: Snapshot) -> Summary:
    series = list(snap.series.values())
    population = None
    for key in ("jenis-kelamin", "data-wilayah", "penduduk"):
        if key in snap.series and snap.series[key].total is not None:
            population = snap.series[key].total
            break
    else:
        totals = [s.total for s in series if s.total is not None]
        population = max(totals) if totals else None
    lines = tuple(SeriesLine(s.key, s.title, len(s.categories), s.total) for s in series[:MAX_SUMMARY_ROWS])
    steps = (snap.forecast or {}).get("steps") or []
    return Summary(population, lines, max(0, len(series) - MAX_SUMMARY_ROWS), dict(snap.missing), len(snap.alerts),
                   len(steps), snap.validation.problems, snap.validation.status)  # fmt: skip


@dataclass(frozen=True)
class SourceRow:
    source: StoredSource
    status: str  # ok | stale | failed | held | new
    reason: str | None  # why the last fetch failed
    last_fetch_at: datetime | None  # the last attempt, good or not
    data_at: datetime | None  # the last good data's own date (else when it was fetched)
    age_s: float | None
    next_poll_at: datetime | None
    good: Summary | None
    good_id: int | None
    held_id: int | None


def _error(text: str | None) -> tuple[datetime | None, str | None]:
    """``last_error`` is stored as "<utc time>: <reason>"."""
    if not text:
        return None, None
    stamp, _, reason = text.partition(": ")
    try:
        return parse_utc(stamp), reason
    except ValueError:
        return None, text


def source_row(db: Database, source: StoredSource, now: datetime) -> SourceRow:
    source_id = source.config.id
    good = last_good(db, source_id)
    latest = snapshots(db, source_id, limit=1)
    error_at, reason = _error(source.last_error)
    ok_at = parse_utc(source.last_ok_at) if source.last_ok_at else None
    attempts = [t for t in (ok_at, error_at) if t is not None]
    last_fetch = max(attempts) if attempts else None
    held_id = int(latest[0]["id"]) if latest and latest[0]["status"] == "held" else None
    if held_id is not None:
        status = "held"
    elif error_at is not None and (ok_at is None or error_at >= ok_at):
        status = "failed"
    elif ok_at is not None or good is not None:
        # as the slides judge it (scheduler/dataslides.py): no good fetch for that long and the screens
        # mark this source's figures DATA LAMA; the page says so rather than "OK"
        last_ok = ok_at or (good[1].fetched_at if good else None)
        too_old = last_ok is not None and (now - last_ok).total_seconds() > stale_after_s(source.config.poll_interval_s)
        status = "stale" if too_old else "ok"
    else:
        status = "new"
    data_at = (good[1].as_of or good[1].fetched_at) if good else None
    # good data is "ok" (no problems) or "approved": its problems were why it was held, decided since
    good_summary = replace(summarize(good[1]), problems=()) if good else None
    return SourceRow(
        source=source, status=status, reason=reason if status == "failed" else None,
        last_fetch_at=last_fetch, data_at=data_at,
        age_s=(now - data_at).total_seconds() if data_at else None,
        next_poll_at=source.state.next_due_at, good=good_summary,
        good_id=good[0] if good else None, held_id=held_id,
    )  # fmt: skip


def _natural(text: str) -> list[Any]:
    """Sort key reading digit runs as numbers: "5 s/d 9" before "10 s/d 14" (as the site lists its age groups)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def source_rows(db: Database, now: datetime) -> list[SourceRow]:
    return [source_row(db, source, now) for source in list_sources(db)]


@dataclass(frozen=True)
class Comparison:
    """A held snapshot beside the last good one: per series, old total vs new total."""

    snapshot_id: int
    fetched_at: datetime
    old: Summary | None
    new: Summary
    rows: tuple[tuple[str, int | None, int | None], ...]  # (title, old total, new total)
    # the words it would put on screen that no approver has read: (series title, its new labels)
    unseen: tuple[tuple[str, tuple[str, ...]], ...] = ()
    problems: tuple[str, ...] = ()  # why the numbers were held (the unseen words are in ``unseen``)
    added_by: frozenset[int] = frozenset()  # who added the source: another approver decides


def held_comparison(db: Database, source_id: str) -> Comparison | None:
    latest = snapshots(db, source_id, limit=1)
    if not latest or latest[0]["status"] != "held":
        return None
    held = _snapshot(latest[0])
    good = last_good(db, source_id)
    old = summarize(good[1]) if good else None
    new = summarize(held)
    old_totals: dict[str, Any] = {k: s.total for k, s in good[1].series.items()} if good else {}
    rows = [(s.title, old_totals.get(k), s.total) for k, s in held.series.items()]
    grouped: dict[str, list[str]] = {}
    for key, text in unseen_texts(held, good[1] if good else None):
        title = held.series[key].title if key in held.series else key
        grouped.setdefault(title, []).append(text)
    unseen = tuple((title, tuple(sorted(texts, key=_natural))) for title, texts in grouped.items())
    problems = tuple(p for p in new.problems if not is_texts_problem(p))
    return Comparison(int(latest[0]["id"]), held.fetched_at, old, new, tuple(rows), unseen, problems,
                      frozenset(configured_by(db, source_id)))  # fmt: skip
