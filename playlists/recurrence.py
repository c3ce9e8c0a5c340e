"""RFC 5545 recurrence (python-dateutil) used to pick *days*.

A rule's RRULE selects the local dates on which its dayparts apply; EXDATEs
remove whole local dates. Sub-daily frequencies are refused (dayparts say
which hours). ``DTSTART`` is the date of ``valid_from`` or, without one, the
fixed anchor :data:`ANCHOR_DATE`, so the result never depends on the horizon.

dateutil iterates period by period until a candidate passes its filters, so a
rule whose filters never match (``BYMONTHDAY=31;BYMONTH=2``) walks to the year
9999 and ``INTERVAL=0`` never ends at all. :func:`check_rrule` therefore
validates every part itself (names, ranges, which parts go with which FREQ)
and :func:`first_occurrence` refuses rules that can never occur, so what
reaches :func:`recurring_dates` always terminates.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil.rrule import rrule, rrulestr

from signage.errors import UserError

ANCHOR_DATE = date(2000, 1, 3)  # a Monday
PRESETS: dict[str, str] = {
    "every_day": "FREQ=DAILY",
    "weekdays": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "weekends": "FREQ=WEEKLY;BYDAY=SA,SU",
    "fridays": "FREQ=WEEKLY;BYDAY=FR",
    "first_monday": "FREQ=MONTHLY;BYDAY=1MO",
}
_ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_INTERVAL = 1000
MAX_COUNT = 10_000
MAX_LIST = 400  # values in one BY* part
SCAN_YEARS = 28  # a rule with no date this long after its start is refused (the weekday calendar repeats)
_WEEKDAY_NAMES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SUB_DAILY = ("BYHOUR", "BYMINUTE", "BYSECOND")
# part -> (lowest, highest, zero allowed, FREQs it may be used with)
_NUMERIC_PARTS: dict[str, tuple[int, int, bool, tuple[str, ...]]] = {
    "BYMONTH": (1, 12, False, _ALLOWED_FREQ),
    "BYMONTHDAY": (-31, 31, False, ("DAILY", "MONTHLY", "YEARLY")),
    "BYYEARDAY": (-366, 366, False, ("YEARLY",)),
    "BYWEEKNO": (-53, 53, False, ("YEARLY",)),
    "BYSETPOS": (-366, 366, False, ("MONTHLY", "YEARLY")),
}
_KNOWN = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST", *_NUMERIC_PARTS)
_BYDAY_RX = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_RX = re.compile(r"^(\d{8})(T\d{6})?$")


def _body(text: str) -> str:
    body = text.strip()
    return body[6:] if body.upper().startswith("RRULE:") else body


def _fail(field: str, message: str) -> UserError:
    return UserError(f"{field}: {message}", field=field)


def _whole(value: str, part: str, field: str, lo: int, hi: int, zero: bool = False) -> int:
    if not re.fullmatch(r"[+-]?\d{1,6}", value):
        raise _fail(field, f"{part}={value} is not a whole number")
    number = int(value)
    if not lo <= number <= hi or (number == 0 and not zero):
        zero_note = "" if zero or lo > 0 else ", not 0"
        raise _fail(field, f"{part}={value} is out of range (from {lo} to {hi}{zero_note})")
    return number


def rrule_parts(text: str, field: str = "rrule") -> dict[str, str]:
    """Validate an RRULE line completely and return its parts (upper-case names and values).

    Refuses, naming ``field`` and the part: unknown or repeated parts, sub-daily
    frequencies and BYHOUR/BYMINUTE/BYSECOND, INTERVAL outside 1..1000, COUNT
    outside 1..10000, COUNT together with UNTIL, a malformed UNTIL, BY* values
    out of range or used with a FREQ they do not go with (RFC 5545 3.3.10).
    """
    body = _body(text)
    if not body or "\n" in body or "DTSTART" in body.upper():
        raise _fail(field, "write one RRULE line such as FREQ=WEEKLY;BYDAY=FR (no DTSTART)")
    parts: dict[str, str] = {}
    for chunk in body.upper().split(";"):
        if not chunk.strip():
            continue
        name, sep, value = chunk.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise _fail(field, f"{chunk!r} is not NAME=VALUE")
        if name in parts:
            raise _fail(field, f"{name} is given twice")
        if name in _SUB_DAILY:
            raise _fail(field, f"{name} is not supported: dayparts say which hours")
        if name not in _KNOWN:
            raise _fail(field, f"unknown part {name} (known: {', '.join(_KNOWN)})")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq not in _ALLOWED_FREQ:
        raise _fail(field, f"FREQ must be one of {', '.join(_ALLOWED_FREQ)} (use dayparts for hours)")
    if "INTERVAL" in parts:
        _whole(parts["INTERVAL"], "INTERVAL", field, 1, MAX_INTERVAL)
    if "COUNT" in parts:
        _whole(parts["COUNT"], "COUNT", field, 1, MAX_COUNT)
        if "UNTIL" in parts:
            raise _fail(field, "give COUNT or UNTIL, not both")
    if "UNTIL" in parts:
        _until_date(parts["UNTIL"], field)
    for name, (lo, hi, zero, freqs) in _NUMERIC_PARTS.items():
        if name not in parts:
            continue
        if freq not in freqs:
            raise _fail(field, f"{name} cannot be used with FREQ={freq} (only {', '.join(freqs)})")
        values = parts[name].split(",")
        if len(values) > MAX_LIST:
            raise _fail(field, f"{name} has more than {MAX_LIST} values")
        numbers = [_whole(v, name, field, lo, hi, zero) for v in values]
        if len(set(numbers)) != len(numbers):
            raise _fail(field, f"{name} has duplicates")
    if "BYSETPOS" in parts and not any(p in parts for p in ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO")):
        raise _fail(field, "BYSETPOS needs another BY part (BYDAY, BYMONTHDAY...) to pick from")
    if "BYDAY" in parts:
        _check_byday(parts["BYDAY"], freq, "BYWEEKNO" in parts, field)
    if "WKST" in parts and parts["WKST"] not in _WEEKDAY_NAMES:
        raise _fail(field, f"WKST={parts['WKST']} is not one of {', '.join(_WEEKDAY_NAMES)}")
    return parts


def _check_byday(value: str, freq: str, with_weekno: bool, field: str) -> None:
    seen: set[str] = set()
    for entry in value.split(","):
        match = _BYDAY_RX.match(entry)
        if match is None:
            raise _fail(field, f"BYDAY={entry} is not a weekday such as MO, FR or 1MO")
        if entry in seen:
            raise _fail(field, "BYDAY has duplicates")
        seen.add(entry)
        if match.group(1) is None:
            continue
        if freq not in ("MONTHLY", "YEARLY") or with_weekno:
            raise _fail(field, f"BYDAY={entry}: a numbered weekday needs FREQ=MONTHLY or YEARLY (without BYWEEKNO)")
        limit = 5 if freq == "MONTHLY" else 53
        if not 0 < abs(int(match.group(1))) <= limit:
            raise _fail(field, f"BYDAY={entry}: the number must be from -{limit} to {limit}, not 0")


def _until_date(value: str, field: str) -> date:
    match = _UNTIL_RX.match(value)
    if match is None:
        raise _fail(field, f"UNTIL={value} is not a local date such as 20261231 or 20261231T235959 (no Z)")
    try:
        until = datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        raise _fail(field, f"UNTIL={value} is not a real date") from None
    if until.year < 1900:
        raise _fail(field, f"UNTIL={value} is before 1900")
    return until


def check_rrule(text: str, field: str = "rrule") -> None:
    """Refuse a malformed or sub-daily RRULE with a :class:`UserError` naming ``field``."""
    rrule_parts(text, field)
    try:
        _parse(_body(text), ANCHOR_DATE)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise _fail(field, f"malformed RRULE {text!r}: {exc}") from None


def _parse(body: str, dtstart: date) -> rrule:
    parsed = rrulestr(body, dtstart=datetime(dtstart.year, dtstart.month, dtstart.day))
    assert isinstance(parsed, rrule)
    return parsed


def _filters_can_match(parts: dict[str, str]) -> bool:
    """Whether any date at all satisfies the date filters (BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYDAY).

    Checked over 400 years (the Gregorian calendar's full cycle) at one period
    per year or month, so it is cheap even where the rule itself is daily.
    """
    freq = parts["FREQ"]
    keep = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY", "BYSETPOS", "WKST")
    probe = {k: v for k, v in parts.items() if k in keep}
    if not any(k in probe for k in ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY")):
        return True
    scan_freq = "MONTHLY" if freq == "MONTHLY" else "YEARLY"
    if freq in ("DAILY", "WEEKLY"):
        probe.pop("BYSETPOS", None)
        if not any(k in probe for k in ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY")):
            probe["BYMONTHDAY"] = ",".join(str(d) for d in range(1, 32))  # any day of the chosen months
    # a full 400-year cycle, bounded by UNTIL so that dateutil stops there when nothing matches
    # (walking on towards the year 9999 it can even fail with IndexError on some BYWEEKNO/BYDAY mixes)
    text = ";".join([f"FREQ={scan_freq}", *(f"{k}={v}" for k, v in probe.items()), "UNTIL=24000101T000000"])
    try:
        return _parse(text, date(2000, 1, 1)).after(datetime(2000, 1, 1), inc=True) is not None
    except (IndexError, ValueError, OverflowError):  # dateutil cannot expand it: it never plays here either
        return False


def _from_end(day: date) -> int:
    """``-1`` for the last day of its month, ``-2`` for the one before..."""
    return day.day - monthrange(day.year, day.month)[1] - 1


def _daily_dates(parts: dict[str, str], dtstart: date, end: date) -> Iterator[date]:
    """FREQ=DAILY candidates from ``dtstart`` to ``end`` (dateutil would walk to 9999 when none match)."""
    step = timedelta(days=int(parts.get("INTERVAL", "1")))
    months = {int(v) for v in parts["BYMONTH"].split(",")} if "BYMONTH" in parts else None
    monthdays = {int(v) for v in parts["BYMONTHDAY"].split(",")} if "BYMONTHDAY" in parts else None
    weekdays = {_WEEKDAY_NAMES.index(v) for v in parts["BYDAY"].split(",")} if "BYDAY" in parts else None
    if "UNTIL" in parts:
        end = min(end, _until_date(parts["UNTIL"], "rrule"))
    left = int(parts["COUNT"]) if "COUNT" in parts else -1  # COUNT counts candidates
    day = dtstart
    while day <= end and left != 0:
        if (
            (months is None or day.month in months)
            and (weekdays is None or day.weekday() in weekdays)
            and (monthdays is None or day.day in monthdays or _from_end(day) in monthdays)
        ):
            left -= 1
            yield day
        if day > date.max - step:
            return
        day += step


def first_occurrence(
    text: str,
    dtstart: date,
    *,
    weekdays: tuple[int, ...] = (),
    exdates: tuple[date, ...] = (),
    until: date | None = None,
    field: str = "rrule",
) -> date:
    """The first date ``text`` selects from ``dtstart`` (in ``weekdays`` if given, not an exdate, before ``until``).

    Refuses with a :class:`UserError` naming ``field`` when there is none within
    :data:`SCAN_YEARS` years: such a rule can never (or practically never) play.
    """
    parts = rrule_parts(text, field)
    if not _filters_can_match(parts):
        raise _fail(field, "no date can ever match these BY parts (such as BYMONTHDAY=31 with BYMONTH=2)")
    if "UNTIL" in parts and _until_date(parts["UNTIL"], field) < dtstart:
        raise _fail(field, f"UNTIL={parts['UNTIL']} is before the rule starts ({dtstart.isoformat()})")
    year = dtstart.year + SCAN_YEARS
    end = date(9999, 12, 31) if year > 9999 else date(year, dtstart.month, min(dtstart.day, 28))
    if until is not None:
        end = min(end, until)
    allowed, excluded = set(weekdays), set(exdates)
    candidates: Iterable[date]
    if parts["FREQ"] == "DAILY":
        candidates = _daily_dates(parts, dtstart, end)
    else:  # periods of a week or more: even walking to the year 9999 is quick
        candidates = (moment.date() for moment in _parse(_body(text), dtstart))
    try:
        for day in candidates:
            if day > end:
                break
            if (not allowed or day.weekday() in allowed) and day not in excluded:
                return day
    except (ValueError, OverflowError):  # ran past the year 9999
        pass
    raise _fail(field, f"never occurs on an allowed day within {SCAN_YEARS} years of {dtstart.isoformat()}")


@lru_cache(maxsize=4096)
def start_matters(rrule_text: str) -> bool:
    """Whether the dates depend on the recurrence's first date (DTSTART), not only on the calendar.

    INTERVAL > 1 and COUNT count from it; without BY parts naming the days, WEEKLY takes its weekday,
    MONTHLY its day of the month, YEARLY its day of the year. Every preset is a calendar pattern.
    """
    parts = rrule_parts(rrule_text)
    if int(parts.get("INTERVAL", "1")) > 1 or "COUNT" in parts:
        return True
    freq = parts["FREQ"]
    if freq == "DAILY":
        return False
    if freq == "WEEKLY":
        return "BYDAY" not in parts
    if freq == "MONTHLY":
        return "BYDAY" not in parts and "BYMONTHDAY" not in parts
    return not any(k in parts for k in ("BYDAY", "BYMONTHDAY", "BYYEARDAY"))


@lru_cache(maxsize=4096)
def recurring_dates(rrule_text: str, dtstart: date, first: date, last: date) -> frozenset[date]:
    """Local dates in [first, last] produced by ``rrule_text`` from ``dtstart``."""
    parts = rrule_parts(rrule_text)  # never iterate a rule that could not have been validated (INTERVAL=0 never ends)
    if parts["FREQ"] == "DAILY":  # bounded by `last`: dateutil would walk to 9999 when no day matches, e.g.
        # INTERVAL=7;BYDAY=SU validated from a Sunday but anchored on the display's Monday
        start = dtstart
        if "COUNT" not in parts and first > dtstart:  # candidates are dtstart + k * INTERVAL: skip to `first`
            step_d = int(parts.get("INTERVAL", "1"))
            start = dtstart + timedelta(days=(first - dtstart).days // step_d * step_d)
        return frozenset(day for day in _daily_dates(parts, start, last) if day >= first)
    rule = _parse(_body(rrule_text), dtstart)
    lo = datetime(first.year, first.month, first.day)
    hi = datetime(last.year, last.month, last.day) + timedelta(days=1) - timedelta(seconds=1)
    return frozenset(moment.date() for moment in rule.between(lo, hi, inc=True))
