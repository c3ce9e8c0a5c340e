from __future__ import annotations

from datetime import UTC, datetime

from signage.timefmt import format_long, format_time


def test_indonesian_long_format_in_wib() -> None:
    moment = datetime(2026, 11, 28, 3, 15, tzinfo=UTC)
    assert format_long(moment, "Asia/Pontianak") == "Sabtu, 28 November 2026 · 10.15 WIB"


def test_other_indonesian_zones_and_english() -> None:
    moment = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert format_time(moment, "Asia/Makassar") == "07.30 WITA"
    assert format_time(moment, "Asia/Jayapura") == "08.30 WIT"
    assert format_long(moment, "Asia/Pontianak", "en") == "Tuesday, 6 January 2026 · 06:30 WIB"
