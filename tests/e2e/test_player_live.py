"""The player against the real scheduler (``live_scheduler``: uvicorn on loopback, Mempawah demo):
heartbeats update display_status, proof of play reaches play_events, SSE pushes a manifest
and a screenshot request."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image, ImageStat
from player_scenes import QT_NOISE
from tests_support import enrol_player, post_approve

from player.app import PlayerApp
from player.tuning import PlayerTuning
from signage.config import PlayerConfig
from signage.manifest import SCHEMA_V2

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.qt_log_ignore(*QT_NOISE),
]

TIMEOUT_S = 10
DISPLAY = "kec-sungai-pinyuh"


def test_heartbeats_play_events_sse_manifest_and_screenshot(qtbot, live_scheduler: Any, tmp_path: Path):
    live = live_scheduler
    live.service.sse_keepalive_s = 1.0
    data_dir = tmp_path / "player"
    enrol_player(live, DISPLAY, "LVW234", data_dir)
    config = PlayerConfig(server_url=live.url, data_dir=str(data_dir), poll_interval_s=3600, fullscreen=False)
    tuning = PlayerTuning(heartbeat_interval_s=0.5, verify_interval_s=0)
    app = PlayerApp(config, tuning=tuning)
    qtbot.addWidget(app.canvas)
    app.start()
    db = live.service.db
    try:
        qtbot.waitUntil(lambda: app.manifest is not None and app.runner.cue is not None
                        and app.runner.cue.item is not None, timeout=30_000)

        def status_row() -> dict[str, Any] | None:
            rows = list(db.query("select * from display_status where display_id = ?", [DISPLAY]))
            return rows[0] if rows else None

        # the player says it reads schema 2 (the compact timeline): its display is republished in that form
        # and the player takes it like any new version
        qtbot.waitUntil(lambda: app.manifest.manifest.schema == SCHEMA_V2, timeout=15_000)
        assert db["displays"].get(DISPLAY)["manifest_schema"] == 2
        qtbot.waitUntil(lambda: (status_row() or {}).get("manifest_version") == app.manifest.version,
                        timeout=15_000)
        row = status_row()
        assert row is not None and row["status"] == "playing"
        assert row["current_item"] == app.runner.cue.item.id
        assert row["memory_rss_bytes"] > 0 and row["free_disk_bytes"] > 0
        assert row["app_version"]
        cached = set(json.loads(row["cache"]))
        assert cached == set(app.cache.cached())

        # proof of play: force a few item changes by skipping, then the queue drains to the server
        first_item = app.runner.cue.item.id
        qtbot.waitUntil(lambda: app.playlog is not None and app.playlog.count() >= 1, timeout=5_000)
        app.playlog.finish(ended_at=app.clock(), mono_s=0.0)  # close the open play so it can be uploaded
        app.reporter.send_now()

        def server_events() -> list[dict[str, Any]]:
            return list(db.query("select * from play_events where display_id = ?", [DISPLAY]))

        # the item on screen when we looked reaches the server (on a busy machine an earlier item may have
        # finished first: it is uploaded too, and comes first)
        qtbot.waitUntil(lambda: first_item in {e["item_id"] for e in server_events()}, timeout=15_000)
        started = [e["started_at"] for e in server_events()]
        assert started == sorted(started)
        qtbot.waitUntil(lambda: app.playlog.count() == 0 or all(
            r["ended_at"] is None for r in app.playlog.rows()), timeout=10_000)

        # SSE: an emergency approved now reaches the screen without waiting for the hourly poll
        editor = ("editor", live.service.demo_accounts.editor_password)
        admin = ("admin", live.service.demo_accounts.admin_password)
        qtbot.waitUntil(lambda: app.events.client is not None and app.events.client.connected.is_set(),
                        timeout=10_000)
        r = requests.post(f"{live.url}/api/v1/admin/announcements", auth=editor, timeout=TIMEOUT_S,
                          json={"title": "Siaga Banjir Rob", "body": "Warga pesisir harap waspada.",
                                "layer": "emergency", "targets": {"displays": [DISPLAY]}})
        ann = r.json()["announcement"]["id"]
        post_approve(f"{live.url}/api/v1/admin/announcements/{ann}/approve", auth=admin,
                      timeout=TIMEOUT_S).raise_for_status()
        qtbot.waitUntil(lambda: app.runner.cue is not None and app.runner.cue.item is not None
                        and app.runner.cue.item.id == f"ann-{ann}", timeout=15_000)

        # SSE: a screenshot request is answered with a small PNG of what is on screen
        requests.post(f"{live.url}/api/v1/admin/displays/{DISPLAY}/screenshot-request", auth=admin,
                      timeout=TIMEOUT_S).raise_for_status()

        def screenshot() -> bytes | None:
            rows = list(db.query("select png from screenshots where display_id = ?", [DISPLAY]))
            return rows[0]["png"] if rows else None

        qtbot.waitUntil(lambda: screenshot() is not None, timeout=15_000)
        image = Image.open(io.BytesIO(screenshot() or b""))
        assert image.width <= 640 and image.height > 0
        assert ImageStat.Stat(image.convert("L")).mean[0] > 20  # not black
        assert base64.b64encode(screenshot() or b"")  # stored as PNG bytes
    finally:
        app.shutdown()
