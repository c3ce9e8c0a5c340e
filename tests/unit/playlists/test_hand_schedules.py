"""Schedules computed BY HAND from docs/schedule.md, compared with the compiled timeline.

Each test states the documented rule it leans on and the arithmetic, so a
reviewer can redo it on paper. Times: H0 = 2026-12-01T00:00Z = 07:00 WIB
(Asia/Pontianak, UTC+7); offsets are seconds from H0 unless said otherwise.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from tests_support import text_manifest

from playlists.compiler import compile_display
from playlists.recurrence import PRESETS, recurring_dates, start_matters
from playlists.windows import rule_spans

HOUR = 3600
DAY = 86_400


def _s(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def _utc(spans: Any) -> list[tuple[str, str]]:
    return [
        (datetime.fromtimestamp(a, UTC).strftime("%m-%d %H:%M"), datetime.fromtimestamp(b, UTC).strftime("%m-%d %H:%M"))
        for a, b in spans
    ]


def _plays(ct: Any, zone: str = "main") -> list[tuple[int, int, str | None, str]]:
    """(start offset, end offset, item, layer) of every concrete play, from H0."""
    h0 = ct.horizon_start_s
    return [(e.start_s - h0, e.end_s - h0, e.item_id, e.layer) for e in ct.entries if e.zone == zone]


def _starts(ct: Any, item_id: str) -> list[int]:
    return [start for start, _, item, _ in _plays(ct) if item == item_id]


# -- round robin and weights --------------------------------------------------------------------------


def test_three_weights_interleave_at_their_fractions(mk, h0, check) -> None:
    # weight w -> appearances at (k + 0.5) / w of the cycle; equal marks keep rule-id order:
    # a(w1): 1/2; b(w2): 1/4, 3/4; c(w3): 1/6, 1/2, 5/6  ->  c b a c b c
    items = {i: mk.item(i, 10) for i in "abc"}
    rules = [mk.rule("r-a", "a"), mk.rule("r-b", "b", weight=2), mk.rule("r-c", "c", weight=3)]
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    check(ct)
    assert ct.segments()[0]["loop"] == ["c", "b", "a", "c", "b", "c"]
    per_item = Counter(p[2] for p in _plays(ct))
    assert per_item == {"c": 180, "b": 120, "a": 60}  # 3600 s / 60 s cycle = 60 cycles


def test_weight_with_a_cap_leaves_the_loop_until_the_next_hour(mk, h0, check) -> None:
    # loop: a(w1) at 1/2; x(w3) at 1/6, 1/2, 5/6 -> [x, a, x, x], 10 s each, period 40 s.
    # x capped at 4 starts per UTC hour; both appearances share one cap (one slot key).
    # hour 0: x 0, a 10, x 20, x 30, x 40 (4th x) -> a 50 (cut of the loop where the 5th x would start, 60)
    # then [a] alone: a 60, 70, ... 3590; at 3600 (an item boundary) the full loop returns and continues
    # after the last rule played (r-a) -> x first: x 3600, a 3610, x 3620, x 3630, x 3640, a 3650 ...
    items = {"a": mk.item("a", 10), "x": mk.item("x", 10)}
    rules = [mk.rule("r-a", "a"), mk.rule("r-x", "x", weight=3, max_per_hour=4)]
    ct = compile_display(mk.display(), rules, items, h0, 2 * HOUR)
    check(ct)
    assert _starts(ct, "x") == [0, 20, 30, 40, 3600, 3620, 3630, 3640]
    a = _starts(ct, "a")
    assert a[:3] == [10, 50, 60] and 3590 in a and 3610 in a and 3650 in a
    assert len(a) == 2 * (3600 - 40) // 10


def test_cap_reached_exactly_at_the_hour_boundary(mk, h0, check) -> None:
    # x lasts 40 s, cap 90 per hour: starts 0, 40, ..., 3560 are exactly 90 and the 90th ends at 3600,
    # the hour boundary, where the count starts again: x plays on, the fallback never gets a turn.
    items = {"x": mk.item("x", 40), "fb": mk.item("fb", 30)}
    rules = [mk.rule("r-x", "x", max_per_hour=90), mk.rule("r-fb", "fb", layer="fallback")]
    ct = compile_display(mk.display(), rules, items, h0, 3 * HOUR)
    check(ct)
    assert _starts(ct, "fb") == []
    assert _starts(ct, "x") == list(range(0, 3 * HOUR, 40))
    assert [w.code for w in ct.warnings] == ["never_plays"]  # the fallback rule: fallback_not_needed
    assert ct.warnings[0].detail == {"reason": "fallback_not_needed"}


def test_cap_one_short_of_the_hour_hands_over_to_the_fallback_which_finishes_its_item(mk, h0, check) -> None:
    # cap 89: x 0 .. 3520 (89 starts), ends 3560 -> fallback fb (30 s) 3560, 3590 (runs to 3620, over the hour).
    # docs: x comes back "at the next hour"; the fallback item playing then is not cut (only a change of
    # which rules are live cuts), so x returns at the first item boundary at or after 3600: 3620.
    # hour 1: x 3620 + 40k, 89 starts up to 3620 + 88*40 = 7140 (ends 7180) -> fb 7180 -> x again at 7210.
    items = {"x": mk.item("x", 40), "fb": mk.item("fb", 30)}
    rules = [mk.rule("r-x", "x", max_per_hour=89), mk.rule("r-fb", "fb", layer="fallback")]
    ct = compile_display(mk.display(), rules, items, h0, 2 * HOUR + 600)
    check(ct)
    assert _starts(ct, "fb") == [3560, 3590, 7180]
    x = _starts(ct, "x")
    assert x[:89] == list(range(0, 3560, 40)) and x[89:178] == list(range(3620, 7180, 40)) and x[178] == 7210
    per_hour = Counter(t // HOUR for t in x)
    assert per_hour[0] == 89 and per_hour[1] == 89


# -- operating hours, validity, dayparts -------------------------------------------------------------


def test_operating_hours_end_mid_item_and_the_loop_resumes_next_morning(mk, h0, check) -> None:
    # a 10, b 25, c 30: period 65. On 06:00-22:00 WIB; H0 is 07:00 WIB, 22:00 WIB = 54000.
    # 54000 = 830 * 65 + 50: a 0-10, b 10-35, c 35-65 -> c started at 53985 and is cut at 54000 (off).
    # next on: 06:00 WIB Dec 2 = 82800; the loop continues after the last item started (c) -> a at 82800.
    items = {"a": mk.item("a", 10), "b": mk.item("b", 25), "c": mk.item("c", 30)}
    rules = [mk.rule("r-a", "a"), mk.rule("r-b", "b"), mk.rule("r-c", "c")]
    d = mk.display(operating_hours=[{"start": "06:00", "end": "22:00"}])
    ct = compile_display(d, rules, items, h0, DAY)
    check(ct)
    plays = _plays(ct)
    cut = next(p for p in plays if p[0] <= 53999 < p[1])
    assert cut == (53985, 54000, "c", "normal")
    off = next(p for p in plays if p[0] == 54000)
    assert off == (54000, 82800, None, "off")
    assert next(p for p in plays if p[0] == 82800)[2:] == ("a", "normal")


def test_overnight_daypart_on_the_last_day_is_cut_by_a_midnight_validity_end(mk) -> None:
    # valid_until is exclusive: 2026-12-03T00:00 ends the rule as 3 December begins (local).
    # 22:00-02:00 belongs to the day it starts. The range starts 00:00 WIB Dec 1 (17:00Z Nov 30), where the
    # Nov 30 night still runs to 02:00 (19:00Z); Dec 1 night 22:00-02:00 WIB = 15:00-19:00Z;
    # Dec 2 night is cut at 00:00 WIB Dec 3 = 17:00Z; no Dec 3 night.
    r = mk.rule("r", "a", valid_until="2026-12-03T00:00", dayparts=[{"start": "22:00", "end": "02:00"}])
    spans = rule_spans(r, "Asia/Pontianak", _s("2026-11-30T17:00"), _s("2026-12-05T17:00"))
    assert _utc(spans) == [
        ("11-30 17:00", "11-30 19:00"),
        ("12-01 15:00", "12-01 19:00"),
        ("12-02 15:00", "12-02 17:00"),
    ]


def test_valid_from_inside_an_overnight_window(mk) -> None:
    # validity clips windows: from 01:00 WIB Wed 2 Dec the window begun 22:00 Tue 1 Dec still has 01:00-02:00
    # (18:00-19:00Z Dec 1). A calendar pattern (every preset, FREQ=DAILY) is like `days`: Tue 1 Dec is one of
    # its dates, so the tail plays too (an announcement approved at 01:00 shows at once, whether staff chose
    # "weekdays" or ticked Mon-Fri). A recurrence counted from its start (INTERVAL=2: Dec 2, 4, ...) has no
    # Dec 1, so no tail.
    night = [{"start": "22:00", "end": "02:00"}]
    h0, h1 = _s("2026-11-30T17:00"), _s("2026-12-03T17:00")
    for extra in (
        {},
        {"preset": "every_day"},
        {"preset": "weekdays"},
        {"rrule": "FREQ=DAILY"},
        {"days": ["tue", "wed", "thu"]},
    ):
        r = mk.rule("r", "a", valid_from="2026-12-02T01:00", dayparts=night, **extra)
        assert _utc(rule_spans(r, "Asia/Pontianak", h0, h1)) == [
            ("12-01 18:00", "12-01 19:00"),
            ("12-02 15:00", "12-02 19:00"),
            ("12-03 15:00", "12-03 17:00"),
        ], extra
    every2 = mk.rule("r", "a", valid_from="2026-12-02T01:00", dayparts=night, rrule="FREQ=DAILY;INTERVAL=2")
    assert _utc(rule_spans(every2, "Asia/Pontianak", h0, h1)) == [("12-02 15:00", "12-02 19:00")]


def test_validity_written_in_another_zone_anchors_the_recurrence_on_the_displays_date(mk) -> None:
    # valid_from 01:00 WIT (UTC+9) Dec 2 = 16:00Z Dec 1 = 23:00 WIB Dec 1 on a Pontianak display.
    # Without recurrence it plays from 16:00Z; every_day must give the same (its first date is the display's
    # local date of that instant, Dec 1), not wait for 00:00 WIB Dec 2 (17:00Z).
    h0, h1 = _s("2026-11-30T17:00"), _s("2026-12-03T17:00")
    for extra in ({}, {"preset": "every_day"}, {"rrule": "FREQ=DAILY"}):
        r = mk.rule("r", "a", valid_from="2026-12-02T01:00", timezone="Asia/Jayapura", **extra)
        assert _utc(rule_spans(r, "Asia/Pontianak", h0, h1)) == [("12-01 16:00", "12-03 17:00")], extra


def test_announcement_weekly_recurrence_keeps_its_local_weekday(mk) -> None:
    # An announcement's window is stored as UTC wall time (timezone UTC). Monday 7 Dec 06:00 WIB is
    # Sunday 23:00Z: "FREQ=WEEKLY" from it must play on local Mondays (7, 14, 21, 28 Dec) 08:00-09:00 WIB
    # = 01:00-02:00Z, and "every 2 days" on 7, 9, 11 Dec; the UTC date (a Sunday) must not be the anchor.
    h0, h1 = _s("2026-11-30T17:00"), _s("2026-12-28T17:00")
    morning = [{"start": "08:00", "end": "09:00"}]
    weekly = mk.rule("r", "a", timezone="UTC", valid_from="2026-12-06T23:00:00", rrule="FREQ=WEEKLY", dayparts=morning)
    assert _utc(rule_spans(weekly, "Asia/Pontianak", h0, h1)) == [
        ("12-07 01:00", "12-07 02:00"),
        ("12-14 01:00", "12-14 02:00"),
        ("12-21 01:00", "12-21 02:00"),
        ("12-28 01:00", "12-28 02:00"),
    ]
    every2 = mk.rule(
        "r", "a", timezone="UTC", valid_from="2026-12-06T23:00:00", rrule="FREQ=DAILY;INTERVAL=2", dayparts=morning
    )
    assert [a for a, _ in _utc(rule_spans(every2, "Asia/Pontianak", h0, _s("2026-12-11T17:00")))] == [
        "12-07 01:00",
        "12-09 01:00",
        "12-11 01:00",
    ]


def test_monthly_on_the_31st_skips_shorter_months(mk) -> None:
    # RFC 5545: BYMONTHDAY=31 gives no date in a month without a 31st (Feb, Apr ...): Dec 31, Jan 31, Mar 31.
    # BYMONTHDAY=-1 is the last day of every month.
    h0, h1 = _s("2026-11-30T17:00"), _s("2027-04-30T17:00")
    on31 = mk.rule("r", "a", rrule="FREQ=MONTHLY;BYMONTHDAY=31")
    assert [a for a, _ in _utc(rule_spans(on31, "Asia/Pontianak", h0, h1))] == [
        "12-30 17:00",
        "01-30 17:00",
        "03-30 17:00",
    ]
    last = mk.rule("r", "a", rrule="FREQ=MONTHLY;BYMONTHDAY=-1")
    assert [a for a, _ in _utc(rule_spans(last, "Asia/Pontianak", h0, h1))] == [
        "12-30 17:00",
        "01-30 17:00",
        "02-27 17:00",
        "03-30 17:00",
        "04-29 17:00",
    ]


def test_friday_prayer_break_in_operating_hours(mk, check) -> None:
    # Fridays the screen is dark 11:30-13:00 WIB (04:30-06:00Z); other days on 05:00-23:00 WIB.
    # 2026-12-04 is a Friday. Horizon: local midnight Dec 4 WIB = 17:00Z Dec 3, one day.
    d = mk.display(
        operating_hours=[
            {"days": ["fri"], "start": "05:00", "end": "11:30"},
            {"days": ["fri"], "start": "13:00", "end": "23:00"},
            {"days": ["mon", "tue", "wed", "thu", "sat", "sun"], "start": "05:00", "end": "23:00"},
        ]
    )
    items = {"a": mk.item("a", 10)}
    ct = compile_display(d, [mk.rule("r-a", "a")], items, datetime(2026, 12, 3, 17, 0, tzinfo=UTC), DAY)
    check(ct)
    off = [(s["start"], s["end"]) for s in ct.segments() if s["layer"] == "off"]
    assert off == [
        ("2026-12-03T17:00:00Z", "2026-12-03T22:00:00Z"),  # 00:00-05:00 WIB
        ("2026-12-04T04:30:00Z", "2026-12-04T06:00:00Z"),  # Friday prayer
        ("2026-12-04T16:00:00Z", "2026-12-04T17:00:00Z"),  # 23:00-24:00 WIB
    ]


# -- interrupts and emergencies ----------------------------------------------------------------------


def test_interrupt_waiting_when_an_emergency_starts_is_dropped(mk, h0, check) -> None:
    # a 10 s alone; spot 15 s at 60 s/h -> 4 spots/h; margin = 10 + 15 = 25, usable 3575, step 893.75,
    # one interrupt rule so phase 0.5: due int(446.875)=446, 1340, 2234, 3128.
    # emergency 07:22:22-07:30:00 WIB = 1342-1800.
    # 446 -> waits for a (440-450) -> 450-465; a then 465 + 10k.
    # 1340 -> waits for a (1335-1345), but the emergency cuts a at 1342: the waiting spot is dropped.
    # after 1800 a again from 1800 + 10k; 2234 -> 2240-2255; 3128 -> 2255 + 10k >= 3128 -> 3135-3150.
    items = {"a": mk.item("a", 10), "spot": mk.item("spot", 15), "alert": mk.item("alert", 25)}
    rules = [
        mk.rule("r-a", "a"),
        mk.rule("r-spot", "spot", layer="interrupt", share={"seconds_per_hour": 60}),
        mk.rule("em", "alert", layer="emergency", valid_from="2026-12-01T07:22:22", valid_until="2026-12-01T07:30:00"),
    ]
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    check(ct)
    assert _starts(ct, "spot") == [450, 2240, 3135]
    plays = _plays(ct)
    assert (1335, 1342, "a", "normal") in plays
    assert [p[:2] for p in plays if p[2] == "alert"] == [
        (1342 + 25 * k, min(1342 + 25 * (k + 1), 1800)) for k in range(19)
    ]
    assert next(p for p in plays if p[0] == 1800)[2:] == ("a", "normal")


def test_percent_share_with_a_fractional_rate_evens_out_over_hours(mk, h0, check) -> None:
    # percent 1.25 = 45 s/h; spot 30 s -> rate 1.5 spots/h. UTC hour index H of H0 = 1796083200 / 3600 = 498912:
    # floor(498913 * 1.5) - floor(498912 * 1.5) = 748369 - 748368 = 1; next hour 748371 - 748369 = 2.
    # hour 0: margin = 10 + 30 = 40, usable 3560; one spot at int(0.5 * 3560) = 1780 -> a boundary: 1780.
    # hour 1: step 1780, due 3600 + 890 = 4490 and 3600 + 2670 = 6270.
    items = {"a": mk.item("a", 10), "spot": mk.item("spot", 30)}
    rules = [mk.rule("r-a", "a"), mk.rule("r-spot", "spot", layer="interrupt", share={"percent": 1.25})]
    ct = compile_display(mk.display(), rules, items, h0, 2 * HOUR)
    check(ct)
    assert ct.horizon_start_s // HOUR == 498912
    # 1780 is a boundary of a (10 s); after the spot (1810) a restarts at 1810 + 10k:
    # 4490 -> 4490 (4490 - 1810 = 2680, a multiple of 10); after it 4520 + 10k: 6270 -> 6270.
    assert _starts(ct, "spot") == [1780, 4490, 6270]


def test_overlapping_emergencies_newest_first(mk, h0, check) -> None:
    # em-1 07:10-07:30 WIB (600-1800), em-2 07:20-07:25 (1200-1500). Newest (latest start) first:
    # 600-1200 [e1]; 1200-1500 [e2, e1] from e2's first item; 1500-1800 [e1] again from its start.
    items = {"a": mk.item("a", 10), "e1": mk.item("e1", 40), "e2": mk.item("e2", 50)}
    rules = [
        mk.rule("r-a", "a"),
        mk.rule("em-1", "e1", layer="emergency", valid_from="2026-12-01T07:10", valid_until="2026-12-01T07:30"),
        mk.rule("em-2", "e2", layer="emergency", valid_from="2026-12-01T07:20", valid_until="2026-12-01T07:25"),
    ]
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    check(ct)
    em = [(s["start"][11:19], s["end"][11:19], s["loop"]) for s in ct.segments() if s["layer"] == "emergency"]
    assert em == [
        ("00:10:00", "00:20:00", ["e1"]),
        ("00:20:00", "00:25:00", ["e2", "e1"]),
        ("00:25:00", "00:30:00", ["e1"]),
    ]
    assert [w.code for w in ct.warnings] == ["emergency_overlap"]


# -- durations, zones, horizon -------------------------------------------------------------------------


def test_video_length_rounds_up_to_whole_seconds(mk, h0, check) -> None:
    # slot_s = ceil(duration_s): 12.48 -> 13, 9.001 -> 10; the loop's period is 23 s.
    items = {"v": mk.item("v", 12.48, type="video"), "s": mk.item("s", 9.001)}
    ct = compile_display(mk.display(), [mk.rule("r-s", "s"), mk.rule("r-v", "v")], items, h0, 60)
    check(ct)
    assert ct.item_durations_s == {"s": 10, "v": 13}
    assert [(p[0], p[1], p[2]) for p in _plays(ct)] == [
        (0, 10, "s"),
        (10, 23, "v"),
        (23, 33, "s"),
        (33, 46, "v"),
        (46, 56, "s"),
        (56, 60, "v"),
    ]


def test_jayapura_display_horizon_caps_and_dayparts_in_local_hours(mk, check) -> None:
    # compile_for_display starts the horizon at the display's local midnight: now 2026-12-01T16:00Z is
    # 01:00 WIT Dec 2, so the horizon starts 00:00 WIT Dec 2 = 15:00Z Dec 1.
    # a daypart 08:00-09:00 WIT = 23:00-24:00Z; x capped at 1 per hour (UTC hour = WIT hour).
    from scheduler.schedule import compile_for_display

    d = mk.display(timezone="Asia/Jayapura")
    items = {"a": mk.item("a", 10), "x": mk.item("x", 10), "m": mk.item("m", 20)}
    rules = [
        mk.rule("r-a", "a"),
        mk.rule("r-x", "x", max_per_hour=1),
        mk.rule("r-m", "m", dayparts=[{"start": "08:00", "end": "09:00"}]),
    ]
    ct = compile_for_display(d, rules, items, [], datetime(2026, 12, 1, 16, 0, tzinfo=UTC), 1)
    check(ct)
    assert ct.horizon_start_s == _s("2026-12-01T15:00")
    # loop [a, x], 10 s each. Hour 0: a 0, x 10 (cap reached) -> [a] alone from 20 (a boundary every 10 s).
    # Each later hour starts on a boundary; the round robin continues after r-a -> x at hh:00:00.
    # 08:00 WIT (28800): r-m goes live at its exact second; loop [a, m, x] continues after r-a -> m 28800,
    # x 28820 (this hour's one), a 28830, then [m, a] (x capped): m 28840, a 28860, ... m 32380 ends 32400,
    # where r-m ends and hour 9 begins: [a, x] continues after r-m -> x at 32400.
    expected_x = [10] + [h * HOUR for h in range(1, 24) if h != 8] + [28820]
    assert _starts(ct, "x") == sorted(expected_x)
    plays = [(p[0], p[2]) for p in _plays(ct) if 28790 <= p[0] <= 28870 or 32370 <= p[0] <= 32410]
    assert plays == [
        (28790, "a"),
        (28800, "m"),
        (28820, "x"),
        (28830, "a"),
        (28840, "m"),
        (28860, "a"),
        (28870, "m"),
        (32370, "a"),
        (32380, "m"),
        (32400, "x"),
        (32410, "a"),
    ]
    assert max(_starts(ct, "m")) == 32380 and min(_starts(ct, "m")) == 28800


def test_a_daily_rule_that_never_matches_from_the_displays_date_stays_bounded(mk, monkeypatch, check) -> None:
    # Validation counts from the date as written (Sunday 6 Dec, UTC), where INTERVAL=7;BYDAY=SU gives Sundays;
    # on a Pontianak display the first date is Monday 7 Dec, so no day ever matches: the rule never plays
    # (warned), and the DAILY expansion stops at the horizon instead of dateutil walking to the year 9999.
    import playlists.recurrence as recurrence

    r = mk.rule("r", "a", timezone="UTC", valid_from="2026-12-06T23:00:00", rrule="FREQ=DAILY;INTERVAL=7;BYDAY=SU")

    def no_dateutil(*_: Any) -> Any:
        raise AssertionError("DAILY rules are expanded by the bounded scan")

    recurring_dates.cache_clear()
    monkeypatch.setattr(recurrence, "_parse", no_dateutil)
    ct = compile_display(mk.display(fallback=["a"]), [r], {"a": mk.item("a")}, datetime(2026, 11, 30, 17, tzinfo=UTC))
    check(ct)
    assert [(w.code, w.detail) for w in ct.warnings] == [("never_plays", {"reason": "outside_horizon"})]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 40),
    st.one_of(st.none(), st.integers(1, 30)),
    st.lists(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), unique=True, max_size=3),
    st.lists(st.integers(-31, 31).filter(bool), unique=True, max_size=2),
    st.dates(date(2000, 1, 1), date(2026, 12, 31)),
    st.integers(0, 800),
    st.integers(0, 40),
)
def test_daily_dates_in_a_horizon_match_dateutil(
    interval: int, count: int | None, weekdays: list[str], monthdays: list[int], dtstart: date, skip: int, days: int
) -> None:
    # the bounded DAILY expansion (which skips ahead to the horizon by whole INTERVALs) gives dateutil's dates
    text = ";".join(
        ["FREQ=DAILY", f"INTERVAL={interval}"]
        + ([f"COUNT={count}"] if count else [])
        + ([f"BYDAY={','.join(weekdays)}"] if weekdays else [])
        + ([f"BYMONTHDAY={','.join(map(str, monthdays))}"] if monthdays else [])
    )
    first = dtstart + timedelta(days=skip - 30)
    last = first + timedelta(days=days)
    start = datetime(dtstart.year, dtstart.month, dtstart.day)
    lo, hi = datetime(first.year, first.month, first.day), datetime(last.year, last.month, last.day, 23, 59, 59)
    theirs = frozenset(m.date() for m in rrulestr(text, dtstart=start).between(lo, hi, inc=True))
    assert recurring_dates(text, dtstart, first, last) == theirs


# -- more interrupts, breaks, and the preview's answer -------------------------------------------------


def test_two_interrupt_rules_are_staggered_by_phase(mk, h0, check) -> None:
    # a 10 s; s1 15 s at 60 s/h (4/h), s2 20 s at 40 s/h (2/h). margin = 10 + 15 + 20 = 45 -> usable 3555.
    # rule order r-s1, r-s2 -> phases (0 + 0.5)/2 = 0.25 and 0.75.
    # s1: step 888.75, due int((k + 0.25) * 888.75) = 222, 1110, 1999, 2888
    # s2: step 1777.5, due int((k + 0.75) * 1777.5) = 1333, 3110
    # a from 0 every 10 s; a spot waits for a's end:
    # 222 -> 230 (to 245); 1110 -> 245 + 10k -> 1115 (to 1130); 1333 -> 1130 + 10k -> 1340 (to 1360);
    # 1999 -> 2000 (to 2015); 2888 -> 2015 + 10k -> 2895 (to 2910); 3110 -> 2910 + 10k -> 3110.
    items = {"a": mk.item("a", 10), "s1": mk.item("s1", 15), "s2": mk.item("s2", 20)}
    rules = [
        mk.rule("r-a", "a"),
        mk.rule("r-s1", "s1", layer="interrupt", share={"seconds_per_hour": 60}),
        mk.rule("r-s2", "s2", layer="interrupt", share={"seconds_per_hour": 40}),
    ]
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    check(ct)
    assert _starts(ct, "s1") == [230, 1115, 2000, 2895]
    assert _starts(ct, "s2") == [1340, 3110]


def test_an_emergency_cut_item_counts_as_played_and_the_loop_goes_on_after_it(mk, h0, check) -> None:
    # a 10, b 20, c 30 (period 60); emergency 07:00:45-07:01:00 WIB (45-60) cuts c (started 30).
    # After it the loop continues with the item after the last one that started (c) -> a at 60, b 70, c 90.
    items = {"a": mk.item("a", 10), "b": mk.item("b", 20), "c": mk.item("c", 30), "alert": mk.item("alert", 5)}
    rules = [
        mk.rule("r-a", "a"),
        mk.rule("r-b", "b"),
        mk.rule("r-c", "c"),
        mk.rule("em", "alert", layer="emergency", valid_from="2026-12-01T07:00:45", valid_until="2026-12-01T07:01:00"),
    ]
    ct = compile_display(mk.display(), rules, items, h0, 120)
    check(ct)
    assert [(p[0], p[1], p[2]) for p in _plays(ct)] == [
        (0, 10, "a"),
        (10, 30, "b"),
        (30, 45, "c"),
        (45, 50, "alert"),
        (50, 55, "alert"),
        (55, 60, "alert"),
        (60, 70, "a"),
        (70, 90, "b"),
        (90, 120, "c"),
    ]


def _manifest(ct: Any, display: Any) -> Any:
    from signage.manifest import parse_manifest

    return parse_manifest(text_manifest(ct, display.id, display.timezone, ct.horizon_start))


def test_the_preview_answer_matches_the_hand_computed_instants(mk, h0) -> None:
    # the cue `signage preview --at` and the preview API draw (player.runner.decide_at), at instants worked out
    # above: the cap hand-over to the fallback (cap 89 case) and the cut at the end of operating hours.
    from player.runner import decide_at

    items = {"x": mk.item("x", 40), "fb": mk.item("fb", 30)}
    rules = [mk.rule("r-x", "x", max_per_hour=89), mk.rule("r-fb", "fb", layer="fallback")]
    d = mk.display(operating_hours=[{"start": "07:00", "end": "08:01"}])  # H0 = 07:00 WIB; off from 3660
    ct = compile_display(d, rules, items, h0, 2 * HOUR)
    manifest = _manifest(ct, d)

    def cue(offset_s: int) -> tuple[str | None, str | None, int | None, int | None]:
        got = decide_at(manifest, ct.horizon_start + timedelta(seconds=offset_s))
        start = None if got.start is None else int(got.start.timestamp()) - ct.horizon_start_s
        until = None if got.until is None else int(got.until.timestamp()) - ct.horizon_start_s
        return got.item.id if got.item else got.state, got.layer, start, until

    assert cue(3559) == ("x", "normal", 3520, 3560)  # the 89th x
    assert cue(3560) == ("fb", "fallback", 3560, 3590)
    assert cue(3600) == ("fb", "fallback", 3590, 3620)  # the hour turned, fb is finished, not cut
    assert cue(3620) == ("x", "normal", 3620, 3660)
    assert cue(3659) == ("x", "normal", 3620, 3660)
    assert cue(3660)[0] == "off"  # 08:01 WIB: operating hours end


def test_exdate_removes_the_night_that_starts_on_it_in_makassar(mk) -> None:
    # WITA = UTC+8. Range 00:00 WITA Dec 1 (16:00Z Nov 30) to 00:00 WITA Dec 4 (16:00Z Dec 3).
    # 22:00-02:00 belongs to its start day: Nov 30 night reaches in (16:00-18:00Z); Dec 1 night 14:00-18:00Z;
    # the exdate Dec 2 removes the night starting Dec 2 (its 00:00-02:00 on Dec 2 is Dec 1's night, kept);
    # Dec 3 night 14:00Z, cut by the range end at 16:00Z.
    r = mk.rule("r", "a", exdates=["2026-12-02"], dayparts=[{"start": "22:00", "end": "02:00"}])
    spans = rule_spans(r, "Asia/Makassar", _s("2026-11-30T16:00"), _s("2026-12-03T16:00"))
    assert _utc(spans) == [
        ("11-30 16:00", "11-30 18:00"),
        ("12-01 14:00", "12-01 18:00"),
        ("12-03 14:00", "12-03 16:00"),
    ]


def test_emergencies_starting_together_show_the_later_announcement_first(mk, h0, check) -> None:
    # "newest first": the latest start; two announcements live from the same second (no start time: both
    # from the horizon start) show the later one (higher number) first, as the player's signed pushes do
    # (newest push first) -- ann-5 before ann-3 and ann-10 before ann-9, not the ids' text order.
    items = {f"ann-{n}": mk.item(f"ann-{n}", 10) for n in (3, 5, 9, 10)}
    for ids, loop in (((3, 5), ["ann-5", "ann-3"]), ((9, 10), ["ann-10", "ann-9"])):
        rules = [mk.rule(f"ann-{n}", f"ann-{n}", layer="emergency") for n in ids]
        ct = compile_display(mk.display(), rules, items, h0, HOUR)
        check(ct)
        assert [s["loop"] for s in ct.segments()] == [loop]
    # a later start still wins over a higher number: ann-3 from 07:30 WIB goes first from then on
    rules = [
        mk.rule("ann-3", "ann-3", layer="emergency", valid_from="2026-12-01T07:30"),
        mk.rule("ann-5", "ann-5", layer="emergency"),
    ]
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    assert [(s["start"][11:16], s["loop"]) for s in ct.segments()] == [
        ("00:00", ["ann-5"]),
        ("00:30", ["ann-3", "ann-5"]),
    ]


def test_a_capped_playlist_rule_caps_each_of_its_items(mk, h0, check) -> None:
    # playlist [p1 10, p2 15] with max_per_hour 2, plus a 10: loop [a, p1, p2] (period 35).
    # a 0, p1 10, p2 20, a 35, p1 45, p2 55 -> p1 and p2 have 2 starts each; from 70 [a] alone until 3600
    # (a boundary: 70 + 10k), then the full loop continues after r-a -> p1 3600, p2 3610, a 3625, p1 3635,
    # p2 3645 (to 3660, the horizon end).
    from playlists.codec import parse_playlist, parse_rule

    items = {"a": mk.item("a", 10), "p1": mk.item("p1", 10), "p2": mk.item("p2", 15)}
    rules = [
        mk.rule("r-a", "a"),
        parse_rule({"id": "r-p", "playlist": "pl", "targets": {"all": True}, "max_per_hour": 2}),
    ]
    playlists = {"pl": parse_playlist({"id": "pl", "items": ["p1", "p2"]})}
    ct = compile_display(mk.display(), rules, items, h0, HOUR + 60, playlists=playlists)
    check(ct)
    assert _starts(ct, "p1") == [10, 45, 3600, 3635]
    assert _starts(ct, "p2") == [20, 55, 3610, 3645]
    assert _starts(ct, "a") == [0, 35, *range(70, 3600, 10), 3625]


def test_a_share_below_one_spot_an_hour_falls_in_every_third_utc_hour(mk, h0, check) -> None:
    # 10 s/h with a 30 s spot: rate 1/3. H0's UTC hour index is 498912 (a multiple of 3):
    # hour h gets floor((498912 + h + 1) / 3) - floor((498912 + h) / 3) -> 1 for h = 2 and 5, 0 for the others.
    # margin 10 + 30 -> usable 3560, one spot at int(0.5 * 3560) = 1780 into the hour: 8980 and 19780, both
    # boundaries of the 10 s loop (the first spot ends at 9010, and 19780 - 9010 is a multiple of 10).
    items = {"a": mk.item("a", 10), "spot": mk.item("spot", 30)}
    rules = [mk.rule("r-a", "a"), mk.rule("r-spot", "spot", layer="interrupt", share={"seconds_per_hour": 10})]
    ct = compile_display(mk.display(), rules, items, h0, 6 * HOUR)
    check(ct)
    assert ct.horizon_start_s // HOUR == 498912
    assert _starts(ct, "spot") == [8980, 19780]


def test_a_date_alone_is_midnight_so_valid_until_that_date_excludes_it(mk) -> None:
    # valid_from inclusive, valid_until exclusive, both local (WIB): 2026-12-05 .. 2026-12-07 = 5 and 6 Dec,
    # i.e. 17:00Z Dec 4 to 17:00Z Dec 6; "through 7 Dec" is valid_until 2026-12-08.
    r = mk.rule("r", "a", valid_from="2026-12-05", valid_until="2026-12-07")
    assert _utc(rule_spans(r, "Asia/Pontianak", _s("2026-11-30T17:00"), _s("2026-12-14T17:00"))) == [
        ("12-04 17:00", "12-06 17:00")
    ]


CALENDAR_PATTERNS = [
    *PRESETS.values(),
    "FREQ=DAILY;BYMONTH=1,7",
    "FREQ=WEEKLY;BYDAY=TU,SA;WKST=SU",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=17",
    "FREQ=YEARLY;BYYEARDAY=1,-1",
    "FREQ=YEARLY;BYDAY=20MO",
    "FREQ=WEEKLY;BYDAY=FR;UNTIL=20270630",
]
COUNTED_FROM_START = [
    "FREQ=DAILY;INTERVAL=2",
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;BYDAY=FR;INTERVAL=2",
    "FREQ=MONTHLY",
    "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3",
    "FREQ=YEARLY;BYMONTH=8",
    "FREQ=YEARLY;BYWEEKNO=20",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(CALENDAR_PATTERNS), st.dates(date(2026, 1, 1), date(2028, 12, 31)), st.integers(1, 900))
def test_a_calendar_pattern_gives_the_same_dates_whatever_its_first_date(text: str, first: date, back: int) -> None:
    last = first + timedelta(days=45)
    assert not start_matters(text)
    one = recurring_dates(text, first, first, last)
    assert one == recurring_dates(text, first - timedelta(days=back), first, last)
    assert one == recurring_dates(text, date(2000, 1, 3), first, last)


def test_recurrences_counted_from_their_start_are_told_apart() -> None:
    assert all(start_matters(text) for text in COUNTED_FROM_START)


def test_overlays_hide_during_an_emergency_and_continue_after_it(mk, h0, check) -> None:
    # ticker overlays t1, t2 (20 s each) in their own zone; emergency 07:00:45-07:01:00 WIB (45-60).
    # ticker: t1 0, t2 20, t1 40 cut at 45, nothing 45-60 (hidden), then after t1 -> t2 60, t1 80, t2 100.
    items = {
        "a": mk.item("a", 10),
        "t1": mk.item("t1", 20, type="ticker"),
        "t2": mk.item("t2", 20, type="ticker"),
        "alert": mk.item("alert", 15),
    }
    rules = [
        mk.rule("r-a", "a"),
        mk.rule("tk-1", "t1", layer="overlay", zone="ticker"),
        mk.rule("tk-2", "t2", layer="overlay", zone="ticker"),
        mk.rule("em", "alert", layer="emergency", valid_from="2026-12-01T07:00:45", valid_until="2026-12-01T07:01:00"),
    ]
    ct = compile_display(mk.display(zones=["main", "ticker"]), rules, items, h0, 120)
    check(ct)
    assert [(p[0], p[1], p[2]) for p in _plays(ct, "ticker")] == [
        (0, 20, "t1"),
        (20, 40, "t2"),
        (40, 45, "t1"),
        (60, 80, "t2"),
        (80, 100, "t1"),
        (100, 120, "t2"),
    ]
