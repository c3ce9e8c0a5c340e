"""The preview draws the same pixels as the real player, and its window scrubs and plays."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from content.slides import SlideSpec, render_slide
from player.app import PlayerApp
from player.clock import PlayerClock
from player.preview.frames import FrameRenderer
from player.preview.sheet import contact_sheet, entries_of_day
from player.tuning import PlayerTuning
from signage.canvas import Canvas
from signage.config import PlayerConfig
from signage.manifest import parse_manifest


def rgb(image: QImage) -> QImage:
    return image.convertToFormat(QImage.Format.Format_RGB32)


def differing_pixels(a: QImage, b: QImage) -> int:
    a, b = rgb(a), rgb(b)
    assert (a.width(), a.height()) == (b.width(), b.height())
    return sum(1 for y in range(a.height()) for x in range(a.width()) if a.pixel(x, y) != b.pixel(x, y))


def install(publisher: Any, enrolled_dir: Path, manifest: dict[str, Any]) -> Path:
    cache = enrolled_dir / "cache"
    cache.mkdir(exist_ok=True)
    for sha, data in publisher.media.items():
        (cache / sha).write_bytes(data)
    (enrolled_dir / "manifest").mkdir(exist_ok=True)
    (enrolled_dir / "manifest" / "current.json").write_bytes(publisher.publish(manifest))
    return cache


def test_preview_frame_is_the_players_frame_pixel_for_pixel(qtbot, publisher, helpers, enrolled_dir):
    slide = render_slide(SlideSpec("Pelayanan KTP Keliling", "Setiap Selasa 08.00–14.00 WIB"), Canvas(320, 180))
    media = publisher.add_media(slide.png, "image/png")
    items = {"ann-1": {"type": "image", "duration_s": 3600, "title": "Pelayanan KTP", "media": media}}
    manifest = publisher.manifest(1, items)
    cache = install(publisher, enrolled_dir, manifest)
    moment = helpers.T0 + timedelta(minutes=7)
    clock = PlayerClock(wall_s=lambda: moment.timestamp())
    config = PlayerConfig(server_url="http://127.0.0.1:9", data_dir=str(enrolled_dir), fullscreen=False,
                          geometry=[0, 0, 320, 180])
    app = PlayerApp(config, clock=clock, tuning=PlayerTuning(use_events=False, verify_interval_s=0,
                                                             prevent_blanking=False))
    qtbot.addWidget(app.canvas)
    app.start()
    try:
        qtbot.waitUntil(lambda: app.presenter.cue is not None and app.presenter.cue.item is not None
                        and not app.presenter.fading, timeout=20_000)
        screen = app.canvas.grab().toImage()
    finally:
        app.shutdown()
    renderer = FrameRenderer(parse_manifest(manifest), lambda ref: cache / ref.sha256)
    preview = renderer.frame(moment)
    assert (preview.width(), preview.height()) == (320, 180)
    assert differing_pixels(preview, screen) == 0
    # and it is the slide, not a slate or a placeholder
    assert rgb(preview).pixel(160, 10) == rgb(QImage.fromData(slide.png)).pixel(160, 10)


def test_crossfade_overlay_and_rotation(publisher, helpers, tmp_path):
    red = publisher.add_media(helpers.png(320, 180, ("#d02020", "#d02020")), "image/png")
    blue = publisher.add_media(helpers.png(320, 180, ("#2020d0", "#2020d0")), "image/png")
    items = {"a": {"type": "image", "duration_s": 10, "title": "A", "media": red},
             "b": {"type": "image", "duration_s": 10, "title": "B", "media": blue}}
    manifest = parse_manifest(publisher.manifest(1, items))
    for sha, data in publisher.media.items():
        (tmp_path / sha).write_bytes(data)
    renderer = FrameRenderer(manifest, lambda ref: tmp_path / ref.sha256)
    start = manifest.timeline[0].start
    settled = rgb(renderer.frame(start + timedelta(seconds=15)))  # b, past its fade
    assert settled.pixelColor(100, 100).blue() > 180 and settled.pixelColor(100, 100).red() < 60
    fading = rgb(renderer.frame(start + timedelta(seconds=10, milliseconds=200)))  # halfway a -> b
    colour = fading.pixelColor(100, 100)
    assert 60 < colour.red() < 200 and 60 < colour.blue() < 200, colour.name()


def test_contact_sheet_has_one_tile_per_entry_in_order(publisher, helpers, tmp_path):
    posters = {name: publisher.add_media(helpers.png(320, 180, (c, c)), "image/png")
               for name, c in (("a", "#d02020"), ("b", "#20d020"), ("c", "#2020d0"))}
    items = {k: {"type": "image", "duration_s": 30, "title": f"Poster {k.upper()}", "media": m}
             for k, m in posters.items()}
    day_start = helpers.T0.replace(hour=0) - timedelta(hours=7)  # local midnight WIB of T0's day
    timeline = [
        {"start": helpers.fmt(day_start + timedelta(hours=7)), "end": helpers.fmt(day_start + timedelta(hours=9)),
         "zone": "main", "layer": "normal", "loop": ["a", "b"], "why": "pagi"},
        {"start": helpers.fmt(day_start + timedelta(hours=9)), "end": helpers.fmt(day_start + timedelta(hours=10)),
         "zone": "main", "layer": "normal", "loop": ["c"], "why": "siang"},
        {"start": helpers.fmt(day_start + timedelta(hours=22)), "end": helpers.fmt(day_start + timedelta(hours=24)),
         "zone": "main", "layer": "off", "loop": [], "why": "off"},
    ]
    manifest = parse_manifest(publisher.manifest(1, items, timeline, start=day_start - timedelta(days=1)))
    for sha, data in publisher.media.items():
        (tmp_path / sha).write_bytes(data)
    renderer = FrameRenderer(manifest, lambda ref: tmp_path / ref.sha256)
    day = (helpers.T0 + timedelta(hours=7)).date()
    entries, truncated = entries_of_day(renderer, day)
    labels = [(e.state, e.item_id) for e in entries]
    assert labels == [("slate", None), ("playing", "a"), ("playing", "b"), ("playing", "c"), ("slate", None),
                      ("off", None)]
    assert not truncated
    assert entries[1].plays == 120 and entries[3].plays == 120  # 2 h of a/b alternating, 1 h of c
    sheet, tiles = contact_sheet(renderer, day)
    assert len(tiles) == 6
    # the tile of entry 4 (index 3, poster C) is blue, of entry 2 red
    def tile_colour(index: int) -> tuple[int, int, int]:
        from player.preview import sheet as sheet_module
        x = sheet_module.GAP + (index % sheet_module.COLUMNS) * (sheet_module.TILE_W + sheet_module.GAP) + 50
        tile_h = round(sheet_module.TILE_W * 180 / 320)
        row = index // sheet_module.COLUMNS
        y = sheet_module.HEADER_H + row * (tile_h + sheet_module.LABEL_H + sheet_module.GAP) + 50
        colour = rgb(sheet).pixelColor(x, y)
        return colour.red(), colour.green(), colour.blue()
    assert tile_colour(1)[0] > 180 and tile_colour(3)[2] > 180
    assert tile_colour(5) == (0, 0, 0)  # off: black


def test_window_scrubs_and_plays(qtbot, publisher, helpers, tmp_path):
    from player.preview.source import DisplayInfo
    from player.preview.window import PreviewController, PreviewWindow

    red = publisher.add_media(helpers.png(320, 180, ("#d02020", "#d02020")), "image/png")
    blue = publisher.add_media(helpers.png(320, 180, ("#2020d0", "#2020d0")), "image/png")
    items = {"a": {"type": "image", "duration_s": 60, "title": "A", "media": red},
             "b": {"type": "image", "duration_s": 60, "title": "B", "media": blue}}
    manifest = parse_manifest(publisher.manifest(1, items))
    for sha, data in publisher.media.items():
        (tmp_path / sha).write_bytes(data)

    class Source:
        def displays(self) -> list[DisplayInfo]:
            return [DisplayInfo(manifest.display_id, "Layar uji")]

        def manifest(self, display_id: str) -> Any:
            return manifest

        def media_path(self, ref: Any) -> Path:
            return tmp_path / ref.sha256

    controller = PreviewController(Source(), now=lambda: helpers.T0 + timedelta(seconds=5))
    window = PreviewWindow(controller)
    qtbot.addWidget(window)
    frames: list[QImage] = []
    controller.frameChanged.connect(frames.append)
    window.start(None)
    assert frames and "A" in window.explanation.text()
    first = rgb(frames[-1]).pixelColor(10, 10)
    window.slider.setValue(window.slider.value() + 60)  # scrub a minute on: the other poster
    second = rgb(frames[-1]).pixelColor(10, 10)
    assert first.red() > 180 and second.blue() > 180, (first.name(), second.name())
    assert "B" in window.explanation.text()
    before = controller.moment
    controller.play(60)
    controller.advance(2.0)  # two real seconds at 60x
    assert (controller.moment - before).total_seconds() == 120
    controller.play(10)
    controller.advance(1.5)
    assert (controller.moment - before).total_seconds() == 135
    controller.play(0)
    controller.advance(5.0)
    assert (controller.moment - before).total_seconds() == 135


def test_an_emergency_takes_the_whole_screen_over_the_strips(publisher, helpers, tmp_path):
    """Ticker and clock strips are drawn over normal content but not over an emergency (player and preview)."""
    green = publisher.add_media(helpers.png(320, 180, ("#20a040", "#20a040")), "image/png")
    red = publisher.add_media(helpers.png(320, 180, ("#d01010", "#d01010")), "image/png")
    items = {"poster": {"type": "image", "duration_s": 30, "title": "Poster", "media": green},
             "darurat": {"type": "image", "duration_s": 30, "title": "Darurat", "media": red},
             "info": {"type": "ticker", "duration_s": 60, "title": "Info",
                      "text": {"title": "Info", "body": "Pelayanan KTP-el keliling"}}}
    start = helpers.T0 - timedelta(hours=1)
    end = helpers.T0 + timedelta(hours=1)
    timeline = [
        {"start": helpers.fmt(start), "end": helpers.fmt(end), "zone": "main", "layer": "normal",
         "loop": ["poster"], "why": "loop"},
        {"start": helpers.fmt(helpers.T0), "end": helpers.fmt(end), "zone": "main", "layer": "emergency",
         "loop": ["darurat"], "why": "darurat"},
        {"start": helpers.fmt(start), "end": helpers.fmt(end), "zone": "ticker", "layer": "overlay",
         "loop": ["info"], "why": "ticker"},
    ]
    layouts = {"strips": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1, "z": 0},
                          {"id": "ticker", "x": 0, "y": 0.8, "w": 1, "h": 0.2, "z": 2}]}
    manifest = parse_manifest(publisher.manifest(1, items, timeline, layouts=layouts, layout="strips",
                                                 start=start - timedelta(days=1)))
    for sha, data in publisher.media.items():
        (tmp_path / sha).write_bytes(data)
    renderer = FrameRenderer(manifest, lambda ref: tmp_path / ref.sha256)
    before = rgb(renderer.frame(helpers.T0 - timedelta(minutes=5)))
    during = rgb(renderer.frame(helpers.T0 + timedelta(minutes=5)))
    strip_y = 170
    assert before.pixelColor(5, strip_y).name() != before.pixelColor(5, 20).name()  # the ticker over the poster
    assert during.pixelColor(5, strip_y).name() == during.pixelColor(5, 20).name() == "#d01010"  # no strip
