"""The whole player in-process: enrol, sync, play, refuse, restart offline, slate."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from frame_judge import dark_fraction
from PySide6.QtGui import QImage

from player.app import PlayerApp
from player.identity import Identity, save_identity
from signage.config import PlayerConfig


def make_config(data_dir: Path, server_url: str, **extra: Any) -> PlayerConfig:
    return PlayerConfig(
        server_url=server_url,
        data_dir=str(data_dir),
        poll_interval_s=1,
        fullscreen=False,
        screenshot_path=str(data_dir / "shot.png"),
        screenshot_interval_s=1,
        **extra,
    )


def status(data_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((data_dir / "status.json").read_text())
    except (FileNotFoundError, ValueError):
        return {}


def distinct_colours(image: QImage, step: int = 7) -> int:
    return len({image.pixel(x, y) for y in range(0, image.height(), step)
                for x in range(0, image.width(), step)})


@pytest.fixture
def running(qtbot):
    apps: list[PlayerApp] = []

    def start(config: PlayerConfig) -> PlayerApp:
        app = PlayerApp(config)
        qtbot.addWidget(app.canvas)
        apps.append(app)
        app.start()
        return app

    yield start
    for app in apps:
        app.shutdown()


def live_window() -> dict[str, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {"start": now - timedelta(hours=1), "end": now + timedelta(days=1)}


def publish_images(publisher: Any, helpers: Any, version: int) -> None:
    red = publisher.add_media(helpers.png(160, 90, ("#d02020", "#d0d020")), "image/png")
    items = {"img": {"type": "image", "duration_s": 600, "title": "Merah", "media": red}}
    publisher.publish(publisher.manifest(version, items, **live_window()))


def test_slate_without_cache_or_server(qtbot, running, identity, data_dir):
    dead = Identity(identity.display_id, identity.token,
                    "http://127.0.0.1:9/api/v1/player/manifest", identity.public_keys,
                    "http://127.0.0.1:9")
    save_identity(data_dir, dead)
    app = running(make_config(data_dir, "http://127.0.0.1:9"))
    shot = data_dir / "shot.png"
    qtbot.waitUntil(shot.exists, timeout=5000)
    image = QImage(str(shot))
    assert not image.isNull()
    assert dark_fraction(image, step=5) < 0.2  # a coloured background, not black
    assert distinct_colours(image) > 4  # text on it, not a uniform fill
    qtbot.waitUntil(lambda: status(data_dir).get("last_error") is not None, timeout=5000)
    st = status(data_dir)
    assert st["state"] == "slate" and st["source"] == "slate" and st["current"] is None
    assert "cannot connect" in st["last_error"]
    assert app.runner.cue is not None and app.runner.cue.state == "slate"


def test_sync_play_refuse_then_offline_restart(qtbot, running, publisher, helpers, enrolled_dir,
                                               caplog):
    caplog.set_level(logging.INFO)
    publish_images(publisher, helpers, 1)
    app = running(make_config(enrolled_dir, publisher.server.url))
    qtbot.waitUntil(lambda: status(enrolled_dir).get("state") == "playing", timeout=5000)
    st = status(enrolled_dir)
    assert st["manifest_version"] == 1 and st["source"] == "manifest"
    assert st["current"]["item_id"] == "img" and st["current"]["item_type"] == "image"
    assert st["display_id"] == helpers.DISPLAY_ID and st["last_sync_ok"] is not None
    assert "playing item img (image)" in caplog.messages
    qtbot.waitUntil(lambda: app.screenshotter is not None and app.screenshotter.count >= 1,
                    timeout=5000)
    shot = app.canvas.grab().toImage()
    left = shot.pixelColor(shot.width() // 4, shot.height() // 2)
    assert left.red() > 180 and left.green() < 80  # the red half of the image

    # a tampered v2 is refused; v1 keeps playing
    def flip(data: bytes) -> bytes:
        at = data.index(b"Merah")
        return data[:at] + b"m" + data[at + 1:]

    items = {"txt": {"type": "text", "duration_s": 10, "title": "Merah palsu"}}
    publisher.publish(publisher.manifest(2, items, **live_window()), tamper=flip)
    with qtbot.waitSignal(app.sync.syncFinished, timeout=5000,
                          check_params_cb=lambda o: o.kind == "refused"):
        app.sync.trigger()
    qtbot.waitUntil(lambda: status(enrolled_dir).get("last_error") is not None, timeout=3000)
    st = status(enrolled_dir)
    assert st["last_error"] == "manifest signature does not verify"
    assert st["manifest_version"] == 1 and st["current"]["item_id"] == "img"
    assert "manifest refused: manifest signature does not verify" in caplog.messages

    # restart with the scheduler down: same content from the cache, at once
    app.shutdown()
    publisher.server.stop()
    again = running(make_config(enrolled_dir, publisher.server.url))
    assert again.runner.cue is not None and again.runner.cue.item is not None
    assert again.runner.cue.item.id == "img"
    st = status(enrolled_dir)
    assert st["state"] == "playing" and st["manifest_version"] == 1
    qtbot.waitUntil(lambda: "cannot connect" in (status(enrolled_dir).get("last_error") or ""),
                    timeout=5000)
    assert status(enrolled_dir)["current"]["item_id"] == "img"


def test_enrol_then_play(qtbot, running, publisher, helpers, signing_key, data_dir):
    publish_images(publisher, helpers, 7)
    server = publisher.server
    app = running(make_config(data_dir, server.url))
    code = app.enroller.code
    st = status(data_dir)
    assert st["state"] == "enrolling" and st["enrol_code"] == code
    approved = {
        "ok": True, "status": "approved", "display_id": helpers.DISPLAY_ID,
        "token": helpers.TOKEN, "public_keys": {signing_key.key_id: signing_key.public_text},
        "manifest_url": publisher.manifest_url,
    }
    server.set("POST", "/api/v1/enrolments", helpers.enrol_route(signing_key, {"ok": True, "status": "pending"}, 202))
    server.set("POST", f"/api/v1/enrolments/{code}/collect", helpers.enrol_route(signing_key, approved))
    qtbot.waitUntil(lambda: status(data_dir).get("state") == "playing", timeout=10000)
    st = status(data_dir)
    assert st["manifest_version"] == 7 and st["enrol_code"] is None
    assert st["display_id"] == helpers.DISPLAY_ID
    assert (data_dir / "identity.json").exists()


def test_code_is_shown_only_once_the_scheduler_holds_the_request(qtbot, running, server, helpers, signing_key,
                                                                    data_dir):
    from player.enrol import CODE_PLACEHOLDER, display_code

    server.set("POST", "/api/v1/enrolments", helpers.Route(503, b'{"error": "starting"}'))
    app = running(make_config(data_dir, server.url))
    code = app.enroller.code
    qtbot.waitUntil(lambda: len(server.hits("POST", "/api/v1/enrolments")) >= 1, timeout=5000)
    # the scheduler does not hold our request yet: someone could claim a code shown now
    assert app.presenter.visual.code == CODE_PLACEHOLDER
    assert status(data_dir)["enrol_code"] == code  # the local status file may name it
    server.set("POST", "/api/v1/enrolments", helpers.enrol_route(signing_key, {"ok": True, "status": "pending"}, 202))
    server.set("POST", f"/api/v1/enrolments/{code}/collect",
               helpers.enrol_route(signing_key, {"ok": True, "status": "pending"}))
    qtbot.waitUntil(lambda: app.presenter.visual.code == display_code(code), timeout=10000)
