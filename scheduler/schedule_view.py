"""One display's compiled day for people: segments in local time, per-announcement plays and why-nots.

The same compile the publisher does (``Publisher.compile``), the same explanations as
``signage timeline`` (the engine's ``why`` and ``never_plays`` reasons), cut to one local day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from playlists.codec import parse_rule
from playlists.intervals import intersect, normalize, subtract
from playlists.model import Display
from playlists.timeline import expand
from playlists.windows import operating_spans, rule_spans
from scheduler.announcements import displays_reached, media_states
from scheduler.schedule import display_model, horizon_start
from scheduler.service import Service
from scheduler.store import loads
from signage.clock import parse_utc, zone
from signage.errors import UserError

DAY_S = 86400
# the compiler's other run labels (playlists.compiler): "emergency ann-3, ann-4", "interrupt ann-5: 60 s/h"
INTERRUPT_RE = re.compile(r"^interrupt \S+: (?P<per_hour>[\d.]+) s/h$")
ROUND_ROBIN_RE = re.compile(r"^(?P<layer>\w+) round-robin of (?P<n>\d+) item\(s\)(, rules? .+)?$")


@dataclass(frozen=True)
class Segment:
    start: datetime  # local
    end: datetime
    zone: str
    layer: str
    items: list[tuple[str, str]]  # (item id, title) in loop order
    why: str
    why_code: str  # "round_robin" | "off" | "emergency" | "interrupt" | "other"
    count: int  # items in the loop (round_robin); seconds per hour (interrupt)
    left_pct: float
    width_pct: float


@dataclass
class ItemDay:
    item_id: str
    title: str
    status: str
    plays: int = 0
    seconds: int = 0
    first: datetime | None = None
    last: datetime | None = None
    reasons: list[str] = field(default_factory=list)  # never_plays reason codes (+ not_approved, not_today)
    layers: set[str] = field(default_factory=set)  # the layers it plays in this day (emergency, interrupt, ...)

    @property
    def role(self) -> str:
        """How it shares the screen this day: emergency (replaces everything), interrupt (its share of each
        hour), fallback (when nothing else plays) or normal (in turn with the others)."""
        for layer in ("emergency", "interrupt", "normal", "overlay", "fallback"):
            if layer in self.layers:
                return layer
        return "normal"


@dataclass
class DayView:
    display: dict[str, Any]
    day: date
    zone_name: str
    days: list[date]
    segments: list[Segment]
    items: list[ItemDay]
    warnings: list[dict[str, Any]]
    now_pct: float | None = None  # where "now" falls on the day's strip (None on other days)


def horizon_days(service: Service, zone_name: str) -> list[date]:
    first = horizon_start(service.clock(), zone_name).date()
    return [first + timedelta(days=i) for i in range(service.config.horizon_days)]


def parse_day(text: str | None, days: list[date]) -> date:
    if not text:
        return days[0]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UserError("day: write a date as YYYY-MM-DD", field="day") from None
    if day not in days:
        raise UserError(
            f"day: the schedule is compiled from {days[0]} to {days[-1]}; choose a day in that range", field="day"
        )
    return day


def day_view(service: Service, display_id: str, day_text: str | None) -> DayView:
    from scheduler.fleet_admin import get_display

    display = get_display(service, display_id)
    zone_name = display["timezone"]
    days = horizon_days(service, zone_name)
    day = parse_day(day_text, days)
    local = zone(zone_name)
    day_start = datetime.combine(day, time(), local)
    d0, d1 = int(day_start.timestamp()), int((day_start + timedelta(days=1)).timestamp())
    compiled, items = service.publisher.compile(display_id)
    with service.lock:
        announcements = list(service.db.table("announcements").rows_where("status != 'archived'", order_by="id"))
        targeting = [a for a in announcements if display_id in displays_reached(service.db, loads(a["targets"], {}))]
        states = media_states(service.db, targeting)
    titles = {f"ann-{a['id']}": a["title"] for a in announcements}
    titles.update({k: v.get("title") or titles.get(k, k) for k, v in items.items()})

    segments: list[Segment] = []
    per_item: dict[str, ItemDay] = {}
    # an announcement without a start of its own airs from its approval: its plays before that instant (the
    # compiled day loops it from the day's start) never happened and are not counted
    airs_from: dict[str, int] = {}
    data_slides = {f"ann-{a['id']}" for a in targeting if a.get("kind") == "stat"}
    media_failed = {f"ann-{a['id']}" for a in targeting if states.get(a.get("media_sha256") or "") == "failed"}
    for a in targeting:
        key = f"ann-{a['id']}"
        per_item[key] = ItemDay(key, a["title"], a["status"])
        if a["status"] == "approved" and not a.get("starts_at") and a.get("approved_at"):
            airs_from[key] = int(parse_utc(a["approved_at"]).timestamp())
    for run in sorted(compiled.runs, key=lambda r: (r.start_s, r.zone)):
        if run.end_s <= d0 or run.start_s >= d1:
            continue
        s, e = max(run.start_s, d0), min(run.end_s, d1)
        loop_ids = list(run.loop.rotated_item_ids(run.pos))
        match = ROUND_ROBIN_RE.match(run.why)
        spot = INTERRUPT_RE.match(run.why)
        code = ("off" if run.layer == "off" else "round_robin" if match else "interrupt" if spot
                else "emergency" if run.layer == "emergency" else "other")  # fmt: skip
        segments.append(
            Segment(
                start=datetime.fromtimestamp(s, local), end=datetime.fromtimestamp(e, local), zone=run.zone,
                layer=run.layer, items=[(i, titles.get(i, i)) for i in dict.fromkeys(loop_ids)], why=run.why,
                why_code=code, count=int(match["n"]) if match else round(float(spot["per_hour"])) if spot
                else len(set(loop_ids)),
                left_pct=round(100 * (s - d0) / DAY_S, 3), width_pct=round(100 * (e - s) / DAY_S, 3),
            )
        )  # fmt: skip
        for entry in expand(run):
            if entry.start_s >= d1:
                break
            if entry.end_s <= d0 or entry.item_id is None or entry.start_s < airs_from.get(entry.item_id, 0):
                continue
            row = per_item.setdefault(entry.item_id, ItemDay(entry.item_id, titles.get(entry.item_id, ""), "approved"))
            row.plays += 1
            row.seconds += min(entry.end_s, d1) - max(entry.start_s, d0)
            row.layers.add(run.layer)
            moment = datetime.fromtimestamp(max(entry.start_s, d0), local)  # a play begun the day before: 00.00
            row.first = row.first or moment
            row.last = moment
    never: dict[str, list[str]] = {}
    for w in compiled.warnings:
        if w.code == "never_plays" and w.item_id:
            never.setdefault(w.item_id, []).append(str(w.detail.get("reason", "crowded_out")))
    emergencies = normalize((max(run.start_s, d0), min(run.end_s, d1)) for run in compiled.runs
                            if run.layer == "emergency" and run.start_s < d1 and run.end_s > d0)  # fmt: skip
    model = None  # the display's schedule model, parsed from its stored row when a reason needs it
    for key, row in per_item.items():
        if row.plays:
            continue
        if row.status in ("rejected", "withdrawn"):
            row.reasons.append(row.status)  # taken off or turned down: "not approved yet" would mislead
        elif row.status != "approved":
            row.reasons.append("not_approved")
        elif key not in items:
            row.reasons.append("no_slide_data" if key in data_slides else "media_failed" if key in media_failed
                               else "media_not_ready")  # fmt: skip
        elif never.get(key):
            row.reasons += sorted(set(never[key]))
        else:
            if model is None:
                with service.lock:  # (``display`` is decoded for the page; the model parses the stored row)
                    model = display_model(service.db.table("displays").get(display_id))
            row.reasons.append(_why_not_today(service, model, key, d0, d1, emergencies))
    general = [w.to_dict() for w in compiled.warnings if w.code != "never_plays"]
    ordered = sorted(per_item.values(), key=lambda r: (r.plays == 0, r.first or day_start, r.item_id))
    now_s = int(service.clock().timestamp())
    now_pct = round(100 * (now_s - d0) / DAY_S, 3) if d0 <= now_s < d1 else None
    return DayView(display, day, zone_name, days, segments, ordered, general, now_pct)


def _why_not_today(
    service: Service, model: Display, rule_id: str, d0: int, d1: int, emergencies: list[tuple[int, int]]
) -> str:
    """Why an announcement that plays on other days does not play on [d0, d1): its schedule leaves the day
    out (``not_this_day``: e.g. a Mon/Wed/Fri announcement on a Tuesday), its times fall outside the
    operating hours that day (``closed_this_day``), an emergency covers its open times that day
    (``preempted_by_emergency``), or it has times but no turn (``not_today``)."""
    with service.lock:
        rows = list(service.db.table("rules").rows_where("id = ?", [rule_id]))
    row = rows[0] if rows else None
    if row is None:
        return "not_today"
    try:
        rule = parse_rule(loads(row["body"], {}))
    except (UserError, ValueError):  # a stored rule that no longer parses: its own warning says so
        return "not_today"
    spans = rule_spans(rule, model.timezone, d0, d1)
    if not spans:
        return "not_this_day"
    open_spans = intersect(list(spans), operating_spans(model, d0, d1))
    if not open_spans:
        return "closed_this_day"
    if emergencies and not subtract(open_spans, emergencies):
        return "preempted_by_emergency"
    return "not_today"
