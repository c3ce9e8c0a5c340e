"""Video items: frames painted by the canvas, last good frame kept, looping."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from frame_judge import dark_fraction

from player.render.canvas import MAIN_ZONE, CanvasWidget
from player.render.presenter import ZonePresenter
from player.runner import Cue
from signage.manifest import Item, MediaRef


@pytest.fixture
def video_file(tmp_path: Path, video_bytes: bytes) -> Path:
    sha = hashlib.sha256(video_bytes).hexdigest()
    path = tmp_path / sha  # like the cache: no file extension
    path.write_bytes(video_bytes)
    return path


def video_setup(qtbot, video_file: Path, duration_s: float) -> tuple[CanvasWidget, ZonePresenter]:
    now = datetime.now(UTC)
    presenter = ZonePresenter("main", lambda media: video_file, lambda: datetime.now(UTC),
                              "Asia/Pontianak")
    canvas = CanvasWidget()
    canvas.resize(320, 180)
    canvas.set_zones([(MAIN_ZONE, presenter)])
    qtbot.addWidget(canvas)
    presenter.changed.connect(canvas.update)
    media = MediaRef(video_file.name, video_file.stat().st_size, "video/mp4", "x")
    item = Item("clip", "video", duration_s, "Klip", media)
    presenter.show_cue(Cue("main", "playing", item, now, None, "manifest"))
    return canvas, presenter


def test_video_end_keeps_last_good_frame(qtbot, video_file):
    canvas, presenter = video_setup(qtbot, video_file, duration_s=1.0)
    source = presenter.video
    assert source is not None
    qtbot.waitUntil(lambda: source.frames_seen >= 2, timeout=5000)
    worst = 0.0
    while not source.ended:  # sample the painted output up to the end of media
        worst = max(worst, dark_fraction(canvas.grab().toImage(), step=4))
        qtbot.wait(40)
        assert source.frames_seen < 100, "clip never ended"
    for _ in range(8):  # and after it (the backend sends an empty frame at the end)
        qtbot.wait(50)
        worst = max(worst, dark_fraction(canvas.grab().toImage(), step=4))
    assert source.last_frame is not None and not source.last_frame.isNull()
    assert worst < 0.5, f"a painted frame was {worst:.0%} black"
    presenter.shutdown()


def test_video_loops_when_item_outlasts_clip(qtbot, video_file):
    canvas, presenter = video_setup(qtbot, video_file, duration_s=5.0)
    source = presenter.video
    assert source is not None
    qtbot.waitUntil(lambda: source.frames_seen >= 2, timeout=5000)
    qtbot.wait(1500)  # longer than the 1.0 s clip
    frames = source.frames_seen
    assert not source.ended and source.is_playing
    qtbot.waitUntil(lambda: source.frames_seen > frames + 2, timeout=2000)
    assert dark_fraction(canvas.grab().toImage(), step=4) < 0.5
    presenter.shutdown()


def test_next_clip_starts_over_a_still_of_the_previous(qtbot, video_file):
    canvas, presenter = video_setup(qtbot, video_file, duration_s=1.0)
    first = presenter.video
    assert first is not None
    qtbot.waitUntil(lambda: first.frames_seen >= 2, timeout=5000)
    media = MediaRef(video_file.name, video_file.stat().st_size, "video/mp4", "x")
    item = Item("clip2", "video", 1.0, "Klip 2", media)
    presenter.show_cue(Cue("main", "playing", item, datetime.now(UTC), None, "manifest"))
    # before the new decoder delivers anything, the canvas still shows a picture
    assert dark_fraction(canvas.grab().toImage(), step=4) < 0.5
    second = presenter.video
    assert second is not None and second is not first
    qtbot.waitUntil(lambda: second.frames_seen >= 1, timeout=5000)
    presenter.shutdown()
