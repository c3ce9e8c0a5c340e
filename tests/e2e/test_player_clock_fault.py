"""Item 6: a display PC whose clock says 2020 (dead CMOS battery) and no network still plays its cache.

The real scheduler compiles and signs a manifest for a display of our own (one
red image); the real player (offscreen, in this process) caches it online.
Then the player starts again with its wall clock in 2020 and the scheduler
unreachable: its clock is floored on the newest signed manifest's
``generated_at`` / the last server time in ``clock.json``, so it plays the
red image (judged by the pixels of its screenshot against the slate's), the
heartbeat it would send carries ``clock_fault`` (valid for the scheduler's
model) and its proof-of-play rows carry the floored time, not 2020. When the
network comes back, the server's time re-stamps those plays to the true time,
and the heartbeat reaches the scheduler with the fault (the PC clock stays
wrong) while the play events arrive unflagged.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from player_scenes import QT_NOISE, PortForwarder, add_display, covers, publish, solid_png, upload
from tests_support import enrol_player, free_port

from player.app import PlayerApp
from player.clock import CORRECTION_THRESHOLD_S, PlayerClock
from player.tuning import PlayerTuning
from scheduler.api_player import Heartbeat
from signage.clock import parse_utc
from signage.config import PlayerConfig

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.qt_log_ignore(*QT_NOISE),
]

DISPLAY = "uji-jam"
RED = (220, 30, 30)
YEAR_2020_S = datetime(2020, 1, 1, 8, 0, tzinfo=UTC).timestamp()
TUNING = PlayerTuning(use_events=False, verify_interval_s=0, heartbeat_interval_s=3600)


def run_player(qtbot: Any, data_dir: Path, server_url: str, shot: Path, clock: PlayerClock | None = None) -> PlayerApp:
    config = PlayerConfig(server_url=server_url, data_dir=str(data_dir), poll_interval_s=3600, fullscreen=False,
                          screenshot_path=str(shot), screenshot_interval_s=1)
    app = PlayerApp(config, clock=clock, tuning=TUNING)
    qtbot.addWidget(app.canvas)
    app.canvas.resize(320, 180)
    app.start()
    return app


def screenshot(qtbot: Any, shot: Path, after_s: float) -> Image.Image:
    qtbot.waitUntil(lambda: shot.exists() and shot.stat().st_mtime > after_s, timeout=20_000)
    qtbot.wait(300)
    return Image.open(shot).convert("RGB")


def offline_identity(data_dir: Path, dead_url: str) -> None:
    path = data_dir / "identity.json"
    identity = json.loads(path.read_text())
    identity.update(server_url=dead_url, manifest_url=f"{dead_url}/api/v1/player/manifest")
    path.write_text(json.dumps(identity))


def test_clock_in_2020_offline_plays_the_cache_and_reports_the_fault(qtbot, live_scheduler: Any, tmp_path: Path):
    live = live_scheduler
    add_display(live.service, DISPLAY, 320, 180)
    sha = upload(live, "merah.png", solid_png(RED, (320, 180)), "image/png")
    item_id = publish(live, DISPLAY, "Merah", "image", sha, duration_s=2)
    online_dir = tmp_path / "player"
    enrol_player(live, DISPLAY, "JAM234", online_dir)

    # 1. online, right clock: the cache fills and the server's time is saved as a floor
    app = run_player(qtbot, online_dir, live.url, tmp_path / "online.png")
    try:
        qtbot.waitUntil(lambda: app.manifest is not None and app.manifest.complete, timeout=60_000)
        qtbot.waitUntil(lambda: (app.status.snapshot()["current"] or {}).get("item_id") == item_id, timeout=20_000)
        qtbot.waitUntil(lambda: (online_dir / "clock.json").exists(), timeout=20_000)
        generated_at = app.manifest.manifest.generated_at
    finally:
        app.shutdown()

    dead_port = free_port()
    dead = f"http://127.0.0.1:{dead_port}"  # no network from now on
    offline_identity(online_dir, dead)

    # the slate, for comparison: same identity, nothing cached
    slate_dir = tmp_path / "slate-player"
    slate_dir.mkdir()
    shutil.copy(online_dir / "identity.json", slate_dir / "identity.json")
    slate_app = run_player(qtbot, slate_dir, dead, tmp_path / "slate.png")
    try:
        slate = screenshot(qtbot, tmp_path / "slate.png", 0)
        assert slate_app.status.snapshot()["state"] == "slate"
    finally:
        slate_app.shutdown()
    assert covers(slate, RED), "the slate must not look like the content"

    # 2. the PC clock says 2020, no network, warm cache (and the PC was off for a few seconds)
    time.sleep(3)
    started_s = time.time()
    offset_s = started_s - YEAR_2020_S
    clock = PlayerClock(wall_s=lambda: time.time() - offset_s)
    app = run_player(qtbot, online_dir, dead, tmp_path / "screen.png", clock=clock)
    try:
        qtbot.waitUntil(lambda: (app.status.snapshot()["current"] or {}).get("item_id") == item_id, timeout=20_000)
        image = screenshot(qtbot, tmp_path / "screen.png", started_s)
        assert covers(image, RED) == [], "the cached red image is not on screen"
        assert len(covers(image, slate.getpixel((160, 90)))) > 200, "the player shows the slate"  # type: ignore[arg-type]
        assert clock() >= generated_at, "the clock was not floored"
        assert clock().year >= 2026

        app._on_status_tick()
        beat = app._heartbeat()
        assert beat["clock_fault"] and "behind" in beat["clock_fault"], beat
        model = Heartbeat.model_validate(beat)  # what the reporter would send, as the scheduler reads it
        assert model.clock_fault == beat["clock_fault"]
        assert model.clock_offset_s is not None and model.clock_offset_s > 86400 * 365

        assert app.playlog is not None
        playlog = app.playlog
        def this_run() -> list[dict[str, Any]]:  # (plays of step 1 are in the queue too, on a right clock)
            return [r for r in playlog.rows() if r["run_id"] == playlog.run_id and r["item_id"] == item_id]

        qtbot.waitUntil(lambda: any(r["ended_at"] for r in this_run()), timeout=20_000)  # a play closed
        plays = [r for r in this_run() if r["ended_at"]]
        assert plays and all(r["started_at"] >= generated_at.strftime("%Y-%m-%dT%H:%M:%S") for r in plays), plays
        floored = {r["id"]: r["started_at"] for r in plays}
        floored_ids = set(floored)

        # 3. the network comes back: the server's time re-stamps the plays, the scheduler hears of the fault
        forwarder = PortForwarder(dead_port, int(live.url.rsplit(":", 1)[1]))
        try:
            app.sync.trigger()
            qtbot.waitUntil(lambda: app.clock.server_corrected, timeout=30_000)
            assert abs(app.clock.epoch_s() - time.time()) < 60, "not on the server's time"
            assert "off the scheduler's" in (app.clock.fault or "")
            assert app.reporter is not None
            app.reporter.send_now()  # heartbeat + play events now (the first one, at start, found no network)

            def reported() -> list[dict[str, Any]]:
                with live.service.lock:
                    status = live.service.db["display_status"].get(DISPLAY)
                    events = [e for e in live.service.db["play_events"].rows if e["id"] in floored_ids]
                return events if status["clock_fault"] and len(events) == len(floored_ids) else []

            try:
                qtbot.waitUntil(lambda: bool(reported()), timeout=30_000)
            except Exception as exc:
                raise AssertionError(f"reporter: {app.reporter.last_error}, queue {playlog.rows()}") from exc
            events = reported()
            # re-stamped by the server's correction from the floor (which lagged) to the true time;
            # the scheduler does not flag them
            for e in events:
                floored_s = parse_utc(floored[e["id"]]).timestamp()
                true_s = parse_utc(e["started_at"]).timestamp()
                assert floored_s < started_s - 2, (floored[e["id"]], started_s)  # the PC was off >= 3 s
                # the server's Date has 1 s resolution and reaches the player a round trip late (longer on a
                # loaded machine): the corrected clock may be that much behind; the player itself treats
                # differences below CORRECTION_THRESHOLD_S as none
                assert started_s - CORRECTION_THRESHOLD_S < true_s < time.time(), (e, started_s)
                assert e["clock_flag"] is None, e
        finally:
            forwarder.close()
    finally:
        app.shutdown()
