"""Times as officers type them: local wall time in the display's zone, or ISO with an offset."""

from __future__ import annotations

from datetime import date, datetime

from signage.clock import zone
from signage.errors import UserError

LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d-%m-%Y %H:%M")


def parse_moment(value: str, timezone: str, option: str) -> datetime:
    """``2026-12-04 11:50`` in ``timezone``, or ``2026-12-04T04:50:00Z`` / ``...+07:00``."""
    value = value.strip()
    for pattern in LOCAL_FORMATS:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=zone(timezone))
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UserError(
            f"{option}: {value!r} is not a time; write local time like 2026-12-04 11:50 ({timezone}) "
            "or ISO with an offset like 2026-12-04T04:50:00Z",
            field=option.lstrip("-"),
        )
    return moment


def parse_day(value: str, option: str = "--day") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{option}: {value!r} is not a date; write it like 2026-12-04", field="day") from None
