"""Local windows -> UTC spans: overnight dayparts, month ends, leap days, DST, recurrence."""

from __future__ import annotations

from datetime import UTC, date, datetime

from playlists.recurrence import recurring_dates
from playlists.windows import operating_spans, rule_spans


def _s(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def _iso(spans) -> list[tuple[str, str]]:
    return [
        (datetime.fromtimestamp(a, UTC).strftime("%m-%d %H:%M"), datetime.fromtimestamp(b, UTC).strftime("%m-%d %H:%M"))
        for a, b in spans
    ]


def test_overnight_daypart_belongs_to_its_start_day(mk) -> None:
    # 2026-12-04 is a Friday; 22:00-02:00 WIB (UTC+7) = 15:00-19:00 UTC
    assert date(2026, 12, 4).weekday() == 4
    r = mk.rule("r", "a", days=["fri"], dayparts=[{"start": "22:00", "end": "02:00"}])
    spans = rule_spans(r, "Asia/Pontianak", _s("2026-12-01T00:00"), _s("2026-12-15T00:00"))
    assert _iso(spans) == [("12-04 15:00", "12-04 19:00"), ("12-11 15:00", "12-11 19:00")]


def test_overnight_window_started_before_the_horizon_reaches_in(mk) -> None:
    r = mk.rule("r", "a", dayparts=[{"start": "22:00", "end": "02:00"}])
    # horizon starts 01:00 WIB: the window that began 22:00 the day before is still on
    spans = rule_spans(r, "Asia/Pontianak", _s("2026-11-30T18:00"), _s("2026-12-01T18:00"))
    assert _iso(spans) == [("11-30 18:00", "11-30 19:00"), ("12-01 15:00", "12-01 18:00")]


def test_month_end_and_year_end_overnight(mk) -> None:
    r = mk.rule("r", "a", rrule="FREQ=MONTHLY;BYMONTHDAY=-1", dayparts=[{"start": "22:00", "end": "02:00"}])
    spans = rule_spans(r, "Asia/Pontianak", _s("2026-11-01T00:00"), _s("2027-03-05T00:00"))
    assert _iso(spans) == [
        ("11-30 15:00", "11-30 19:00"),
        ("12-31 15:00", "12-31 19:00"),  # New Year's Eve into 1 January
        ("01-31 15:00", "01-31 19:00"),
        ("02-28 15:00", "02-28 19:00"),  # 2027 is no leap year
    ]


def test_leap_day_only_in_leap_years() -> None:
    dates = recurring_dates(
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", date(2024, 1, 1), date(2026, 1, 1), date(2032, 12, 31)
    )
    assert sorted(dates) == [date(2028, 2, 29), date(2032, 2, 29)]


def test_leap_day_window(mk) -> None:
    r = mk.rule("r", "a", valid_from="2028-02-29T00:00", valid_until="2028-03-01T00:00")
    spans = rule_spans(r, "Asia/Pontianak", _s("2028-02-27T00:00"), _s("2028-03-03T00:00"))
    assert _iso(spans) == [("02-28 17:00", "02-29 17:00")]


def test_presets_and_exdates(mk) -> None:
    r = mk.rule("r", "a", preset="first_monday", exdates=["2027-02-01"])
    spans = rule_spans(r, "Asia/Pontianak", _s("2026-12-01T00:00"), _s("2027-03-31T00:00"))
    assert [a for a, _ in _iso(spans)] == ["12-06 17:00", "01-03 17:00", "02-28 17:00"]  # local Mondays 00:00 WIB
    fridays = mk.rule("f", "a", preset="fridays")
    spans = rule_spans(fridays, "Asia/Pontianak", _s("2026-12-01T00:00"), _s("2026-12-15T00:00"))
    assert [a for a, _ in _iso(spans)] == ["12-03 17:00", "12-10 17:00"]


def test_dst_skipped_hour_amsterdam(mk) -> None:
    tz = "Europe/Amsterdam"  # 2026-03-29 02:00 CET -> 03:00 CEST (01:00 UTC)
    h0, h1 = _s("2026-03-28T12:00"), _s("2026-03-29T12:00")
    whole = mk.rule("w", "a", dayparts=[{"start": "01:00", "end": "04:00"}])
    assert _iso(rule_spans(whole, tz, h0, h1)) == [("03-29 00:00", "03-29 02:00")]  # two real hours
    gap = mk.rule("g", "a", dayparts=[{"start": "02:00", "end": "03:00"}])
    assert rule_spans(gap, tz, h0, h1) == ()  # the hour does not exist that day
    inside = mk.rule("i", "a", dayparts=[{"start": "02:30", "end": "05:00"}])
    assert _iso(rule_spans(inside, tz, h0, h1)) == [("03-29 01:30", "03-29 03:00")]  # 02:30 read as 03:30


def test_dst_repeated_hour_amsterdam(mk) -> None:
    tz = "Europe/Amsterdam"  # 2026-10-25 03:00 CEST -> 02:00 CET (01:00 UTC)
    h0, h1 = _s("2026-10-24T12:00"), _s("2026-10-26T00:00")
    whole = mk.rule("w", "a", dayparts=[{"start": "01:00", "end": "04:00"}])
    assert _iso(rule_spans(whole, tz, h0, h1)) == [("10-24 23:00", "10-25 03:00")]  # four real hours
    repeated = mk.rule("r", "a", dayparts=[{"start": "02:30", "end": "03:00"}])
    assert _iso(rule_spans(repeated, tz, h0, h1)) == [("10-25 00:30", "10-25 02:00")]  # first 02:30 on


def test_operating_hours_per_weekday(mk) -> None:
    d = mk.display(
        operating_hours=[
            {"days": ["sat", "sun"], "start": "08:00", "end": "24:00"},
            {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "22:00"},
        ]
    )
    spans = operating_spans(d, _s("2026-12-04T17:00"), _s("2026-12-06T17:00"))  # Sat and Sun WIB
    assert _iso(spans) == [("12-05 01:00", "12-05 17:00"), ("12-06 01:00", "12-06 17:00")]


def test_validity_in_another_zone(mk) -> None:
    r = mk.rule("r", "a", valid_from="2026-12-01T09:00", valid_until="2026-12-01T10:00", timezone="Asia/Jayapura")
    spans = rule_spans(r, "Asia/Pontianak", _s("2026-11-30T00:00"), _s("2026-12-02T00:00"))
    assert _iso(spans) == [("12-01 00:00", "12-01 01:00")]  # WIT is UTC+9
