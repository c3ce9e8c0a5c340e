"""Time helpers. Everything is stored and exchanged in UTC with a named zone.

Wire format for instants: ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds).
Schedule logic never reads the wall clock itself: a ``Clock`` is passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Pontianak"

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a timezone before formatting")
    m = moment.astimezone(UTC)  # (strftime's %Y does not pad years before 1000 on glibc)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 instant; a value without offset is rejected."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset (write e.g. 2026-11-28T03:00:00Z)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+07:00: before the first representable instant
        raise ValueError(f"{text!r} is out of range (write a year from 2000 on)") from None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Pontianak)") from exc


def monotonic_s() -> float:
    return time.monotonic()
