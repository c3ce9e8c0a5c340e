"""Dates and times as people in Mempawah read them.

``format_long(moment, "Asia/Pontianak")`` gives ``Sabtu, 28 November 2026 · 10.15 WIB``:
Indonesian day and month names (Babel's ``id`` locale), a dot between hours
and minutes, and the Indonesian zone abbreviation.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date

from signage.clock import zone

ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_abbreviation(zone_name: str, moment: datetime) -> str:
    if zone_name in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[zone_name]
    return moment.astimezone(zone(zone_name)).tzname() or zone_name


def format_date_long(moment: datetime, zone_name: str, language: str = "id") -> str:
    local = moment.astimezone(zone(zone_name))
    return format_date(local.date(), format="EEEE, d MMMM y", locale=language)


def format_time(moment: datetime, zone_name: str, language: str = "id") -> str:
    local = moment.astimezone(zone(zone_name))
    separator = "." if language == "id" else ":"
    return f"{local:%H}{separator}{local:%M} {zone_abbreviation(zone_name, moment)}"


def format_long(moment: datetime, zone_name: str, language: str = "id") -> str:
    return f"{format_date_long(moment, zone_name, language)} · {format_time(moment, zone_name, language)}"
