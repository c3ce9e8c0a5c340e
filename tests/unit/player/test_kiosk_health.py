"""Kiosk (screen, rotation, cursor, blanking, no dialogs), systemd notify over a real unix
datagram socket, render watchdog and rebuild at the next item boundary, tuning."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage

from player.app import PlayerApp
from player.cache import LoadedManifest
from player.health import RenderWatchdog
from player.kiosk import prevent_blanking, screen_geometry
from player.render.canvas import MAIN_ZONE, CanvasWidget
from player.render.presenter import ZonePresenter
from player.render.visuals import ImageVisual
from player.sdnotify import SystemdNotifier, notify, watchdog_interval_s
from player.tuning import PlayerTuning
from signage.config import PlayerConfig
from signage.manifest import parse_manifest

PLAYER_DIR = Path(__file__).resolve().parents[3] / "player"
DEPLOY_DIR = Path(__file__).resolve().parents[3] / "deploy"


@pytest.fixture
def notify_socket(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    yield path, sock
    sock.close()


def test_sd_notify_ready_and_watchdog_from_the_gui_thread(qtbot, notify_socket):
    path, sock = notify_socket
    env = {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "400000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval_s(env) == 0.4
    notifier = SystemdNotifier(env)
    assert notifier.enabled and notifier.ping_interval_s == 0.2
    notifier.ready("playing")
    ready = sock.recv(4096).decode()
    assert "READY=1" in ready.splitlines() and "STATUS=playing" in ready.splitlines()
    qtbot.waitUntil(lambda: notifier.pings >= 3, timeout=5000)
    messages = {sock.recv(4096).decode() for _ in range(3)}
    assert messages == {"WATCHDOG=1"}
    notifier.stopping()
    while (message := sock.recv(4096).decode()) == "WATCHDOG=1":
        pass
    assert message == "STOPPING=1"


def test_sd_notify_is_a_noop_without_socket_and_respects_watchdog_pid():
    assert notify("READY=1", {}) is False
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert SystemdNotifier({}).enabled is False


def test_hung_event_loop_stops_the_pings(qtbot, notify_socket):
    path, sock = notify_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "200000"})
    notifier.ready()
    sock.recv(4096)
    import time

    time.sleep(0.6)  # the GUI thread is blocked: no timer fires, no WATCHDOG=1
    sock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        sock.recv(4096)
    notifier.stopping()


def test_prevent_blanking_paths(tmp_path: Path, monkeypatch):
    assert prevent_blanking("linux", {}, qpa="offscreen") == "offscreen"
    assert prevent_blanking("linux", {"WAYLAND_DISPLAY": "w-0"}, qpa="wayland") == "unchanged"
    calls = tmp_path / "calls"
    fake = tmp_path / "xset"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert prevent_blanking("linux", {"DISPLAY": ":0"}, qpa="xcb") == "xset"
    assert calls.read_text().splitlines() == ["s off", "s noblank", "-dpms"]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert prevent_blanking("linux", {"DISPLAY": ":0"}, qpa="xcb") == "no-xset"


def test_screen_choice(qapp):
    screens = QGuiApplication.screens()
    assert screen_geometry(0) == screens[0].geometry()
    assert screen_geometry(len(screens) + 3) is None


class Solid:
    """A visual painting a left-red / right-green pattern (to see the rotation)."""

    frame_interval_ms = 0

    def paint(self, painter: Any, rect: Any) -> None:
        painter.fillRect(rect, QColor("#00c000"))
        half = rect.adjusted(0, 0, -rect.width() / 2, 0)
        painter.fillRect(half, QColor("#c00000"))


@pytest.mark.parametrize(("rotation", "red_at"), [(0, "left"), (90, "top"), (180, "right"), (270, "bottom")])
def test_rotation(qtbot, rotation: int, red_at: str):
    canvas = CanvasWidget(rotation=rotation)
    qtbot.addWidget(canvas)
    presenter = ZonePresenter("main", lambda m: Path("/nonexistent"), lambda: None, "Asia/Pontianak")  # type: ignore[arg-type,return-value]
    presenter.target = Solid()  # type: ignore[assignment]
    canvas.set_zones([(MAIN_ZONE, presenter)])
    canvas.resize(200, 120)
    image = canvas.grab().toImage()
    probes = {"left": (20, 60), "right": (180, 60), "top": (100, 10), "bottom": (100, 110)}
    x, y = probes[red_at]
    assert QColor(image.pixel(x, y)).red() > 150, (rotation, red_at)
    opposite = {"left": "right", "right": "left", "top": "bottom", "bottom": "top"}[red_at]
    x, y = probes[opposite]
    assert QColor(image.pixel(x, y)).green() > 150
    assert canvas.cursor().shape() == Qt.CursorShape.BlankCursor
    presenter.shutdown()


def test_player_never_opens_a_dialog():
    pattern = re.compile(r"QMessageBox|QDialog|QInputDialog|QFileDialog|QErrorMessage")
    offenders = [str(p) for p in PLAYER_DIR.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_deploy_files():
    unit = (DEPLOY_DIR / "signage-player.service").read_text()
    for line in ("Type=notify", "WatchdogSec=30", "Restart=always", "NotifyAccess=all"):
        assert line in unit.splitlines(), line
    script = DEPLOY_DIR / "install-player.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    assert os.access(script, os.X_OK)


def test_tuning_from_env_and_options():
    tuning = PlayerTuning.from_env({"SIGNAGE_PLAYER_MAX_BANDWIDTH_KBPS": "2000", "SIGNAGE_PLAYER_USE_EVENTS": "no",
                                    "SIGNAGE_PLAYER_VERIFY_INTERVAL_S": "bogus"}, screen=1, cache_quota_mb=None)
    assert tuning.max_bandwidth_kbps == 2000 and tuning.max_bandwidth_bps == 250_000
    assert tuning.use_events is False and tuning.screen == 1
    assert tuning.verify_interval_s == PlayerTuning().verify_interval_s
    assert tuning.cache_quota_mb == PlayerTuning().cache_quota_mb


# -- render watchdog ---------------------------------------------------------------------


def test_watchdog_detects_frozen_video_dead_paint_and_memory(qapp, helpers):
    clock = helpers.FakeClock()
    now_s = [0.0]
    frames = [1]
    paints = [0]
    rss = [100]
    dog = RenderWatchdog(clock=clock, cue_until=lambda: clock() + timedelta(seconds=5),
                         video_frames=lambda: frames[0], animated=lambda: True, paint_count=lambda: paints[0],
                         memory_ceiling_bytes=1000, video_stall_s=10, rss_bytes=lambda: rss[0],
                         monotonic_s=lambda: now_s[0])
    reasons: list[str] = []
    stalls: list[str] = []
    dog.rebuildRequested.connect(reasons.append)
    dog.timelineStalled.connect(stalls.append)
    for _ in range(4):  # frames and paints advance: healthy
        now_s[0] += 4
        frames[0] += 10
        paints[0] += 10
        dog.check()
    assert reasons == []
    for _ in range(3):  # the decoder froze, the canvas still repaints
        now_s[0] += 4
        paints[0] += 10
        dog.check()
    assert len(reasons) == 1 and "no new frame" in reasons[0]
    dog.check()
    assert len(reasons) == 1  # one request until rebuilt
    dog.rebuilt()
    rss[0] = 5000
    dog.check()
    assert len(reasons) == 2 and "memory" in reasons[1]
    clock.advance(30)  # the item should have ended 25 s ago
    dog.cue_until = lambda: clock() - timedelta(seconds=25)
    dog.check()
    assert stalls == ["the timeline stopped advancing"]


def test_rebuild_happens_at_the_next_item_boundary(qtbot, publisher, helpers, enrolled_dir, fake_clock):
    red = publisher.add_media(helpers.png(64, 36, ("#d02020", "#d0d020")), "image/png")
    blue = publisher.add_media(helpers.png(64, 36, ("#2020d0", "#20d0d0")), "image/png")
    items = {"a": {"type": "image", "duration_s": 10, "title": "A", "media": red},
             "b": {"type": "image", "duration_s": 10, "title": "B", "media": blue}}
    envelope = publisher.publish(publisher.manifest(1, items))
    config = PlayerConfig(server_url=publisher.server.url, data_dir=str(enrolled_dir), fullscreen=False)
    app = PlayerApp(config, clock=fake_clock, tuning=PlayerTuning(use_events=False, verify_interval_s=0,  # type: ignore[arg-type]
                                                                    heartbeat_interval_s=3600))
    qtbot.addWidget(app.canvas)
    app.show_window()
    for media in (red, blue):
        app.cache.path_for(media["sha256"]).write_bytes(publisher.media[media["sha256"]])
    app.runner.set_manifest(LoadedManifest(parse_manifest(publisher.manifest(1, items)), envelope, "manifest"))
    old = app.presenter
    app.watchdog.memory_ceiling_bytes = 1  # any process is above 1 byte
    app.watchdog.check()
    assert app.rebuilds == 0 and app._rebuild_reason is not None  # not in the middle of an item
    assert "renderer rebuild pending" in " ".join(app._warnings())
    fake_clock.advance(10)
    app.runner.reevaluate()
    assert app.rebuilds == 1 and app.presenter is not old
    assert app.runner.cue is not None and app.presenter.cue == app.runner.cue
    image = app.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    colour = QColor(image.pixel(10, 10))
    assert colour.blue() > 150 or isinstance(app.presenter.target, ImageVisual)
    app.shutdown()
