"""Fallback chain: current -> last good (even past its horizon) -> local folder -> slate;
an emergency wins while valid, and is never replayed past the horizon."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from player.app import PlayerApp
from player.tuning import PlayerTuning
from signage.config import PlayerConfig


def test_replay_drops_emergencies(publisher, helpers):
    from player.cache import LoadedManifest
    from player.runner import decide_at
    from signage.manifest import parse_manifest

    t0, fmt = helpers.T0, helpers.fmt
    items = {"n": {"type": "text", "duration_s": 60, "title": "Normal"},
             "e": {"type": "text", "duration_s": 60, "title": "Darurat"}}
    start, end = t0 - timedelta(days=1), t0 + timedelta(days=13)
    timeline = [
        {"start": fmt(start), "end": fmt(end), "zone": "main", "layer": "normal", "loop": ["n"]},
        {"start": fmt(end - timedelta(days=2)), "end": fmt(end), "zone": "main", "layer": "emergency",
         "loop": ["e"]},
    ]
    manifest = parse_manifest(publisher.manifest(1, items, timeline, start=start, end=end))
    assert decide_at(manifest, end - timedelta(hours=1)).item.id == "e"  # type: ignore[union-attr]
    late = decide_at(manifest, end + timedelta(days=6, hours=23))  # replays end-1h of the last week
    assert late.item is not None and late.item.id == "n" and late.source == "last_good"
    assert late.until is not None and late.until > end + timedelta(days=6, hours=23)
    loaded = LoadedManifest(manifest, b"{}", "manifest")
    assert loaded.source == "manifest" and datetime.now(UTC) < end + timedelta(days=400)


def test_corrupt_current_falls_back_to_last_good_with_a_warning(qtbot, publisher, helpers, enrolled_dir):
    now = datetime.now(UTC).replace(microsecond=0)
    window = {"start": now - timedelta(hours=1), "end": now + timedelta(days=1)}
    first = publisher.publish(publisher.manifest(1, {"a": {"type": "text", "duration_s": 30, "title": "Satu"}},
                                                 **window))
    second = publisher.publish(publisher.manifest(2, {"b": {"type": "text", "duration_s": 30, "title": "Dua"}},
                                                  **window))
    manifests = enrolled_dir / "manifest"
    manifests.mkdir()
    (manifests / "last_good.json").write_bytes(first)
    envelope = json.loads(second)
    envelope["manifest"]["items"]["b"]["title"] = "Diubah"  # tampered on disk
    (manifests / "current.json").write_text(json.dumps(envelope))
    config = PlayerConfig(server_url="http://127.0.0.1:9", data_dir=str(enrolled_dir), fullscreen=False)
    app = PlayerApp(config, tuning=PlayerTuning(use_events=False, verify_interval_s=0))
    qtbot.addWidget(app.canvas)
    app.start()
    try:
        assert app.manifest is not None and app.manifest.version == 1 and app.manifest.source == "last_good"
        app._on_status_tick()
        status = app.status.snapshot()
        assert status["source"] == "last_good" and status["current"]["item_id"] == "a"
        assert any("playing last good" in w for w in status["warnings"])
        at = next(i for i, w in enumerate(status["warnings"]) if "playing last good" in w)  # and as a code
        assert status["warning_codes"][at] == {"code": "last_good", "params": {"version": 1}}
        assert len(status["warning_codes"]) == len(status["warnings"])
    finally:
        app.shutdown()
