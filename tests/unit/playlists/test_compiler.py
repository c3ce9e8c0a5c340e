"""Hand-computed compiler cases: round robin, interrupts, emergencies, off, caps, layers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

from tests_support import text_manifest

from playlists.compiler import compile_display
from playlists.timeline import decode_at

HOUR = 3600


def _three(mk: Any) -> tuple[dict[str, Any], list[Any]]:
    items = {i.id: i for i in (mk.item("a", 10), mk.item("b", 20), mk.item("c", 30))}
    rules = [mk.rule("r-a", "a"), mk.rule("r-b", "b"), mk.rule("r-c", "c")]
    return items, rules


def test_round_robin_is_one_segment(mk, h0, check) -> None:
    items, rules = _three(mk)
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    check(ct)
    assert ct.segments() == [
        {
            "start": "2026-12-01T00:00:00Z",
            "end": "2026-12-01T01:00:00Z",
            "zone": "main",
            "layer": "normal",
            "loop": ["a", "b", "c"],
            "why": "normal round-robin of 3 item(s), rules r-a, r-b, r-c",
        }
    ]
    assert [(e.start_s - ct.horizon_start_s, e.item_id) for e in ct.entries[:4]] == [
        (0, "a"),
        (10, "b"),
        (30, "c"),
        (60, "a"),
    ]
    assert len(ct.entries) == 180
    assert ct.item_durations_s == {"a": 10, "b": 20, "c": 30}


def test_interrupt_waits_for_item_boundary_and_resumes_loop(mk, h0, check) -> None:
    items, rules = _three(mk)
    items["spot"] = mk.item("spot", 15)
    rules.append(mk.rule("r-spot", "spot", layer="interrupt", share={"seconds_per_hour": 60}))
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    check(ct)
    # 4 spots/h; margin = longest item 30 s + spot 15 s -> usable 3555 s, step 888.75 s
    # due at 444, 1332, 2221, 3110 (k + 0.5) * 888.75 -> moved to the next item boundary
    spots = [e for e in ct.entries if e.item_id == "spot"]
    assert [e.start_s - ct.horizon_start_s for e in spots] == [450, 1335, 2250, 3115]
    assert all(e.duration_s == 15 for e in spots)
    seg = ct.segments()
    assert seg[1]["layer"] == "interrupt" and seg[1]["loop"] == ["spot"]
    # at 450 b had just finished, so the loop resumes with c (the item after the last one started)
    assert seg[2]["loop"] == ["c", "a", "b"] and seg[2]["start"] == "2026-12-01T00:07:45Z"


def test_emergency_starts_to_the_second_and_cuts(mk, h0, check, at) -> None:
    items, rules = _three(mk)
    items["alert"] = mk.item("alert", 25)
    rules.append(
        mk.rule("em", "alert", layer="emergency", valid_from="2026-12-01T07:20:07", valid_until="2026-12-01T07:31:00")
    )
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    check(ct)
    start = ct.horizon_start_s + 20 * 60 + 7
    e = at(ct.entries, "main", start)
    assert (e.start_s, e.item_id, e.layer) == (start, "alert", "emergency")
    before = at(ct.entries, "main", start - 1)
    assert before.end_s == start and before.layer == "normal"  # cut mid-item
    after = at(ct.entries, "main", ct.horizon_start_s + 31 * 60)
    assert after.layer == "normal" and after.start_s == ct.horizon_start_s + 31 * 60


def test_off_outside_operating_hours_overnight(mk, h0, check) -> None:
    items, rules = _three(mk)
    d = mk.display(operating_hours=[{"start": "06:00", "end": "22:00"}])
    ct = compile_display(d, rules, items, h0, 86_400)
    check(ct)
    off = [(e.start.isoformat(), e.end.isoformat()) for e in ct.entries if e.layer == "off"]
    # 22:00-06:00 WIB = 15:00-23:00 UTC
    assert off == [("2026-12-01T15:00:00+00:00", "2026-12-01T23:00:00+00:00")]
    seg = [s for s in ct.segments() if s["layer"] == "off"]
    assert seg == [
        {
            "start": "2026-12-01T15:00:00Z",
            "end": "2026-12-01T23:00:00Z",
            "zone": "main",
            "layer": "off",
            "loop": [],
            "why": "outside operating hours",
        }
    ]


def test_emergency_beats_off(mk, h0, check, at) -> None:
    items, rules = _three(mk)
    items["alert"] = mk.item("alert", 30)
    rules.append(
        mk.rule("em", "alert", layer="emergency", valid_from="2026-12-02T00:00:00", valid_until="2026-12-02T01:00:00")
    )
    d = mk.display(operating_hours=[{"start": "06:00", "end": "22:00"}])
    ct = compile_display(d, rules, items, h0, 86_400)
    check(ct)
    e = at(ct.entries, "main", ct.horizon_start_s + 17 * HOUR)  # 00:00 WIB on Dec 2
    assert e.layer == "emergency"


def test_max_per_hour_is_never_exceeded(mk, h0, check) -> None:
    items = {"a": mk.item("a", 10), "x": mk.item("x", 10)}
    rules = [mk.rule("r-a", "a"), mk.rule("r-x", "x", max_per_hour=2)]
    ct = compile_display(mk.display(), rules, items, h0, 6 * HOUR)
    check(ct)
    per_hour = Counter(e.start_s // HOUR for e in ct.entries if e.item_id == "x")
    assert set(per_hour.values()) == {2} and len(per_hour) == 6


def test_fallback_only_when_nothing_else(mk, h0, check) -> None:
    items = {"a": mk.item("a", 10), "fb": mk.item("fb", 10)}
    rules = [
        mk.rule("r-a", "a", dayparts=[{"start": "08:00", "end": "09:00"}]),
        mk.rule("r-fb", "fb", layer="fallback"),
    ]
    ct = compile_display(mk.display(), rules, items, h0, 3 * HOUR)
    check(ct)
    layers = [(s["start"], s["layer"]) for s in ct.segments()]
    assert layers == [
        ("2026-12-01T00:00:00Z", "fallback"),
        ("2026-12-01T01:00:00Z", "normal"),
        ("2026-12-01T02:00:00Z", "fallback"),
    ]


def test_display_fallback_items_fill_when_no_rule(mk, h0, check) -> None:
    items = {"logo": mk.item("logo", 10)}
    ct = compile_display(mk.display(fallback=["logo"]), [], items, h0, HOUR)
    check(ct)
    assert {e.item_id for e in ct.entries} == {"logo"}
    empty = compile_display(mk.display(), [], items, h0, HOUR)
    assert [w.code for w in empty.warnings] == ["main_zone_empty"]


def test_overlay_runs_in_its_zone(mk, h0, check) -> None:
    items, rules = _three(mk)
    items["tick"] = mk.item("tick", 30, type="ticker")
    rules.append(mk.rule("tk", "tick", layer="overlay", zone="ticker"))
    ct = compile_display(mk.display(zones=["main", "ticker"]), rules, items, h0, HOUR)
    check(ct)
    assert {(s["zone"], s["layer"]) for s in ct.segments()} == {("main", "normal"), ("ticker", "overlay")}
    missing = compile_display(mk.display(), rules, items, h0, HOUR)
    assert [w.code for w in missing.warnings] == ["zone_missing"]


def test_weight_two_plays_twice_per_cycle(mk, h0) -> None:
    items, rules = _three(mk)
    rules[0] = mk.rule("r-a", "a", weight=2)
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    assert ct.segments()[0]["loop"] == ["a", "b", "c", "a"]


def test_same_input_byte_identical_output(mk, h0) -> None:
    items, rules = _three(mk)
    items["spot"] = mk.item("spot", 15)
    rules.append(mk.rule("r-spot", "spot", layer="interrupt", share={"percent": 2}))
    d = mk.display(operating_hours=[{"start": "06:00", "end": "22:00"}])
    one = json.dumps(compile_display(d, rules, items, h0).segments(), sort_keys=True)
    two = json.dumps(
        compile_display(d, list(reversed(rules)), dict(reversed(items.items())), h0).segments(), sort_keys=True
    )
    assert one == two


def test_segments_decode_through_the_manifest(mk, h0) -> None:
    items, rules = _three(mk)
    items["spot"] = mk.item("spot", 15)
    items["alert"] = mk.item("alert", 25)
    rules.append(mk.rule("r-spot", "spot", layer="interrupt", share={"seconds_per_hour": 120}))
    rules.append(
        mk.rule("em", "alert", layer="emergency", valid_from="2026-12-01T09:00:05", valid_until="2026-12-01T09:10:00")
    )
    d = mk.display(operating_hours=[{"start": "06:00", "end": "10:00"}])
    ct = compile_display(d, rules, items, h0, 6 * HOUR)
    manifest = text_manifest(ct, "d1", d.timezone, h0)
    from signage.manifest import parse_manifest

    parsed = parse_manifest(manifest)
    entries = ct.entries
    for e in entries[:: max(1, len(entries) // 150)]:
        for instant_s in (e.start_s, (e.start_s + e.end_s) // 2, e.end_s - 1):
            got = parsed.play_at(e.start + timedelta(seconds=instant_s - e.start_s))
            if e.layer == "off":
                assert got is None
            else:
                assert got is not None and got[1].id == e.item_id and got[0].layer == e.layer
            assert decode_at(
                ct.segments(), ct.item_durations_s, e.start + timedelta(seconds=instant_s - e.start_s)
            ) == (e.layer, e.item_id)


def test_pickles_compactly_and_identically(mk, h0) -> None:
    import pickle

    items, rules = _three(mk)
    items["spot"] = mk.item("spot", 15)
    rules.append(mk.rule("r-spot", "spot", layer="interrupt", share={"percent": 2}))
    ct = compile_display(mk.display(zones=["main", "ticker"]), rules, items, h0, 86_400)
    back = pickle.loads(pickle.dumps(ct))
    assert back.segments() == ct.segments()
    assert back.entries == ct.entries
    assert back.warnings == ct.warnings
