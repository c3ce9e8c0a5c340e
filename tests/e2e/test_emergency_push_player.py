"""A pushed emergency on the real player process while its manifest route is cut.

The real scheduler (uvicorn on loopback) and a real ``signage player run`` (offscreen) whose manifest
requests go through a loopback forwarder. Once the player shows its normal content, the forwarder is
closed: the full manifest with the emergency can no longer reach it. An approved emergency must still
appear on screen (red band of the emergency slide, judged by the player's screenshot pixels) from the
signed push on its event stream, be acknowledged to the scheduler (receipt and heartbeat) well before the
minute-long heartbeat, and go off again when it is withdrawn (signed cancel) - all without a manifest.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from player_scenes import PortForwarder, add_display, admin, colour_distance, editor, publish, solid_png, upload
from procs import env, read_status, signage, stop, wait_for
from tests_support import enrol_player, free_port, post_approve

from signage.clock import format_utc

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DISPLAY = "uji-darurat"
GREEN = (20, 200, 20)
RED_BAND = (213, 0, 0)  # content.slides EMERGENCY_STYLES["emergency"]
TIMEOUT_S = 10


def _screen(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, ValueError):
        return None  # not written yet, or being replaced


def _band_pixel(image: Image.Image) -> tuple[int, int, int]:
    """A point of the emergency slide's top band (and of the normal content's top)."""
    r, g, b = image.getpixel((image.width // 10, max(1, image.height // 40)))  # type: ignore[misc]
    return (int(r), int(g), int(b))


def _shows(path: Path, rgb: tuple[int, int, int]) -> bool:
    image = _screen(path)
    return image is not None and colour_distance(_band_pixel(image), rgb) <= 40


def test_pushed_emergency_shows_without_the_manifest_is_acknowledged_and_cancelled(
    live_scheduler: Any, tmp_path: Path
) -> None:
    live = live_scheduler
    add_display(live.service, DISPLAY, 320, 180)
    normal = publish(live, DISPLAY, "Hijau", "image", upload(live, "hijau.png", solid_png(GREEN, (320, 180)),
                                                             "image/png"), duration_s=30)  # fmt: skip
    data_dir = tmp_path / "player"
    enrol_player(live, DISPLAY, "DRT234", data_dir)
    upstream_port = int(live.url.rsplit(":", 1)[1])
    forward_port = free_port()
    forwarder = PortForwarder(forward_port, upstream_port)  # the manifest route, cut below
    config = tmp_path / "player.yaml"
    config.write_text(f"poll_interval_s: 2\nscreenshot_interval_s: 1\n"
                      f"manifest_url: http://127.0.0.1:{forward_port}/api/v1/player/manifest\n")  # fmt: skip
    shot = data_dir / "screen.png"
    command = signage("player", "run", "--config", str(config), "--server", live.url, "--data-dir", str(data_dir),
                      "--screenshot", str(shot), "--geometry", "0,0,320,180")  # fmt: skip
    player_env = {**env(), "SIGNAGE_PLAYER_HEARTBEAT_INTERVAL_S": "600", "SIGNAGE_PLAYER_VERIFY_INTERVAL_S": "0"}
    log_path = tmp_path / "player.log"
    with log_path.open("ab") as log:
        player = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=player_env)
    closed = False
    try:
        wait_for(lambda: read_status(data_dir).get("current", {}) and
                 read_status(data_dir)["current"].get("item_id") == normal, 60, "the normal content", player)
        wait_for(lambda: _shows(shot, GREEN), 30, "green on screen", player)
        version = read_status(data_dir)["manifest_version"]
        wait_for(lambda: live.service.events.connections >= 1, 30, "the player's event stream", player)
        forwarder.close()  # from now on every manifest request of the player fails
        closed = True

        until = format_utc(datetime.now(UTC) + timedelta(hours=1))
        r = requests.post(f"{live.url}/api/v1/admin/announcements", auth=editor(live), timeout=TIMEOUT_S,
                          json={"title": "DARURAT: Banjir Rob", "body": "Warga pesisir harap waspada.",
                                "layer": "emergency", "targets": {"displays": [DISPLAY]},
                                "ends_at": until})  # fmt: skip
        ann = int(r.json()["announcement"]["id"])
        approved_at = time.monotonic()
        assert post_approve(f"{live.url}/api/v1/admin/announcements/{ann}/approve", auth=admin(live),
                             timeout=TIMEOUT_S).ok  # fmt: skip
        wait_for(lambda: _shows(shot, RED_BAND), 30, "the emergency's red band on screen", player)
        status = read_status(data_dir)
        assert status["current"]["item_id"] == f"ann-{ann}" and status["emergency_items"] == [f"ann-{ann}"]
        assert status["manifest_version"] == version  # shown from the push: no new manifest reached the player

        def acknowledged() -> dict[str, Any] | None:
            acks = requests.get(f"{live.url}/api/v1/admin/announcements/{ann}/acknowledgements", auth=admin(live),
                                timeout=TIMEOUT_S).json()["acknowledgements"]  # fmt: skip
            ack = acks[0] if acks else {}
            return ack if ack.get("received_at") and ack.get("showing_since") else None

        ack = wait_for(acknowledged, 30, "the receipt and the heartbeat acknowledgement", player)
        assert ack["display_id"] == DISPLAY and ack["outcome"] == "shown"
        assert time.monotonic() - approved_at < 60  # far sooner than the 600 s heartbeat interval

        assert requests.post(f"{live.url}/api/v1/admin/announcements/{ann}/withdraw", auth=admin(live),
                             json={"reason": "Air sudah surut"}, timeout=TIMEOUT_S).ok  # fmt: skip
        wait_for(lambda: _shows(shot, GREEN), 30, "the normal content back after the signed cancel", player)
        assert read_status(data_dir)["manifest_version"] == version and read_status(data_dir)["emergency_items"] == []

        def shown() -> dict[str, str]:
            with live.service.lock:
                return dict(json.loads(live.service.db["display_status"].get(DISPLAY)["emergency_shown"] or "{}"))

        wait_for(lambda: shown() == {}, 30, "the heartbeat sent at once to report it off again", player)
    finally:
        if not closed:
            forwarder.close()
        stop(player)
    text = log_path.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]
    assert "emergency ann-" in text and "accepted from signed message" in text
