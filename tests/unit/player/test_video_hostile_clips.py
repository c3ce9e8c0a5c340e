"""Odd clips that pass the content pipeline play on the real player without a black frame: a single
frame and a 0.2 s clip (each in a 3 s item, so they loop), and a phone video stored rotated."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from frame_judge import dark_fraction
from PySide6.QtGui import QImage

from content.pipeline import ingest
from content.store import MediaStore
from player.render.canvas import MAIN_ZONE, CanvasWidget
from player.render.presenter import ZonePresenter
from player.runner import Cue
from signage.canvas import Canvas
from signage.manifest import Item, MediaRef

CANVAS = Canvas(320, 180)
ITEM_S = 3.0


def _source(out: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, str(out)], check=True)
    return out


def _normalised(tmp_path: Path, source: Path) -> Path:
    store = MediaStore(tmp_path / "store")
    result = ingest(source, store, [CANVAS], fit="stretch")
    return store.path_for(result.derived[0].sha256)


def _centre(image: QImage) -> tuple[int, int, int]:
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def _play(qtbot, clip: Path) -> tuple[float, list[QImage]]:  # type: ignore[no-untyped-def]
    """Play ``clip`` as a 3 s item: the darkest painted share, and what was painted from 1 s on (after the fade-in)."""
    presenter = ZonePresenter("main", lambda media: clip, lambda: datetime.now(UTC), "Asia/Pontianak")
    canvas = CanvasWidget()
    canvas.resize(CANVAS.width, CANVAS.height)
    canvas.set_zones([(MAIN_ZONE, presenter)])
    qtbot.addWidget(canvas)
    presenter.changed.connect(canvas.update)
    item = Item("klip", "video", ITEM_S, "Klip", MediaRef(clip.name, clip.stat().st_size, "video/mp4", "x"))
    presenter.show_cue(Cue("main", "playing", item, datetime.now(UTC), None, "manifest"))
    source = presenter.video
    assert source is not None
    qtbot.waitUntil(lambda: source.frames_seen >= 1, timeout=10000)
    worst, settled, started = 0.0, [], datetime.now(UTC)
    while (elapsed_s := (datetime.now(UTC) - started).total_seconds()) < ITEM_S:
        image = canvas.grab().toImage()
        worst = max(worst, dark_fraction(image, step=4))
        if elapsed_s > 1.0:
            settled.append(image)
        qtbot.wait(50)
    presenter.shutdown()
    assert settled
    return worst, settled


@pytest.mark.parametrize("frames", ["one frame", "0.2 s"])
def test_a_clip_far_shorter_than_its_item_is_never_black(qtbot, tmp_path: Path, frames: str) -> None:  # type: ignore[no-untyped-def]
    length = ["-frames:v", "1"] if frames == "one frame" else ["-t", "0.2"]
    source = _source(tmp_path / "pendek.mp4", "-f", "lavfi", "-i", "color=c=0xE0C020:s=320x180:r=25", *length,
                      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")  # fmt: skip
    worst, settled = _play(qtbot, _normalised(tmp_path, source))
    assert worst < 0.05, f"a painted frame was {worst:.0%} dark"
    centres = {_centre(image) for image in settled}  # the clip's one colour all along (it loops)
    assert all(abs(r - 0xE0) < 40 and abs(g - 0xC0) < 40 and b < 90 for r, g, b in centres), centres


def test_a_phone_video_stored_sideways_plays_upright(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Stored 180x320, left half red, right half blue, with a quarter-turn display matrix: upright it is
    # 320x180 with one colour on top. The screen must show what ffmpeg's own autorotation shows.
    stored = _source(tmp_path / "stored.mp4", "-f", "lavfi", "-i", "color=c=red:s=90x320:r=25:d=1", "-f", "lavfi",
                     "-i", "color=c=blue:s=90x320:r=25:d=1", "-filter_complex", "hstack", "-c:v", "libx264",
                     "-preset", "ultrafast", "-pix_fmt", "yuv420p")  # fmt: skip
    phone = _source(tmp_path / "phone.mp4", "-i", str(stored), "-c", "copy", "-metadata:s:v:0", "rotate=90")
    reference = QImage(str(_source(tmp_path / "upright.png", "-i", str(phone), "-frames:v", "1")))
    assert (reference.width(), reference.height()) == (320, 180)
    want_top, want_bottom = reference.pixelColor(160, 20).getRgb()[:3], reference.pixelColor(160, 160).getRgb()[:3]
    assert want_top != want_bottom
    worst, settled = _play(qtbot, _normalised(tmp_path, phone))
    assert worst < 0.05
    painted = settled[-1]
    for y, want in ((20, want_top), (160, want_bottom)):
        got = painted.pixelColor(160, y).getRgb()[:3]
        assert all(abs(a - b) < 60 for a, b in zip(got, want, strict=True)), (y, got, want)
