"""Local wall-clock windows -> UTC second spans, by interval arithmetic.

A window is a local date plus a :class:`Daypart`; an overnight daypart
(22:00-02:00) belongs to the day it starts on. Local times are mapped with
``fold=0``: a time inside a DST gap (Europe/Amsterdam 02:30 on the last
Sunday of March) is read with the offset before the change, i.e. moved one
hour later, so a window 02:00-03:00 that day is empty; a time in a repeated
hour (last Sunday of October) means its first occurrence, so 01:00-03:00 that
night lasts three real hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from playlists.budget import check_occurrences
from playlists.intervals import Span, clip, intersect, normalize
from playlists.model import Daypart, Display, Rule
from playlists.recurrence import ANCHOR_DATE, PRESETS, recurring_dates, start_matters

ALL_DAY = (Daypart(0, 24 * 60),)


@lru_cache(maxsize=64)
def _tz(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=200_000)
def wall_to_utc_s(tz_name: str, day: date, minute: int) -> int:
    """Unix seconds of local ``day`` + ``minute`` minutes (may exceed one day) in ``tz_name``."""
    day = day + timedelta(days=minute // 1440)
    minute %= 1440
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=_tz(tz_name))
    return int(local.timestamp())


def local_datetime_to_utc_s(tz_name: str, moment: datetime) -> int:
    return int(moment.replace(tzinfo=_tz(tz_name), fold=0).timestamp())


def local_date(tz_name: str, instant_s: int) -> date:
    return datetime.fromtimestamp(instant_s, UTC).astimezone(_tz(tz_name)).date()


def _day_range(tz_name: str, start_s: int, end_s: int) -> list[date]:
    first = local_date(tz_name, start_s) - timedelta(days=1)  # an overnight window may reach in
    last = local_date(tz_name, end_s - 1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def daily_spans(tz_name: str, days: list[date], dayparts: tuple[Daypart, ...], start_s: int, end_s: int) -> list[Span]:
    spans = []
    for day in days:
        for part in dayparts:
            end_min = part.end_min + (1440 if part.overnight else 0)
            spans.append((wall_to_utc_s(tz_name, day, part.start_min), wall_to_utc_s(tz_name, day, end_min)))
    return clip(normalize(spans), start_s, end_s)


def rule_rrule(rule: Rule) -> str | None:
    if rule.rrule is not None:
        return rule.rrule
    return PRESETS[rule.preset] if rule.preset is not None else None


@lru_cache(maxsize=65_536)
def rule_spans(rule: Rule, tz_name: str, start_s: int, end_s: int) -> tuple[Span, ...]:
    """Where ``rule`` is scheduled in ``[start_s, end_s)`` for a display in ``tz_name``.

    Validity, weekdays, RRULE/EXDATE and dayparts; not operating hours or layers.
    """
    valid_tz = rule.timezone or tz_name
    lo, hi = start_s, end_s
    anchor = ANCHOR_DATE
    if rule.valid_from is not None:
        from_s = local_datetime_to_utc_s(valid_tz, rule.valid_from)
        lo = max(lo, from_s)
        # the recurrence counts from the display's local date of that instant, not the date written in
        # another zone: an announcement's UTC 23:00 start is the next local morning
        anchor = local_date(tz_name, from_s)
    if rule.valid_until is not None:
        hi = min(hi, local_datetime_to_utc_s(valid_tz, rule.valid_until))
    if lo >= hi:
        return ()
    days = _day_range(tz_name, lo, hi)
    if rule.days:
        allowed = set(rule.days)
        days = [d for d in days if d.weekday() in allowed]
    text = rule_rrule(rule)
    if text is not None and days:
        if not start_matters(text):  # a calendar pattern (every preset): like `days`, whatever its first date,
            anchor = days[0]  # so a night window begun the day before valid_from keeps its tail
        chosen = recurring_dates(text, anchor, days[0], days[-1])
        days = [d for d in days if d in chosen]
    if rule.exdates:
        excluded = set(rule.exdates)
        days = [d for d in days if d not in excluded]
    parts = rule.dayparts or ALL_DAY
    check_occurrences(rule.id, len(days) * len(parts))
    return tuple(daily_spans(tz_name, days, parts, lo, hi))


def operating_spans(display: Display, start_s: int, end_s: int) -> list[Span]:
    """When ``display`` is on within the horizon (always, without operating hours)."""
    if not display.operating_hours:
        return [(start_s, end_s)] if start_s < end_s else []
    days = _day_range(display.timezone, start_s, end_s)
    spans: list[Span] = []
    for window in display.operating_hours:
        chosen = [d for d in days if not window.days or d.weekday() in window.days]
        spans.extend(daily_spans(display.timezone, chosen, (window.daypart,), start_s, end_s))
    return normalize(spans)


def restrict(spans: tuple[Span, ...] | list[Span], allowed: list[Span]) -> list[Span]:
    return intersect(list(spans), allowed)
