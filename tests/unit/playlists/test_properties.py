"""Property tests over random worlds (bounded examples): the timeline invariants.

* no overlap in a zone; the main zone covered without holes;
* interrupts within one spot of their share in every full hour;
* max plays per hour never exceeded; equal-weight round robin fair;
* emergencies start at their exact second;
* segments decode to exactly the concrete entries.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playlists.codec import parse_display, parse_item, parse_rule
from playlists.compiler import compile_display
from playlists.intervals import intersect, subtract
from playlists.timeline import decode_at
from playlists.windows import operating_spans, rule_spans

HOUR = 3600
STARTS = [
    datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 28, 12, 0, tzinfo=UTC),  # Amsterdam spring forward on the 29th
    datetime(2026, 10, 24, 12, 0, tzinfo=UTC),  # Amsterdam fall back on the 25th
    datetime(2028, 2, 28, 5, 0, tzinfo=UTC),  # leap day
    datetime(2026, 12, 30, 17, 0, tzinfo=UTC),  # month and year end
]
_clock = st.integers(0, 47).map(lambda h: f"{h // 2:02d}:{30 * (h % 2):02d}")
_daypart = st.tuples(_clock, _clock).filter(lambda t: t[0] != t[1]).map(lambda t: {"start": t[0], "end": t[1]})


@st.composite
def worlds(draw: st.DrawFn, *, caps: bool = True, weights: bool = True, interrupts: bool = True) -> dict[str, Any]:
    tz = draw(st.sampled_from(["Asia/Pontianak", "Europe/Amsterdam"]))
    display: dict[str, Any] = {"id": "d", "timezone": tz, "zones": ["main", "ticker"], "fallback": ["fb0"]}
    if draw(st.booleans()):
        display["operating_hours"] = [draw(_daypart)]
    items = {"fb0": {"id": "fb0", "type": "image", "duration_s": 10}}
    rules: list[dict[str, Any]] = []
    for k in range(draw(st.integers(1, 6))):
        items[f"n{k}"] = {"id": f"n{k}", "type": "image", "duration_s": draw(st.integers(5, 40))}
        r: dict[str, Any] = {"id": f"n{k}", "item": f"n{k}", "targets": {"all": True}}
        if draw(st.booleans()):
            r["dayparts"] = draw(st.lists(_daypart, min_size=1, max_size=2))
        if weights and draw(st.integers(0, 4)) == 0:
            r["weight"] = draw(st.integers(2, 3))
        if caps and draw(st.integers(0, 3)) == 0:
            r["max_per_hour"] = draw(st.integers(1, 8))
        rules.append(r)
    if interrupts:
        budget = 0.0
        for k in range(draw(st.integers(0, 2))):
            dur = draw(st.integers(5, 30))
            share = draw(st.integers(30, 600))
            budget += share
            items[f"i{k}"] = {"id": f"i{k}", "type": "video", "duration_s": dur}
            r = {
                "id": f"i{k}",
                "item": f"i{k}",
                "layer": "interrupt",
                "share": {"seconds_per_hour": share},
                "targets": {"all": True},
            }
            if draw(st.booleans()):
                r["dayparts"] = [draw(_daypart)]
            rules.append(r)
    start = draw(st.sampled_from(STARTS))
    for k in range(draw(st.integers(0, 2))):
        items[f"e{k}"] = {"id": f"e{k}", "type": "text", "duration_s": draw(st.integers(5, 60))}
        begin = start + timedelta(seconds=draw(st.integers(-3600, 40 * HOUR)))
        length = draw(st.integers(60, 3 * HOUR))
        local = begin.astimezone(__import__("zoneinfo").ZoneInfo(tz)).replace(tzinfo=None)
        rules.append(
            {
                "id": f"e{k}",
                "item": f"e{k}",
                "layer": "emergency",
                "targets": {"all": True},
                "valid_from": local.isoformat(),
                "valid_until": (local + timedelta(seconds=length)).isoformat(),
            }
        )
    if draw(st.booleans()):
        items["fbr"] = {"id": "fbr", "type": "image", "duration_s": 12}
        rules.append({"id": "fbr", "item": "fbr", "layer": "fallback", "targets": {"all": True}})
    if draw(st.booleans()):
        items["tick"] = {"id": "tick", "type": "ticker", "duration_s": 30}
        rules.append(
            {
                "id": "tick",
                "item": "tick",
                "layer": "overlay",
                "zone": "ticker",
                "targets": {"all": True},
                "dayparts": [draw(_daypart)],
            }
        )
    return {
        "display": parse_display(display),
        "items": {k: parse_item(v) for k, v in items.items()},
        "rules": [parse_rule(r) for r in rules],
        "start": start,
        "horizon_s": draw(st.integers(6, 40)) * HOUR,
    }


def _compile(w: dict[str, Any]) -> Any:
    return compile_display(w["display"], w["rules"], w["items"], w["start"], w["horizon_s"])


PROFILE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(PROFILE, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(w=worlds())
def test_no_overlap_and_no_holes(check: Any, w: dict[str, Any]) -> None:
    ct = _compile(w)
    check(ct)
    assert not any(x.code == "main_zone_empty" for x in ct.warnings)  # fb0 always there
    # off exactly outside operating hours (minus emergencies)
    on = operating_spans(w["display"], ct.horizon_start_s, ct.horizon_end_s)
    em = sorted(
        s
        for r in w["rules"]
        if r.layer == "emergency"
        for s in rule_spans(r, w["display"].timezone, ct.horizon_start_s, ct.horizon_end_s)
    )
    from playlists.intervals import normalize

    expected_off = subtract(subtract([(ct.horizon_start_s, ct.horizon_end_s)], on), normalize(em))
    got_off = normalize((e.start_s, e.end_s) for e in ct.entries if e.layer == "off")
    assert got_off == expected_off


@PROFILE
@given(worlds())
def test_segments_decode_to_entries(w: dict[str, Any]) -> None:
    ct = _compile(w)
    segments = ct.segments()
    main = [e for e in ct.entries if e.zone == "main"]
    step = max(1, len(main) // 40)
    for e in main[::step] + main[-3:]:
        for instant_s in {e.start_s, (e.start_s + e.end_s) // 2, e.end_s - 1}:
            instant = datetime.fromtimestamp(instant_s, UTC)
            assert decode_at(segments, ct.item_durations_s, instant) == (e.layer, e.item_id)
    ticker = [e for e in ct.entries if e.zone == "ticker"]
    for e in ticker[:: max(1, len(ticker) // 10)]:
        assert decode_at(segments, ct.item_durations_s, e.start, "ticker") == ("overlay", e.item_id)


@PROFILE
@given(worlds())
def test_caps_never_exceeded_and_emergencies_exact(w: dict[str, Any]) -> None:
    ct = _compile(w)
    caps = {r.id: r.max_per_hour for r in w["rules"] if r.max_per_hour}
    per_hour = Counter((e.rule_id, e.start_s // HOUR) for e in ct.entries if e.rule_id in caps)
    for (rule_id, _), count in per_hour.items():
        assert count <= caps[rule_id]
    starts = {e.start_s: e for e in ct.entries if e.zone == "main"}
    for r in w["rules"]:
        if r.layer != "emergency":
            continue
        for s, _ in rule_spans(r, w["display"].timezone, ct.horizon_start_s, ct.horizon_end_s):
            assert s in starts and starts[s].layer == "emergency"
            assert starts[s].item_id is not None


@PROFILE
@given(worlds(caps=False, weights=False))
def test_round_robin_fair(w: dict[str, Any]) -> None:
    ct = _compile(w)
    always = {r.id for r in w["rules"] if r.layer == "normal" and not r.dayparts}
    if len(always) < 2:
        return
    counts = Counter(e.rule_id for e in ct.entries if e.rule_id in always)
    for rule_id in always:
        counts.setdefault(rule_id, 0)
    assert max(counts.values()) - min(counts.values()) <= 1


@PROFILE
@given(worlds())
def test_interrupt_share_in_every_full_hour(w: dict[str, Any]) -> None:
    ct = _compile(w)
    tz = w["display"].timezone
    h0, h1 = ct.horizon_start_s, ct.horizon_end_s
    on = operating_spans(w["display"], h0, h1)
    em = sorted(s for r in w["rules"] if r.layer == "emergency" for s in rule_spans(r, tz, h0, h1))
    from playlists.intervals import normalize

    available = subtract(on, normalize(em))
    interrupts = [r for r in w["rules"] if r.layer == "interrupt"]
    total_share = sum(r.share.effective_s_per_h for r in interrupts)
    if total_share > 1800:
        return  # only promised while the shares leave room (> 50% is warned about)
    for r in interrupts:
        live = intersect(list(rule_spans(r, tz, h0, h1)), available)
        spot_s = w["items"][r.item].slot_s
        target = r.share.effective_s_per_h
        plays = [e for e in ct.entries if e.rule_id == r.id]
        for hour in range(h0 // HOUR, h1 // HOUR):
            a, b = hour * HOUR, (hour + 1) * HOUR
            if intersect(live, [(a, b)]) != [(a, b)]:
                continue  # not a full hour for this rule
            seconds = sum(max(0, min(e.end_s, b) - max(e.start_s, a)) for e in plays)
            assert abs(seconds - target) <= spot_s, (r.id, hour, seconds, target)


@PROFILE
@given(worlds())
def test_compact_timeline_decodes_to_the_same_segments(w: dict[str, Any]) -> None:
    """Schema 2's timeline (loop table, int runs) parses to exactly schema 1's segments."""
    import json

    from signage.manifest import _compact_segments, _segment

    ct = _compile(w)
    zones, item_ids = set(w["display"].zones), ct.used_item_ids()
    plain = [_segment(s, i, zones, "default", item_ids) for i, s in enumerate(json.loads(ct.segments_json()))]
    compact = json.loads(ct.compact_json())
    assert _compact_segments(compact, zones, "default", item_ids) == plain
    assert compact["items"] == sorted(compact["items"], key=compact["items"].index)  # listed once each
    if ct.segment_count() >= 10:  # the fixed part (start, item names) is paid back after a few runs
        assert len(ct.compact_json()) < len(ct.segments_json()) / 2


@PROFILE
@given(worlds())
def test_counting_capped_starts_by_bisection_gives_the_general_count(w: dict[str, Any]) -> None:
    """The fast path for runs shorter than a cycle (each capped slot once per loop) and the general
    count over cycle offsets give the same runs."""
    import pytest

    import playlists.compiler as compiler
    from playlists.loops import Loop

    compiler._SHARED_LOOPS.clear()
    fast = _compile(w).segments()
    general_init = Loop.__init__

    def without_fast_path(self: Loop, slots: Any) -> None:
        general_init(self, slots)
        self.cap_single = False

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Loop, "__init__", without_fast_path)
        compiler._SHARED_LOOPS.clear()
        general = _compile(w).segments()
    compiler._SHARED_LOOPS.clear()
    assert fast == general
