"""RFC 5545 recurrence (python-dateutil) used to pick *days*.

A rule's RRULE selects the local dates on which its dayparts apply; EXDATEs
remove whole local dates. Sub-daily frequencies are refused (dayparts say
which hours). ``DTSTART`` is the date of ``valid_from`` or, without one, the
fixed anchor :data:`ANCHOR_DATE`, so the result never depends on the horizon.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil.rrule import rrulestr

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


def check_rrule(text: str, field: str = "rrule") -> None:
    """Refuse a malformed or sub-daily RRULE with a :class:`UserError` naming ``field``."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or "\n" in body or "DTSTART" in body.upper():
        raise UserError(f"{field}: write one RRULE line such as FREQ=WEEKLY;BYDAY=FR (no DTSTART)", field=field)
    parts = dict(p.split("=", 1) for p in body.upper().split(";") if "=" in p)
    if parts.get("FREQ") not in _ALLOWED_FREQ:
        raise UserError(
            f"{field}: FREQ must be one of {', '.join(_ALLOWED_FREQ)} (use dayparts for hours)",
            field=field,
        )
    try:
        rule = rrulestr(body, dtstart=datetime(2000, 1, 3))
        rule.after(datetime(2000, 1, 3), inc=True)  # exercises UNTIL/COUNT parsing
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise UserError(f"{field}: malformed RRULE {text!r}: {exc}", field=field) from None


@lru_cache(maxsize=4096)
def recurring_dates(rrule_text: str, dtstart: date, first: date, last: date) -> frozenset[date]:
    """Local dates in [first, last] produced by ``rrule_text`` from ``dtstart``."""
    body = rrule_text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    rule = rrulestr(body, dtstart=datetime(dtstart.year, dtstart.month, dtstart.day))
    lo = datetime(first.year, first.month, first.day)
    hi = datetime(last.year, last.month, last.day) + timedelta(days=1) - timedelta(seconds=1)
    return frozenset(moment.date() for moment in rule.between(lo, hi, inc=True))
