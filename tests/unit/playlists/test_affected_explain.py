"""Explanations / warnings staff can act on."""

from __future__ import annotations

from playlists.compiler import compile_display
from playlists.explain import explain_item, items_never_played

HOUR = 3600


def _displays(mk):
    return [
        mk.display("d1", groups=["kec-a"], tags=["outdoor"], operating_hours=[{"start": "06:00", "end": "22:00"}]),
        mk.display("d2", groups=["kec-a"]),
        mk.display("d3", groups=["kec-b"], tags=["outdoor"], canvas={"width": 1080, "height": 1920}),
    ]


def test_never_plays_reasons(mk, h0) -> None:
    ds = _displays(mk)
    items = {
        i.id: i for i in (mk.item("a"), mk.item("night"), mk.item("old"), mk.item("fb"), mk.item("alert"), mk.item("b"))
    }
    rules = [
        mk.rule("ra", "a"),
        mk.rule("night", "night", targets={"displays": ["d1"]}, dayparts=[{"start": "23:00", "end": "04:00"}]),
        mk.rule("old", "old", valid_until="2026-01-01T00:00"),
        mk.rule("fb", "fb", layer="fallback"),
        mk.rule(
            "em",
            "alert",
            layer="emergency",
            targets={"displays": ["d1"]},
            valid_from="2026-12-01T09:00",
            valid_until="2026-12-01T11:00",
        ),
        mk.rule("rb", "b", targets={"displays": ["d1"]}, dayparts=[{"start": "09:30", "end": "10:30"}]),
        mk.rule("lost", "b", targets={"groups": ["kec-zz"]}),
    ]
    ct = compile_display(ds[0], rules, items, h0, 86_400)
    reasons = {w.rule_id: w.detail["reason"] for w in ct.warnings if w.code == "never_plays"}
    assert reasons == {
        "night": "outside_operating_hours",
        "old": "outside_horizon",
        "fb": "fallback_not_needed",
        "rb": "preempted_by_emergency",
    }
    ex = explain_item("night", rules, ds, items, h0, 86_400)
    assert not ex.plays_anywhere
    assert [(w.display_id, w.detail["reason"]) for w in ex.warnings] == [("d1", "outside_operating_hours")]
    assert explain_item("a", rules, ds, items, h0, HOUR).plays["d2"] == 360
    assert explain_item("nothing", rules, ds, items, h0).warnings[0].detail["reason"] == "no_rule"
    lost = explain_item("b", [rules[-1]], ds, items, h0, HOUR)
    assert [w.detail["reason"] for w in lost.warnings] == ["no_display"]
    compiled = {d.id: compile_display(d, rules, items, h0, 86_400) for d in ds}
    silent = {w.item_id: w.detail["reason"] for w in items_never_played(compiled, rules, items)}
    assert silent == {
        "night": "outside_operating_hours",
        "old": "outside_horizon",
        "fb": "fallback_not_needed",
        "b": "no_display",
    }


def test_share_over_100_and_overlapping_emergencies(mk, h0) -> None:
    items = {i.id: i for i in (mk.item("a"), mk.item("s1", 30), mk.item("s2", 30), mk.item("e1"), mk.item("e2"))}
    rules = [
        mk.rule("ra", "a"),
        mk.rule("s1", "s1", layer="interrupt", share={"percent": 70}),
        mk.rule(
            "s2",
            "s2",
            layer="interrupt",
            share={"seconds_per_hour": 1800},
            dayparts=[{"start": "08:00", "end": "10:00"}],
        ),
        mk.rule("e1", "e1", layer="emergency", valid_from="2026-12-01T12:00", valid_until="2026-12-01T13:00"),
        mk.rule("e2", "e2", layer="emergency", valid_from="2026-12-01T12:30", valid_until="2026-12-01T14:00"),
    ]
    ct = compile_display(mk.display(), rules, items, h0, 86_400)
    codes = {w.code: w for w in ct.warnings}
    assert codes["share_over_100"].detail["rule_ids"] == ["s1", "s2"]
    assert codes["share_over_100"].detail["hours"] == 2
    assert codes["share_over_100"].detail["percent"] == 120.0
    assert codes["emergency_overlap"].detail["other_rule_id"] == "e2"
    # the newer emergency takes the screen at its exact start
    at = ct.horizon_start_s + 5 * HOUR + 30 * 60
    e = next(x for x in ct.entries if x.start_s <= at < x.end_s and x.zone == "main")
    assert (e.start_s, e.item_id) == (at, "e2")


def test_canvas_mismatch(mk, h0) -> None:
    ds = _displays(mk)
    items = {"wide": mk.item("wide", width=1920, height=1080), "tall": mk.item("tall", width=1080, height=1920)}
    rules = [mk.rule("w", "wide"), mk.rule("t", "tall")]
    portrait = compile_display(ds[2], rules, items, h0, HOUR)
    assert [(w.code, w.item_id) for w in portrait.warnings] == [("canvas_mismatch", "wide")]
    landscape = compile_display(ds[1], rules, items, h0, HOUR)
    assert [(w.code, w.item_id) for w in landscape.warnings] == [("canvas_mismatch", "tall")]
    assert portrait.warnings[0].to_dict()["code"] == "canvas_mismatch"
