"""Rule dicts: validation naming the field, and exact round trips."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from playlists.codec import (
    display_to_dict,
    item_to_dict,
    parse_display,
    parse_item,
    parse_rule,
    rule_to_dict,
)
from playlists.targets import validate_rules
from signage.errors import UserError

BASE = {"id": "r1", "item": "a", "targets": {"groups": ["kec-mempawah-hilir"]}}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"valid_from": "2026-12-02T08:00", "valid_until": "2026-12-01T08:00"}, "valid_until"),
        ({"layer": "overlay", "zone": "marquee"}, "zone"),
        ({"zone": "ticker"}, "zone"),
        ({"layer": "overlay", "zone": "main"}, "zone"),
        ({"layer": "interrupt", "share": {"percent": 0}}, "share.percent"),
        ({"layer": "interrupt", "share": {"percent": 101}}, "share.percent"),
        ({"layer": "interrupt", "share": {"seconds_per_hour": 0}}, "share.seconds_per_hour"),
        ({"layer": "interrupt", "share": {"seconds_per_hour": 3601}}, "share.seconds_per_hour"),
        ({"layer": "interrupt"}, "share"),
        ({"share": {"percent": 5}}, "share"),
        ({"rrule": "FREQ=FORTNIGHTLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY", "preset": "fridays"}, "rrule"),
        ({"preset": "every_full_moon"}, "preset"),
        ({"dayparts": [{"start": "25:00", "end": "02:00"}]}, "dayparts[0].start"),
        ({"dayparts": [{"start": "08:00", "end": "08:00"}]}, "dayparts[0].end"),
        ({"days": ["mon", "funday"]}, "days[1]"),
        ({"targets": {}}, "targets"),
        ({"targets": {"groups": "kec"}}, "targets.groups"),
        ({"weight": 0}, "weight"),
        ({"layer": "emergency", "weight": 2}, "weight"),
        ({"max_per_hour": -1}, "max_per_hour"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"valid_from": "2026-12-01T08:00+07:00"}, "valid_from"),
        ({"exdates": ["2026-13-01"]}, "exdates[0]"),
        ({"colour": "red"}, "colour"),
        ({"playlist": "p"}, "item"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(UserError) as info:
        parse_rule({**BASE, **patch})
    assert info.value.field == field
    assert field in str(info.value)


def test_unknown_target_item_and_duplicate_refused(mk) -> None:
    displays = [mk.display("d1", groups=["kec-a"], tags=["outdoor"])]
    ok = mk.rule("r1", "a", targets={"groups": ["kec-a"], "tags": ["outdoor"], "displays": ["d1"]})
    validate_rules([ok], displays, ["a"])
    for targets, field in (
        ({"groups": ["kec-a", "kec-b"]}, "rules[0].targets.groups[1]"),
        ({"tags": ["indoor"]}, "rules[0].targets.tags[0]"),
        ({"displays": ["d9"]}, "rules[0].targets.displays[0]"),
    ):
        with pytest.raises(UserError) as info:
            validate_rules([mk.rule("r1", "a", targets=targets)], displays, ["a"])
        assert info.value.field == field
    with pytest.raises(UserError) as info:
        validate_rules([mk.rule("r1", "zz")], displays, ["a"])
    assert info.value.field == "rules[0].item"
    with pytest.raises(UserError) as info:
        validate_rules([ok, ok], displays, ["a"])
    assert info.value.field == "rules[1].id"


_times = st.integers(0, 23 * 60 + 59).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")
_dayparts = st.lists(
    st.tuples(_times, _times).filter(lambda t: t[0] != t[1]).map(lambda t: {"start": t[0], "end": t[1]}), max_size=3
)
_names = st.text("abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=12)
_targets = st.fixed_dictionaries(
    {},
    optional={
        "displays": st.lists(_names, min_size=1, max_size=3, unique=True),
        "groups": st.lists(_names, min_size=1, max_size=3, unique=True),
        "tags": st.lists(_names, min_size=1, max_size=3, unique=True),
        "all": st.just(True),
    },
).filter(bool)


@st.composite
def rule_dicts(draw: st.DrawFn) -> dict[str, Any]:
    layer = draw(st.sampled_from(["normal", "interrupt", "emergency", "fallback", "overlay"]))
    d: dict[str, Any] = {"id": draw(_names), "targets": draw(_targets)}
    d["item" if draw(st.booleans()) else "playlist"] = draw(_names)
    if layer != "normal":
        d["layer"] = layer
    if layer == "overlay":
        d["zone"] = draw(st.sampled_from(["ticker", "logo", "clock"]))
    if layer == "interrupt":
        d["share"] = draw(
            st.one_of(
                st.integers(1, 3600).map(lambda s: {"seconds_per_hour": s}),
                st.floats(0.5, 100).map(lambda p: {"percent": round(p, 2)}),
            )
        )
    if layer in ("normal", "fallback", "overlay"):
        if draw(st.booleans()):
            d["weight"] = draw(st.integers(2, 5))
        if draw(st.booleans()):
            d["max_per_hour"] = draw(st.integers(1, 30))
    if draw(st.booleans()):
        d["dayparts"] = draw(_dayparts.filter(bool))
    if draw(st.booleans()):
        d["days"] = draw(
            st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, unique=True)
        )
    choice = draw(st.sampled_from(["none", "preset", "rrule"]))
    if choice == "preset":
        d["preset"] = draw(st.sampled_from(["every_day", "weekdays", "fridays", "first_monday", "weekends"]))
    elif choice == "rrule":
        d["rrule"] = draw(
            st.sampled_from(["FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=DAILY;INTERVAL=2"])
        )
    if draw(st.booleans()):
        d["valid_from"] = "2026-12-01T08:00:00"
    if draw(st.booleans()):
        d["valid_until"] = "2027-01-01T00:00:00"
        d["timezone"] = "Asia/Jakarta"
    if draw(st.booleans()):
        d["exdates"] = ["2026-12-25", "2027-01-01"]
    if draw(st.booleans()):
        d["title"] = draw(st.text(max_size=20))
    return d


@settings(max_examples=100, deadline=None)
@given(rule_dicts())
def test_rule_round_trip_exact(d: dict[str, Any]) -> None:
    try:
        rule = parse_rule(d)
    except UserError as exc:  # e.g. days [mon] with preset weekends: refused, it can never play
        assert exc.field in ("preset", "rrule") and "never occurs" in exc.message, exc
        reject()
    out = rule_to_dict(rule)
    assert parse_rule(out) == rule
    assert rule_to_dict(parse_rule(out)) == out


def test_canonical_dict_kept_as_given(mk) -> None:
    d = {
        "id": "r",
        "item": "a",
        "layer": "interrupt",
        "targets": {"groups": ["kec-sungai-pinyuh"]},
        "dayparts": [{"start": "22:00", "end": "02:00"}],
        "preset": "fridays",
        "share": {"percent": 2.5},
    }
    assert rule_to_dict(parse_rule(d)) == d


def test_display_and_item_round_trip() -> None:
    d = {
        "id": "d1",
        "timezone": "Asia/Jakarta",
        "groups": ["kec-a", "outdoor-led"],
        "tags": ["highway"],
        "canvas": {"width": 1080, "height": 1920, "rotation": 90},
        "zones": ["main", "ticker"],
        "operating_hours": [{"days": ["sat"], "start": "00:00", "end": "24:00"}, {"start": "05:00", "end": "23:00"}],
        "fallback": ["logo"],
    }
    assert display_to_dict(parse_display(d)) == d
    assert parse_display({"id": "d2"}).timezone == "Asia/Pontianak"
    i = {"id": "v", "type": "video", "duration_s": 12.48, "width": 1920, "height": 1080, "title": "Banjir"}
    assert item_to_dict(parse_item(i)) == i
    assert parse_item(i).slot_s == 13
    with pytest.raises(UserError) as info:
        parse_display({"id": "d", "zones": ["main", "marquee"]})
    assert info.value.field == "zones[1]"
