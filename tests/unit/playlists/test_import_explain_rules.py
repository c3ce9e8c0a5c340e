"""Issue 9 item 10 (engine side): YAML strictness, import validation, true never-plays reasons, loop labels."""

from __future__ import annotations

import pytest

from playlists.compiler import compile_display
from playlists.explain import explain_item
from playlists.yamlio import SECTIONS, dump_document, load_document
from signage.errors import ConfigError

HOUR = 3600


def test_duplicate_keys_are_refused_with_file_and_line() -> None:
    text = "rules:\n  - id: a\n    item: x\n    targets: {all: true}\n    item: y\n"
    with pytest.raises(ConfigError) as info:
        load_document(text, "jadwal.yaml")
    assert info.value.line == 5 and "duplicate key 'item'" in str(info.value)
    assert str(info.value).startswith("jadwal.yaml:5:")
    with pytest.raises(ConfigError) as info:
        load_document("rules: []\ndisplays: []\nrules: []\n", "jadwal.yaml")
    assert info.value.line == 3 and "duplicate key 'rules'" in str(info.value)


def test_items_must_name_stored_items_when_they_are_known() -> None:
    text = "items:\n  - {id: ann-1, type: image, duration_s: 10}\n  - {id: ann-99, type: image, duration_s: 10}\n"
    with pytest.raises(ConfigError) as info:
        load_document(text, "jadwal.yaml", known_item_ids=["ann-1", "ann-2"])
    assert (info.value.key, info.value.line) == ("items[1].id", 3) and "ann-99" in str(info.value)
    # and an items entry no longer makes a rule's unknown item acceptable
    text = "items:\n  - {id: ann-1, type: image, duration_s: 10}\n"
    text += "rules:\n  - {id: r, item: ann-7, targets: {all: true}}\n"
    with pytest.raises(ConfigError) as info:
        load_document(text, "jadwal.yaml", known_item_ids=["ann-1"])
    assert info.value.key == "rules[0].item"


def test_groups_are_checked_against_the_files_displays_and_known_groups(mk) -> None:
    stored = [mk.display("d1", groups=["kota"])]
    rule = "rules:\n  - {id: r, item: a, targets: {groups: [kota]}}\n"
    assert load_document(rule, known_displays=stored).rules[0].id == "r"
    # the file's own display replaces the stored one: no display keeps group kota
    moved = rule + "displays:\n  - {id: d1, groups: [desa]}\n"
    with pytest.raises(ConfigError) as info:
        load_document(moved, "j.yaml", known_displays=stored)
    assert info.value.key == "rules[0].targets.groups[0]" and info.value.line == 2
    # ... unless the group exists on its own (an empty group in the store)
    assert load_document(moved, known_displays=stored, known_groups=["kota"]).rules[0].id == "r"
    # an empty group known to the store round-trips
    empty = "rules:\n  - {id: r, item: a, targets: {groups: [kosong]}}\n"
    assert load_document(empty, known_displays=stored, known_groups=["kota", "kosong"]).rules[0].id == "r"


def test_sections_present_are_recorded_and_export_writes_all() -> None:
    doc = load_document("displays:\n  - {id: d1}\n")
    assert doc.sections == {"displays"}
    everything = load_document(dump_document(doc, all_sections=True))
    assert everything.sections == set(SECTIONS) and everything == doc
    assert "rules: []" in dump_document(doc, all_sections=True)


def test_round_robin_label_counts_items_and_names_rules(mk, h0) -> None:
    items = {i: mk.item(i) for i in ("a", "b")}
    rules = [mk.rule("pagi", "a", weight=3), mk.rule("siang", "b", weight=2)]
    ct = compile_display(mk.display(), rules, items, h0, HOUR)
    assert {s["why"] for s in ct.segments()} == {"normal round-robin of 2 item(s), rules pagi, siang"}
    many = [mk.rule(f"r{i}", "a") for i in range(5)]
    ct = compile_display(mk.display(), many, items, h0, HOUR)
    assert {s["why"] for s in ct.segments()} == {"normal round-robin of 1 item(s), rules r0, r1, r2 +2 more"}


def _reasons(explanation) -> list[tuple[str | None, str]]:
    return [(w.display_id, w.detail["reason"]) for w in explanation.warnings]


def test_each_engine_never_plays_reason_is_the_true_one(mk, h0) -> None:
    d1 = mk.display("d1", groups=["kec-a"])
    d2 = mk.display("d2", groups=["kec-a"], zones=["main", "ticker"])
    items = {i: mk.item(i) for i in ("a", "spot", "tick", "b")}
    # crowded_out: back-to-back interrupt spots (the whole hour) leave a normal rule starting later no turn
    rules = [
        mk.rule("ra", "a", targets={"displays": ["d1"]}, dayparts=[{"start": "08:00", "end": "09:00"}]),
        mk.rule("rb", "b", targets={"displays": ["d1"]}),
        mk.rule("all-hour", "spot", layer="interrupt", share={"seconds_per_hour": 3600}, targets={"displays": ["d1"]}),
    ]
    assert _reasons(explain_item("a", rules, [d1, d2], items, h0, 3 * HOUR)) == [("d1", "crowded_out")]
    # zone_missing: an overlay for a zone d1's layout lacks
    ticker = [mk.rule("t", "tick", layer="overlay", zone="ticker", targets={"groups": ["kec-a"]})]
    explanation = explain_item("tick", ticker, [d1, d2], items, h0, HOUR)
    assert _reasons(explanation) == [("d1", "zone_missing")] and explanation.plays["d2"] > 0
    # unknown_item: a rule names an item that does not exist
    ghost = [mk.rule("g", "ghost")]
    assert _reasons(explain_item("ghost", ghost, [d1], items, h0, HOUR)) == [(None, "unknown_item")]
    # reasons only the scheduler knows are passed in and given as they are
    plain = [mk.rule("rb", "b", targets={"groups": ["kec-a"]})]
    given = {"d1": "not_in_targets", "d2": "media_not_ready"}
    explanation = explain_item("b", plain, [d1, d2], items, h0, HOUR, unavailable=given)
    assert _reasons(explanation) == [("d1", "not_in_targets"), ("d2", "media_not_ready")]
    assert "does not reach" in explanation.warnings[0].message
