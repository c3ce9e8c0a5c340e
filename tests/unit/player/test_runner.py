"""The timeline runner decides by arithmetic on the manifest at a fake clock's time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from player.cache import LoadedManifest
from player.runner import TimelineRunner, decide
from signage.manifest import parse_manifest


def items() -> dict[str, dict[str, Any]]:
    return {
        "a": {"type": "text", "duration_s": 10, "title": "A"},
        "b": {"type": "text", "duration_s": 5, "title": "B"},
        "e": {"type": "text", "duration_s": 30, "title": "Darurat"},
        "f": {"type": "text", "duration_s": 4, "title": "Fallback"},
    }


def build(publisher: Any, helpers: Any) -> LoadedManifest:
    t0, fmt = helpers.T0, helpers.fmt
    timeline = [
        {"start": fmt(t0), "end": fmt(t0 + timedelta(hours=1)), "zone": "main",
         "layer": "normal", "loop": ["a", "b"]},
        {"start": fmt(t0 + timedelta(minutes=10)), "end": fmt(t0 + timedelta(minutes=11)),
         "zone": "main", "layer": "emergency", "loop": ["e"]},
        {"start": fmt(t0 + timedelta(hours=2)), "end": fmt(t0 + timedelta(hours=3)),
         "zone": "main", "layer": "off", "loop": []},
    ]
    data = publisher.manifest(1, items(), timeline, fallback=["f"], start=t0 - timedelta(hours=1))
    return LoadedManifest(parse_manifest(data), b"", "manifest")


def test_decide_walks_the_loop(publisher, helpers):
    manifest = build(publisher, helpers).manifest
    t0 = helpers.T0
    expected = [(0, "a", 0, 10), (9.9, "a", 0, 10), (10, "b", 10, 15), (15, "a", 15, 25),
                (44, "b", 40, 45)]
    for offset_s, item_id, start_s, until_s in expected:
        cue = decide(manifest, t0 + timedelta(seconds=offset_s))
        assert cue.state == "playing" and cue.item is not None
        assert cue.item.id == item_id, offset_s
        assert cue.start == t0 + timedelta(seconds=start_s)
        assert cue.until == t0 + timedelta(seconds=until_s)


def test_emergency_wins_and_cuts_the_item(publisher, helpers):
    manifest = build(publisher, helpers).manifest
    t0 = helpers.T0
    before = decide(manifest, t0 + timedelta(minutes=9, seconds=55))
    assert before.item is not None and before.item.id == "b"
    assert before.until == t0 + timedelta(minutes=10)  # cut by the emergency start
    during = decide(manifest, t0 + timedelta(minutes=10, seconds=40))
    assert during.item is not None and during.item.id == "e"
    assert during.until == t0 + timedelta(minutes=11)  # emergency ends before item end
    assert (during.layer, during.loop) == ("emergency", ("e",))  # what the heartbeat acknowledges
    assert before.layer == "normal"


def test_fallback_off_and_slate(publisher, helpers):
    manifest = build(publisher, helpers).manifest
    t0 = helpers.T0
    gap = decide(manifest, t0 + timedelta(hours=1, seconds=5))
    assert gap.state == "playing" and gap.item is not None and gap.item.id == "f"
    assert gap.start == t0 + timedelta(hours=1, seconds=4)  # anchored at the segment end
    assert gap.source == "manifest" and gap.why == "fallback"
    off = decide(manifest, t0 + timedelta(hours=2, minutes=30))
    assert off.state == "off" and off.item is None
    assert off.until == t0 + timedelta(hours=3)
    assert decide(None, t0).state == "slate"
    no_fallback = publisher.manifest(1, items(), [], fallback=[])
    assert decide(parse_manifest(no_fallback), t0).state == "slate"


def test_runner_emits_on_change_only_and_arms_timer(qtbot, publisher, helpers, fake_clock):
    loaded = build(publisher, helpers)
    runner = TimelineRunner(fake_clock)
    seen: list[Any] = []
    runner.cueChanged.connect(seen.append)
    items_seen: list[Any] = []
    runner.itemChanged.connect(lambda item, start: items_seen.append((item.id, start)))
    runner.set_manifest(loaded)
    assert [c.item.id for c in seen] == ["a"]
    assert items_seen == [("a", helpers.T0)]
    assert 9_000 <= runner._timer.remainingTime() <= 10_100
    fake_clock.advance(3)
    runner.reevaluate()  # same play: nothing emitted
    assert len(seen) == 1
    fake_clock.advance(7)
    runner.reevaluate()
    assert [c.item.id for c in seen] == ["a", "b"]
    runner.set_manifest(None)
    assert seen[-1].state == "slate"
    runner.stop()


def test_runner_timer_fires_at_boundary(qtbot, publisher, helpers):
    """Real time: a 0.3 s item advances by itself through the QTimer."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    fmt = helpers.fmt
    timeline = [{"start": fmt(now - timedelta(seconds=1)), "end": fmt(now + timedelta(hours=1)),
                 "zone": "main", "layer": "normal", "loop": ["x", "y"]}]
    data = publisher.manifest(
        1,
        {"x": {"type": "text", "duration_s": 0.5, "title": "X"},
         "y": {"type": "text", "duration_s": 0.5, "title": "Y"}},
        timeline,
        start=now - timedelta(hours=1),
    )
    runner = TimelineRunner(lambda: datetime.now(UTC))
    seen: list[str] = []
    runner.itemChanged.connect(lambda item, start: seen.append(item.id))
    runner.set_manifest(LoadedManifest(parse_manifest(data), b"", "manifest"))
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=3000)
    assert seen[1] != seen[0] and seen[2] == seen[0]
    runner.stop()


def test_a_stopped_runner_neither_announces_nor_rearms(qtbot, publisher, helpers, fake_clock):
    """Regression: reevaluate() re-armed the timer after stop(), so a late signal (a manifest loaded, a clock
    jump) after shutdown kept cues coming to a torn-down player."""
    runner = TimelineRunner(fake_clock)
    seen: list[Any] = []
    runner.cueChanged.connect(seen.append)
    runner.stop()
    runner.set_manifest(build(publisher, helpers))
    fake_clock.advance(30)
    runner.reevaluate()
    assert seen == [] and not runner._timer.isActive()
