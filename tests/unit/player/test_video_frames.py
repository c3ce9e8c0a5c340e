"""Item 6 (playback CPU): decoded frames are converted only when painted, at the zone's size, by libswscale.

Synthetic YUV frames check the conversion against Qt's own (``toImage``) for
each plane layout; the real decoder checks that playback paints without a
``toImage()`` per frame, that a frame is converted once per size, that the
canvas falls back to Qt's conversion without libswscale, and that the canvas
skips the full-screen clear only under an opaque full-screen video.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtMultimedia import QtVideo, QVideoFrame, QVideoFrameFormat

from player.render import frameconvert
from player.render.canvas import MAIN_ZONE, CanvasWidget
from player.render.compose import paint_zones
from player.render.frameconvert import FrameConverter
from player.render.presenter import ZonePresenter
from player.render.video import VideoVisual
from player.render.visuals import EmptyVisual, TickerVisual
from player.runner import Cue
from signage.manifest import Item, MediaRef, Zone

PF = QVideoFrameFormat.PixelFormat
# (Y, U, V) of the frame's left and right halves: a light orange and a dark blue
LEFT_YUV, RIGHT_YUV = (170, 80, 190), (50, 200, 110)


def split_frame(fmt: QVideoFrameFormat.PixelFormat, width: int = 64, height: int = 36) -> QVideoFrame:
    """A frame whose left half is LEFT_YUV and right half RIGHT_YUV, in the plane layout of ``fmt``."""
    frame = QVideoFrame(QVideoFrameFormat(QSize(width, height), fmt))
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    half = width // 2

    def rows(values: tuple[int, int], row_w: int, line: int) -> bytes:
        left, right = bytes([values[0]]) * (row_w // 2), bytes([values[1]]) * (row_w - row_w // 2)
        return (left + right).ljust(line, b"\0")

    y_line = frame.bytesPerLine(0)
    frame.bits(0)[: y_line * height] = rows((LEFT_YUV[0], RIGHT_YUV[0]), width, y_line) * height
    if fmt in (PF.Format_YUV420P, PF.Format_YV12):
        u_plane, v_plane = (1, 2) if fmt == PF.Format_YUV420P else (2, 1)
        for plane, index in ((u_plane, 1), (v_plane, 2)):
            line = frame.bytesPerLine(plane)
            frame.bits(plane)[: line * (height // 2)] = rows((LEFT_YUV[index], RIGHT_YUV[index]), half, line) \
                * (height // 2)
    elif fmt == PF.Format_NV12:
        line = frame.bytesPerLine(1)
        pairs = (bytes([LEFT_YUV[1], LEFT_YUV[2]]) * (half // 2) + bytes([RIGHT_YUV[1], RIGHT_YUV[2]]) * (half // 2))
        frame.bits(1)[: line * (height // 2)] = pairs.ljust(line, b"\0") * (height // 2)
    frame.unmap()
    return frame


def rgb(image: QImage, x: int, y: int) -> tuple[int, int, int]:
    colour = image.pixelColor(x, y)
    return colour.red(), colour.green(), colour.blue()


def close(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 6) -> bool:
    return max(abs(p - q) for p, q in zip(a, b, strict=True)) <= tolerance


@pytest.mark.parametrize("fmt", [PF.Format_YUV420P, PF.Format_YV12, PF.Format_NV12])
def test_swscale_conversion_matches_qts_own(qapp, fmt):
    assert frameconvert.available(), "libswscale (shipped with PySide6's Qt Multimedia) did not load"
    frame = split_frame(fmt)
    reference = frame.toImage()
    ours = FrameConverter().convert(frame, frame.width(), frame.height())
    assert ours is not None and ours.size() == reference.size()
    for x, y in ((4, 4), (20, 30), (44, 4), (60, 30)):
        assert close(rgb(ours, x, y), rgb(reference, x, y)), (fmt, x, y, rgb(ours, x, y), rgb(reference, x, y))
    left, right = rgb(ours, 8, 18), rgb(ours, 56, 18)
    assert not close(left, right, 60), "the halves should differ"


def test_conversion_scales_to_the_requested_size_in_one_pass(qapp):
    frame = split_frame(PF.Format_YUV420P)
    reference = frame.toImage()
    ours = FrameConverter().convert(frame, 160, 90)
    assert ours is not None and ours.size() == QSize(160, 90)
    assert close(rgb(ours, 20, 45), rgb(reference, 8, 18))  # each half keeps its colour, the edge in the middle
    assert close(rgb(ours, 140, 45), rgb(reference, 56, 18))


def test_reused_buffer_never_changes_an_image_someone_kept(qapp):
    converter = FrameConverter()
    first = converter.convert(split_frame(PF.Format_YUV420P), 32, 18, reuse=True)
    assert first is not None
    kept = QImage(first)  # what a still (crossfade, screenshot) would hold
    before = rgb(kept, 4, 4)
    swapped = split_frame(PF.Format_YUV420P)
    assert swapped.map(QVideoFrame.MapMode.WriteOnly)
    line = swapped.bytesPerLine(0)
    swapped.bits(0)[: line * swapped.height()] = bytes([16]) * (line * swapped.height())  # all dark now
    swapped.unmap()
    second = converter.convert(swapped, 32, 18, reuse=True)
    assert second is not None and rgb(second, 4, 4) != before
    assert rgb(kept, 4, 4) == before


def test_unknown_pixel_format_is_left_to_qt(qapp):
    frame = QVideoFrame(QVideoFrameFormat(QSize(8, 8), PF.Format_Y8))
    assert FrameConverter().convert(frame, 8, 8) is None


@pytest.mark.parametrize("change", ["rotation", "mirrored", "bottom-up"])
def test_transformed_frames_are_left_to_qt(qapp, change):
    """A phone clip's rotation (or a mirrored / bottom-up frame) is applied by toImage(), not dropped."""
    fmt = QVideoFrameFormat(QSize(64, 36), PF.Format_YUV420P)
    if change == "rotation":
        fmt.setRotation(QtVideo.Rotation.Clockwise90)
    elif change == "mirrored":
        fmt.setMirrored(True)
    else:
        fmt.setScanLineDirection(QVideoFrameFormat.Direction.BottomToTop)
    assert FrameConverter().convert(QVideoFrame(fmt), 64, 36) is None
    assert FrameConverter().convert(split_frame(PF.Format_YUV420P), 64, 36) is not None


# -- the real decoder ------------------------------------------------------------------------------------------


@pytest.fixture
def video_file(tmp_path: Path, video_bytes: bytes) -> Path:
    path = tmp_path / hashlib.sha256(video_bytes).hexdigest()
    path.write_bytes(video_bytes)
    return path


def play(qtbot, video_file: Path, size: tuple[int, int]) -> tuple[CanvasWidget, ZonePresenter]:
    presenter = ZonePresenter("main", lambda media: video_file, lambda: datetime.now(UTC), "Asia/Pontianak")
    canvas = CanvasWidget()
    canvas.resize(*size)
    canvas.set_zones([(MAIN_ZONE, presenter)])
    qtbot.addWidget(canvas)
    presenter.changed.connect(canvas.update)
    canvas.show()
    media = MediaRef(video_file.name, video_file.stat().st_size, "video/mp4", "x")
    presenter.show_cue(Cue("main", "playing", Item("clip", "video", 5.0, "Klip", media), datetime.now(UTC), None,
                           "manifest"))
    return canvas, presenter


def test_playback_paints_frames_without_qt_conversion_per_frame(qtbot, video_file, monkeypatch):
    """The old path called QVideoFrame.toImage() on every decoded frame: now no frame goes through it."""
    calls = []
    original = QVideoFrame.toImage

    def counting(frame: QVideoFrame) -> QImage:
        calls.append(frame.size())
        return original(frame)

    monkeypatch.setattr(QVideoFrame, "toImage", counting)
    canvas, presenter = play(qtbot, video_file, (320, 180))
    source = presenter.video
    assert source is not None
    qtbot.waitUntil(lambda: source.frames_seen >= 5 and canvas.paint_count >= 5, timeout=10000)
    shown = source.image_at(QSize(320, 180))
    assert shown is not None and shown.size() == QSize(320, 180)  # converted straight to the zone's size
    assert source.image_at(QSize(320, 180)) is shown  # a repaint of the same frame converts nothing
    screen = canvas.grab().toImage()
    assert rgb(screen, 40, 40) == rgb(shown, 40, 40)
    assert calls == []
    presenter.shutdown()


def test_without_libswscale_the_canvas_falls_back_to_qt_conversion(qtbot, video_file, monkeypatch):
    monkeypatch.setattr(frameconvert, "_SWSCALE", None)
    monkeypatch.setattr(frameconvert, "_OPENED", True)
    assert not frameconvert.available()
    canvas, presenter = play(qtbot, video_file, (320, 180))
    source = presenter.video
    assert source is not None
    qtbot.waitUntil(lambda: source.frames_seen >= 3 and canvas.paint_count >= 3, timeout=10000)
    shown = source.image_at(QSize(320, 180))
    assert shown is not None and shown.size() == QSize(320, 180)
    screen = canvas.grab().toImage()
    assert sum(rgb(screen, 40, 40)) > 60, "the testsrc pattern is never black"
    presenter.shutdown()


def test_canvas_skips_the_clear_only_under_an_opaque_full_screen_video(qtbot, video_file):
    """Painted over a buffer of an odd colour: a letterboxed video leaves no stale pixel; an empty zone still clears."""
    _canvas, presenter = play(qtbot, video_file, (320, 180))
    source = presenter.video
    assert source is not None
    qtbot.waitUntil(lambda: source.has_frame, timeout=10000)
    visual = presenter.target  # (the canvas may still be crossfading from the slate)
    assert isinstance(visual, VideoVisual) and visual.opaque
    sentinel = QColor(3, 250, 131).rgb()  # no colour of the test pattern (its bars clip to exact 0/255 values)
    strip = Zone("ticker", 0.0, 0.8, 1.0, 0.2, 1)
    ticker = TickerVisual("Berita", lambda: 0.0)
    for zones in ([(MAIN_ZONE, visual), (strip, ticker)], [(MAIN_ZONE, EmptyVisual()), (strip, ticker)]):
        image = QImage(400, 300, QImage.Format.Format_RGB32)  # 4:3 around a 16:9 clip: black bars
        image.fill(sentinel)
        paint_zones(QPainter(image), 400, 300, 0, zones)
        stale = [(x, y) for y in range(300) for x in range(400) if image.pixel(x, y) == sentinel]
        assert stale == [], f"{zones[0][1]!r}: stale pixels left, e.g. {stale[:5]}"
        assert rgb(image, 200, 10) == (0, 0, 0)  # the letterbox bar (or the cleared screen)
        assert rgb(image, 5, 290) == (16, 24, 40)  # the strip is drawn over the video
    assert not EmptyVisual().opaque
    presenter.shutdown()
