"""Proof-of-play reports: plays and on-screen time per announcement, display and day; CSV; SVG chart.

Plays come from the recent raw events and from the hourly totals that older ones were
folded into (``scheduler/proof_of_play.py``), so a report does not change after a prune.

Days are local days of the scheduler's zone (``config.timezone``): a play belongs to the
day on which it started there.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup, escape

from scheduler.proof_of_play import plays_between
from scheduler.service import Service
from signage.clock import format_utc, parse_utc, zone
from signage.errors import UserError

MAX_RANGE_DAYS = 366


@dataclass
class Totals:
    plays: int = 0
    seconds: float = 0.0

    def add(self, seconds: float, plays: int = 1) -> None:
        self.plays += plays
        self.seconds += seconds


@dataclass
class PlayRow:
    day: date
    display_id: str
    display_name: str
    item_id: str
    title: str
    plays: int
    seconds: float


@dataclass
class Report:
    start: date
    end: date  # inclusive
    zone_name: str
    rows: list[PlayRow] = field(default_factory=list)
    by_item: dict[str, Totals] = field(default_factory=dict)
    by_display: dict[str, Totals] = field(default_factory=dict)
    by_day: dict[date, Totals] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    display_names: dict[str, str] = field(default_factory=dict)
    skipped: int = 0

    @property
    def total(self) -> Totals:
        out = Totals()
        for t in self.by_day.values():
            out.plays += t.plays
            out.seconds += t.seconds
        return out

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def parse_range(start_text: str | None, end_text: str | None, today: date) -> tuple[date, date]:
    """``YYYY-MM-DD`` bounds (inclusive); default the last 7 days up to today."""
    try:
        end = date.fromisoformat(end_text) if end_text else today
    except ValueError:
        raise UserError("end: write a date as YYYY-MM-DD", field="end") from None
    try:
        start = date.fromisoformat(start_text) if start_text else end - timedelta(days=6)
    except ValueError:
        raise UserError("start: write a date as YYYY-MM-DD", field="start") from None
    if start > end:
        raise UserError("start: must be on or before the end date", field="start")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise UserError(f"start: a report covers at most {MAX_RANGE_DAYS} days", field="start")
    return start, end


def build_report(service: Service, start: date, end: date, display_id: str | None = None) -> Report:
    zone_name = service.config.timezone
    local = zone(zone_name)
    since = format_utc(datetime.combine(start, time(), local))
    until = format_utc(datetime.combine(end + timedelta(days=1), time(), local))
    with service.lock:
        plays = list(plays_between(service.db, since, until, display_id))
        titles = {f"ann-{a['id']}": a["title"] for a in service.db.table("announcements").rows}
        names = {d["id"]: d["name"] for d in service.db.table("displays").rows}
    report = Report(start, end, zone_name, titles=titles, display_names=names)
    cells: dict[tuple[date, str, str], Totals] = defaultdict(Totals)
    for cell in plays:
        report.skipped += cell.skipped
        if not cell.plays:
            continue
        day = parse_utc(cell.started_at).astimezone(local).date()
        seconds = cell.played_ms / 1000
        for totals in (
            cells[(day, cell.display_id, cell.item_id)],
            report.by_item.setdefault(cell.item_id, Totals()),
            report.by_display.setdefault(cell.display_id, Totals()),
            report.by_day.setdefault(day, Totals()),
        ):
            totals.add(seconds, cell.plays)
    for (day, display, item), totals in sorted(cells.items()):
        report.rows.append(
            PlayRow(
                day, display, names.get(display, display), item, titles.get(item, item), totals.plays, totals.seconds
            )
        )
    return report


#: A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...), =cmd|...).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """Text typed by staff or reported by a player, safe to open in a spreadsheet: a leading ``'`` keeps
    what would start a formula as plain text (OWASP "CSV injection")."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "display_id", "display_name", "item_id", "title", "plays", "seconds_on_screen"])
    for row in report.rows:
        writer.writerow(
            [
                row.day.isoformat(),
                csv_text(row.display_id),
                csv_text(row.display_name),
                csv_text(row.item_id),
                csv_text(row.title),
                row.plays,
                round(row.seconds),
            ]
        )
    return out.getvalue()


def chart_svg(report: Report, label: str, day_label: Any = None) -> Markup:
    """Minutes on screen per day as a bar chart (SVG attributes only: no inline CSS under the CSP)."""
    days = report.days()
    width, height, left, bottom, top = 720, 240, 48, 36, 16
    plot_w, plot_h = width - left - 8, height - bottom - top
    minutes = [report.by_day.get(d, Totals()).seconds / 60 for d in days]
    peak = max([*minutes, 1.0])
    scale = _nice_ceiling(peak)
    bar_w = plot_w / max(len(days), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(5):
        value = scale * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="#d3dae2"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5a6875">{value:g}</text>'
        )
    step = max(1, len(days) // 12)
    for i, (day, value) in enumerate(zip(days, minutes, strict=True)):
        x = left + i * bar_w
        h = plot_h * value / scale
        title = escape(f"{day_label(day) if day_label else day.isoformat()}: {value:.1f}")
        parts.append(
            f'<rect x="{x + bar_w * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w * 0.7:.1f}" height="{h:.1f}" '
            f'fill="#12569a"><title>{title}</title></rect>'
        )
        if i % step == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" '
                f'fill="#14202c">{day.day}/{day.month}</text>'
            )
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#14202c"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_ceiling(value: float) -> float:
    for candidate in (4, 8, 20, 40, 60, 120, 240, 480, 720, 1440):
        if value <= candidate:
            return float(candidate)
    return float(int(value / 1440 + 1) * 1440)
