"""Phase 2: skip failing items, crossfade, preload, overlay zones, local folder."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from player.app import PlayerApp
from player.cache import LoadedManifest
from player.identity import Identity, save_identity
from player.localfolder import LocalFolder, scan_folder
from player.overlays import OverlayZones
from player.render.canvas import MAIN_ZONE, CanvasWidget
from player.render.presenter import ZonePresenter
from player.render.visuals import CrossfadeVisual
from player.runner import Cue, TimelineRunner
from signage.config import PlayerConfig
from signage.manifest import Item, MediaRef, parse_manifest


class Mono:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def media_ref(path: Path, mime: str) -> MediaRef:
    data = path.read_bytes()
    return MediaRef(hashlib.sha256(data).hexdigest(), len(data), mime, "x")


def live(helpers: Any) -> dict[str, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {"start": now - timedelta(hours=1), "end": now + timedelta(days=1)}


# -- skip and log a failing item ----------------------------------------------

def test_undecodable_image_is_skipped_for_the_next_item(qtbot, publisher, helpers, tmp_path,
                                                        fake_clock, caplog):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"this is not a PNG at all" * 10)
    ref = media_ref(broken, "image/png")
    items = {
        "bad": {"type": "image", "duration_s": 60, "title": "Rusak",
                "media": {"sha256": ref.sha256, "size": ref.size, "mime": ref.mime, "url": "x"}},
        "good": {"type": "text", "duration_s": 60, "title": "Baik"},
    }
    data = publisher.manifest(1, items, start=helpers.T0, end=helpers.T0 + timedelta(hours=1))
    loaded = LoadedManifest(parse_manifest(data), b"m", "manifest")
    fake_clock.advance(5)  # inside the slot of "bad"
    runner = TimelineRunner(fake_clock)
    presenter = ZonePresenter("main", lambda media: broken, fake_clock, "Asia/Pontianak",
                              transition_ms=0)
    runner.cueChanged.connect(presenter.show_cue)
    presenter.itemFailed.connect(runner.skip)
    runner.set_manifest(loaded)
    assert runner.cue is not None and runner.cue.item is not None
    assert runner.cue.item.id == "bad"
    qtbot.waitUntil(lambda: runner.cue.item is not None and runner.cue.item.id == "good",
                    timeout=3000)
    # the substitute fills the failed item's slot: the timeline stays aligned
    assert runner.cue.start == helpers.T0 and runner.cue.until == helpers.T0 + timedelta(seconds=60)
    assert "skipping item bad from now on: image" in " ".join(caplog.messages)
    # the same manifest again keeps the failure; a new one forgets it
    runner.set_manifest(loaded)
    assert "bad" in runner.failed
    runner.set_manifest(LoadedManifest(loaded.manifest, b"other", "manifest"))
    assert runner.cue.item is not None and runner.cue.item.id == "bad"
    runner.stop()
    presenter.shutdown()


def test_every_item_failing_shows_the_slate_not_nothing(qtbot, publisher, helpers, tmp_path):
    broken = tmp_path / "broken"
    broken.write_bytes(b"garbage")
    ref = media_ref(broken, "image/png")
    media = {"sha256": ref.sha256, "size": ref.size, "mime": ref.mime, "url": "x"}
    items = {"a": {"type": "image", "duration_s": 30, "media": media},
             "b": {"type": "image", "duration_s": 30, "media": media}}
    loaded = LoadedManifest(parse_manifest(publisher.manifest(1, items, **live(helpers))),
                            b"m", "manifest")
    runner = TimelineRunner(lambda: datetime.now(UTC))
    presenter = ZonePresenter("main", lambda media: broken, lambda: datetime.now(UTC),
                              "Asia/Pontianak", transition_ms=0)
    runner.cueChanged.connect(presenter.show_cue)
    presenter.itemFailed.connect(runner.skip)
    runner.set_manifest(loaded)
    qtbot.waitUntil(lambda: runner.cue is not None and runner.cue.state == "slate", timeout=3000)
    assert set(runner.failed) == {"a", "b"}
    runner.stop()


@pytest.mark.qt_log_ignore(".*")  # the FFmpeg backend logs its own error for garbage input
def test_unplayable_video_is_reported(qtbot, tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\x01 not a video " * 200)
    presenter = ZonePresenter("main", lambda media: junk, lambda: datetime.now(UTC),
                              "Asia/Pontianak")
    item = Item("v", "video", 10, "Video rusak", media_ref(junk, "video/mp4"))
    with qtbot.waitSignal(presenter.itemFailed, timeout=5000) as blocker:
        presenter.show_cue(Cue("main", "playing", item, datetime.now(UTC), None, "manifest"))
    assert blocker.args[0] == "v"
    presenter.shutdown()


# -- crossfade ------------------------------------------------------------------

def test_crossfade_blends_old_into_new(qtbot, helpers, tmp_path):
    red, green = tmp_path / "red.png", tmp_path / "green.png"
    red.write_bytes(helpers.png(64, 36, ("#ff0000", "#ff0000")))
    green.write_bytes(helpers.png(64, 36, ("#00ff00", "#00ff00")))
    paths = {media_ref(red, "image/png").sha256: red, media_ref(green, "image/png").sha256: green}
    mono = Mono()
    presenter = ZonePresenter("main", lambda media: paths[media.sha256],
                              lambda: datetime.now(UTC), "Asia/Pontianak",
                              transition_ms=400, monotonic_s=mono)
    canvas = CanvasWidget()
    canvas.resize(64, 36)
    canvas.set_zones([(MAIN_ZONE, presenter)])
    qtbot.addWidget(canvas)
    now = datetime.now(UTC)
    presenter.show_cue(Cue("main", "playing", Item("r", "image", 5, "", media_ref(red, "image/png")),
                           now, None, "manifest"))
    mono.now_s += 1  # the first fade (from the slate) is over
    presenter.show_cue(Cue("main", "playing",
                           Item("g", "image", 5, "", media_ref(green, "image/png")),
                           now, None, "manifest"))
    assert isinstance(presenter.visual, CrossfadeVisual)
    mono.now_s += 0.2  # half way
    mid = canvas.grab().toImage().pixelColor(32, 18)
    assert 90 < mid.red() < 170 and 90 < mid.green() < 170
    mono.now_s += 0.3
    qtbot.waitUntil(lambda: not presenter.fading, timeout=2000)
    end = canvas.grab().toImage().pixelColor(32, 18)
    assert end.green() > 240 and end.red() < 15
    presenter.shutdown()


# -- preloading -----------------------------------------------------------------

def test_next_video_is_preloaded_on_its_first_frame(qtbot, tmp_path, video_bytes):
    clip = tmp_path / hashlib.sha256(video_bytes).hexdigest()
    clip.write_bytes(video_bytes)
    presenter = ZonePresenter("main", lambda media: clip, lambda: datetime.now(UTC),
                              "Asia/Pontianak", transition_ms=0)
    item = Item("v", "video", 1.0, "Klip", media_ref(clip, "video/mp4"))
    cue = Cue("main", "playing", item, datetime.now(UTC), None, "manifest")
    presenter.preload(cue)
    assert presenter._preloaded is not None
    source = presenter._preloaded[1]
    qtbot.waitUntil(lambda: source.last_frame is not None, timeout=5000)
    assert not source.is_playing  # paused on the first frame
    presenter.show_cue(cue)
    assert presenter.video is source  # the preloaded decoder is used ...
    assert presenter.target.underlay is None  # ... and has a picture at once
    qtbot.waitUntil(lambda: source.is_playing, timeout=3000)
    presenter.shutdown()


# -- overlay zones --------------------------------------------------------------

def overlay_manifest(publisher: Any, helpers: Any) -> LoadedManifest:
    window = live(helpers)
    fmt = helpers.fmt
    items = {
        "main-text": {"type": "text", "duration_s": 60, "title": "Utama"},
        "news": {"type": "ticker", "duration_s": 60, "title": "Berita",
                 "data": {"items": ["Jalan Raya Mempawah ditutup Minggu pagi",
                                    "Pendaftaran CPNS dibuka"]}},
        "clock": {"type": "clock", "duration_s": 60, "title": "Jam"},
    }
    timeline = [
        {"start": fmt(window["start"]), "end": fmt(window["end"]), "zone": zone,
         "layer": layer, "loop": [item]}
        for zone, layer, item in (("main", "normal", "main-text"), ("ticker", "overlay", "news"),
                                  ("clock", "overlay", "clock"))
    ]
    layouts = {"news": [
        {"id": "main", "x": 0, "y": 0, "w": 1, "h": 0.75, "z": 0},
        {"id": "clock", "x": 0, "y": 0.75, "w": 1, "h": 0.1, "z": 1},
        {"id": "ticker", "x": 0, "y": 0.85, "w": 1, "h": 0.15, "z": 1},
    ]}
    data = publisher.manifest(1, items, timeline, layouts=layouts, layout="news", **window)
    return LoadedManifest(parse_manifest(data), json.dumps(data).encode(), "manifest")


def test_overlay_zones_ticker_scrolls_and_clock_strip(qtbot, publisher, helpers):
    loaded = overlay_manifest(publisher, helpers)
    overlays = OverlayZones(lambda: datetime.now(UTC), lambda media: Path("/nonexistent"))
    overlays.set_manifest(loaded)
    zones = overlays.zones()
    assert [z.id for z, _p in zones] == ["clock", "ticker"]
    canvas = CanvasWidget()
    canvas.resize(480, 270)
    canvas.set_zones(zones)
    qtbot.addWidget(canvas)
    ticker_rect = (0, int(270 * 0.85) + 2, 480, int(270 * 0.15) - 4)

    def ticker_pixels() -> QImage:
        return canvas.grab().toImage().copy(*ticker_rect)

    first = ticker_pixels()
    qtbot.wait(300)
    second = ticker_pixels()
    assert first != second  # it moved
    image = canvas.grab().toImage()
    clock_band = image.pixelColor(5, int(270 * 0.8))
    assert clock_band.blue() > clock_band.red()  # the dark blue strip is painted
    assert image.pixelColor(240, 50).rgb() == 0xFF000000  # main has no presenter here: black
    overlays.shutdown()


# -- local folder fallback ------------------------------------------------------

def test_scan_folder_builds_a_loop(helpers, tmp_path, video_bytes):
    (tmp_path / "b.png").write_bytes(helpers.png(32, 18))
    (tmp_path / "a.mp4").write_bytes(video_bytes)
    (tmp_path / "notes.txt").write_text("ignored")
    loaded, paths = scan_folder(tmp_path)
    assert loaded is not None and loaded.source == "local"
    manifest = loaded.manifest
    assert [manifest.items[i].title for i in manifest.fallback] == ["a.mp4", "b.png"]
    video = manifest.items[manifest.fallback[0]]
    assert video.type == "video" and abs(video.duration_s - 1.0) < 0.2  # ffprobe
    assert set(paths.values()) == {tmp_path / "a.mp4", tmp_path / "b.png"}
    assert scan_folder(tmp_path / "missing")[0] is None


def test_local_folder_plays_when_there_is_no_manifest(qtbot, helpers, identity, data_dir,
                                                      tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "1-poster.png").write_bytes(helpers.png(64, 36, ("#ff00ff", "#ff00ff")))
    dead = Identity(identity.display_id, identity.token, "http://127.0.0.1:9/m",
                    identity.public_keys, "http://127.0.0.1:9")
    save_identity(data_dir, dead)
    config = PlayerConfig(server_url="http://127.0.0.1:9", data_dir=str(data_dir),
                          fullscreen=False, local_folder=str(usb))
    app = PlayerApp(config)
    qtbot.addWidget(app.canvas)
    app.start()
    try:
        qtbot.waitUntil(lambda: app.runner.cue is not None and app.runner.cue.source == "local",
                        timeout=5000)
        assert app.runner.cue.item is not None and app.runner.cue.item.title == "1-poster.png"
        qtbot.waitUntil(lambda: not app.presenter.fading, timeout=2000)
        pixel = app.canvas.grab().toImage().pixelColor(10, 10)
        assert pixel.red() > 240 and pixel.blue() > 240 and pixel.green() < 15
        status = json.loads((data_dir / "status.json").read_text())
        assert status["source"] == "local" and status["state"] == "playing"
        (usb / "2-more.png").write_bytes(helpers.png(64, 36))
        assert isinstance(app.local, LocalFolder)
        qtbot.waitUntil(lambda: len(app.local.paths) == 2, timeout=8000)
    finally:
        app.shutdown()
