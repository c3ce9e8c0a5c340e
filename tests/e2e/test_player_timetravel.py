"""Time travel: a manifest compiled by the real scheduler (Mempawah demo), then 14 simulated days
offline on an injected clock, checked at sampled instants against ``Manifest.play_at`` (the
reference shared with the scheduler's preview); past the horizon the player keeps playing the
last good manifest (replayed by week, emergencies dropped) and says so in status and heartbeat."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from player_scenes import QT_NOISE
from tests_support import enrol_player

from player.app import PlayerApp
from player.clock import PlayerClock
from player.health import heartbeat_payload
from player.runner import replay_period
from player.tuning import PlayerTuning
from signage.config import PlayerConfig

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    # time travel switches items faster than a video can open: Qt aborts the open
    pytest.mark.qt_log_ignore(*QT_NOISE, "Immediate exit requested"),
]

TIMEOUT_S = 10
DISPLAY = "desa-antibar"
SAMPLES = 300


class TravelClock:
    """Wall and monotonic sources for PlayerClock that a test can move forward."""

    def __init__(self) -> None:
        self.offset_s = 0.0
        self.frozen = False
        self._frozen_wall_s = 0.0
        self._frozen_monotonic_s = 0.0

    def wall_s(self) -> float:
        return self._frozen_wall_s if self.frozen else time.time() + self.offset_s

    def monotonic_s(self) -> float:
        return self._frozen_monotonic_s if self.frozen else time.monotonic() + self.offset_s

    def freeze_shifted(self, delta_s: float) -> None:
        """Move the clock by ``delta_s`` and stop it there, so the player and the reference judge
        the same instant (a sample next to an item boundary must not depend on how long the check took)."""
        self._frozen_wall_s = self.wall_s() + delta_s
        self._frozen_monotonic_s = self.monotonic_s() + delta_s
        self.frozen = True


def expected(manifest: Any, moment: datetime) -> tuple[str, str | None]:
    """(state, item id) by the reference implementation."""
    hit = manifest.play_at(moment, "main")
    if hit is not None:
        return "playing", hit[1].id
    if any(s.zone == "main" and s.start <= moment < s.end for s in manifest.timeline):
        return "off", None
    return "fallback", None


def test_fourteen_days_offline_then_last_good_past_the_horizon(qtbot, live_scheduler: Any, tmp_path: Path):
    live = live_scheduler
    data_dir = tmp_path / "player"
    enrol_player(live, DISPLAY, "TRV234", data_dir)
    travel = TravelClock()
    clock = PlayerClock(wall_s=travel.wall_s, monotonic_s=travel.monotonic_s)
    config = PlayerConfig(server_url=live.url, data_dir=str(data_dir), poll_interval_s=3600, fullscreen=False)
    app = PlayerApp(config, clock=clock, tuning=PlayerTuning(use_events=False, verify_interval_s=0,
                                                             heartbeat_interval_s=3600))
    qtbot.addWidget(app.canvas)
    app.canvas.resize(320, 180)
    app.start()
    try:
        qtbot.waitUntil(lambda: app.manifest is not None and app.manifest.complete, timeout=60_000)
        app.sync.stop()  # offline from now on
        app.reporter.stop()
        manifest = app.manifest.manifest
        horizon = manifest.valid_until
        start = clock()
        assert horizon - start >= timedelta(days=13), "the scheduler compiles a 14-day timeline"
        rng = random.Random(14)
        instants = sorted(start + timedelta(seconds=rng.uniform(0, (horizon - start).total_seconds() - 1))
                          for _ in range(SAMPLES))
        seen: dict[str, int] = {}
        for moment in instants:
            travel.freeze_shifted((moment - clock()).total_seconds())
            app.runner.reevaluate()
            status = app.status.snapshot()
            state, item_id = expected(manifest, clock())
            if state == "playing":
                assert status["state"] == "playing" and status["current"]["item_id"] == item_id, (moment, status)
                seen[item_id] = seen.get(item_id, 0) + 1
            elif state == "off":
                assert status["state"] == "off", (moment, status)
                seen["(off)"] = seen.get("(off)", 0) + 1
            else:
                assert status["current"] is None or status["current"]["item_id"] in manifest.fallback
            assert status["source"] in ("manifest", "slate") and not app.runner.past_horizon
        assert not app.runner.failed, app.runner.failed
        assert len(seen) >= 3, seen  # the samples saw several items (and the night)

        # past the horizon: keep playing the last good manifest, replayed by week, with a warning
        period = replay_period(manifest)
        for days in (0.5, 3, 9):
            moment = horizon + timedelta(days=days, minutes=rng.uniform(0, 600))
            travel.freeze_shifted((moment - clock()).total_seconds())
            app.runner.reevaluate()
            app._on_status_tick()
            status = app.status.snapshot()
            assert app.runner.past_horizon
            shifted = clock() - period * ((clock() - horizon) // period + 1)
            state, item_id = expected(manifest, shifted)
            if state == "playing" and all(s.layer != "emergency" for s in manifest.timeline
                                          if s.start <= shifted < s.end):
                assert status["current"]["item_id"] == item_id
                assert status["source"] == "last_good"
            assert any("past its horizon" in w for w in status["warnings"]), status["warnings"]
            beat = heartbeat_payload(status, app.cache.cached(), data_dir)
            if status["state"] == "playing":
                assert beat["status"] == "last_good"
            assert any("past its horizon" in w for w in beat["warnings"])
    finally:
        app.shutdown()
