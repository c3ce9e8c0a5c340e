"""Proof-of-play storage: raw events (deduplicated by UUID), hourly totals, retention.

Raw rows live in ``play_events`` (primary key: the player's event UUID, so a
re-sent batch adds nothing: ``INSERT OR IGNORE`` and the statement's own change
count tell accepted from duplicate, with no ``count(*)``). Rows *received* more
than ``play_retention_days`` ago are folded into ``play_totals`` (per display x
item x UTC hour of ``started_at``: plays, milliseconds on screen, skips) and
deleted, in small transactions. An event is always in exactly one of the two
tables, so reports (``scheduler/reports.py``) add both and stay the same after a
prune. Deduplication holds for as long as the raw row is kept (the retention,
counted from receipt: a player re-sends only what was not acknowledged).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from signage.clock import format_utc, parse_utc

log = logging.getLogger("scheduler.proof_of_play")

PLAY_COLUMNS = ("id", "display_id", "item_id", "sha256", "started_at", "ended_at", "duration_ms", "result", "reason",
                "received_at", "clock_flag")  # fmt: skip
_INSERT = f"INSERT OR IGNORE INTO play_events ({', '.join(PLAY_COLUMNS)}) VALUES ({', '.join('?' * len(PLAY_COLUMNS))})"
#: Rows folded and deleted per transaction: keeps each pause of the writer short.
PRUNE_CHUNK_ROWS = 2000


def insert_play_events(db: Database, rows: list[dict[str, Any]]) -> int:
    """Insert the rows not stored yet; how many were new (the rest are duplicates)."""
    conn = db.conn
    before = conn.total_changes
    conn.executemany(_INSERT, [tuple(row.get(c) for c in PLAY_COLUMNS) for row in rows])
    return conn.total_changes - before


def hour_bucket(started_at: str) -> str:
    """The UTC hour a play started in, ``YYYY-MM-DDTHH:00:00Z`` (unparseable times: the raw text's hour)."""
    try:
        return format_utc(parse_utc(started_at).replace(minute=0, second=0, microsecond=0))
    except ValueError:
        return started_at[:13] + ":00:00Z"


def prune_chunk(db: Database, received_before: str, limit: int = PRUNE_CHUNK_ROWS) -> int:
    """Fold up to ``limit`` raw rows received before ``received_before`` into ``play_totals``; how many."""
    conn = db.conn
    rows = conn.execute(
        "SELECT id, display_id, item_id, started_at, duration_ms, result FROM play_events "
        "WHERE received_at < ? ORDER BY received_at LIMIT ?",
        [received_before, limit],
    ).fetchall()
    if not rows:
        return 0
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for _id, display_id, item_id, started_at, duration_ms, result in rows:
        cell = totals[(display_id, item_id, hour_bucket(started_at or ""))]
        if result == "played":
            cell[0] += 1
            cell[1] += int(duration_ms or 0)
        else:
            cell[2] += 1
    conn.executemany(
        "INSERT INTO play_totals (display_id, item_id, hour_utc, plays, played_ms, skipped) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (display_id, item_id, hour_utc) DO UPDATE SET plays = plays + excluded.plays, "
        "played_ms = played_ms + excluded.played_ms, skipped = skipped + excluded.skipped",
        [(*key, *cell) for key, cell in totals.items()],
    )
    conn.executemany("DELETE FROM play_events WHERE id = ?", [(row[0],) for row in rows])
    return len(rows)


def prune(run: Callable[[Callable[[Database], int]], int], received_before: datetime,
          chunk_rows: int = PRUNE_CHUNK_ROWS) -> int:  # fmt: skip
    """Fold every raw row received before ``received_before``, one chunk per ``run`` (a writer transaction)."""
    cutoff = format_utc(received_before)
    total = 0
    while True:
        done = run(lambda db: prune_chunk(db, cutoff, chunk_rows))
        total += done
        if done < chunk_rows:
            break
    if total:
        log.info("proof of play: folded %d event(s) received before %s into hourly totals", total, cutoff)
    return total


@dataclass(frozen=True)
class PlayCell:
    """Plays of one item on one display, from raw rows (one event) or hourly totals (many)."""

    display_id: str
    item_id: str
    started_at: str  # the event's start, or the hour of the totals
    plays: int
    played_ms: int
    skipped: int


def plays_between(db: Database, since: str, until: str, display_id: str | None = None) -> Iterator[PlayCell]:
    """Every play starting in [since, until): recent raw rows and the hourly totals of pruned ones."""
    where = "started_at >= ? and started_at < ?"
    params: list[Any] = [since, until]
    if display_id:
        where += " and display_id = ?"
        params.append(display_id)
    for row in db.execute(
        f"select display_id, item_id, started_at, duration_ms, result from play_events where {where}", params
    ).fetchall():
        played = row[4] == "played"
        yield PlayCell(row[0], row[1], row[2], int(played), int(row[3] or 0) if played else 0, int(not played))
    totals_where = where.replace("started_at", "hour_utc")
    for row in db.execute(
        f"select display_id, item_id, hour_utc, plays, played_ms, skipped from play_totals where {totals_where}", params
    ).fetchall():
        yield PlayCell(row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]))
