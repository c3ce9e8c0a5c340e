"""Item 6 (playback CPU): the video path as a display PC runs it, in a real window and offscreen.

A child process (tests/support/video_scene.py) runs the player's canvas and
presenters - a ticker strip over the main zone - through red image -> blue
video -> green video -> yellow image, under Xvfb with Qt's ``xcb`` platform
(the display PC) and under ``offscreen`` (the test suite's platform). Checked:
every pixel of every painted frame (the canvas's frame probe) - no black frame
at any boundary, the video's own first frame included; the videos' frames
reach the canvas; the heartbeat screenshot and, on X, the root window
(``xwd``, what the LED sender captures) show the video with the strip drawn
over it; with the canvas turned 90 degrees the strip is where the rotation
puts it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from player_scenes import colour_distance, covers, solid_png, solid_video, xvfb_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCENE = Path(__file__).resolve().parents[1] / "support" / "video_scene.py"
SIZE = (800, 450)
RED, BLUE, GREEN, YELLOW = (220, 30, 30), (30, 40, 210), (40, 190, 60), (230, 210, 40)
STRIP_BG = (16, 24, 40)  # TickerVisual's background
VIDEO_TOLERANCE = 64  # H.264 is YUV: a solid colour comes back a few dozen levels off


def make_media(out: Path, size: tuple[int, int]) -> None:
    media = out / "media"
    media.mkdir(parents=True)
    for name, rgb in (("red", RED), ("yellow", YELLOW)):
        (media / f"{name}.png").write_bytes(solid_png(rgb, size))
    for name, rgb in (("blue", BLUE), ("green", GREEN)):
        solid_video(media / f"{name}.mp4", rgb, size, 5)


def run_scene(out: Path, platform: str, display: str | None, size: tuple[int, int], rotation: int = 0) -> Any:
    env = {**os.environ, "QT_QPA_PLATFORM": platform}
    env.pop("WAYLAND_DISPLAY", None)
    if display is not None:
        env["DISPLAY"] = display
    proc = subprocess.run([sys.executable, str(SCENE), str(out), "--size", f"{size[0]}x{size[1]}",
                           "--rotation", str(rotation)], capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def frame_log(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "frames.jsonl").read_text().splitlines()]


def band_fraction(image: Image.Image, box: tuple[int, int, int, int], rgb: tuple[int, int, int],
                  tolerance: int) -> float:
    """Share of a grid of points in ``box`` (left, top, right, bottom) within ``tolerance`` of ``rgb``."""
    image = image.convert("RGB")
    left, top, right, bottom = box
    hits = total = 0
    for x in range(left, right, max(1, (right - left) // 40)):
        for y in range(top, bottom, max(1, (bottom - top) // 10)):
            pixel = image.getpixel((x, y))
            assert isinstance(pixel, tuple)
            total += 1
            hits += colour_distance(pixel, rgb) <= tolerance
    return hits / total


def check_video_with_strip(image: Image.Image, colour: tuple[int, int, int], what: str) -> None:
    """The main zone shows the video colour edge to edge above the strip; the strip is drawn over it."""
    width, height = image.size
    main = image.crop((0, 0, width, int(height * 0.84)))
    assert covers(main, colour, VIDEO_TOLERANCE) == [], f"{what}: the video does not fill the main zone"
    strip = (0, int(height * 0.86), width, height)
    assert band_fraction(image, strip, STRIP_BG, 24) > 0.5, f"{what}: no ticker strip over the video"
    assert band_fraction(image, strip, colour, VIDEO_TOLERANCE) < 0.05, f"{what}: the video covers the strip"


def check_frames(frames: list[dict[str, Any]]) -> None:
    assert len(frames) > 60, f"only {len(frames)} frames painted"
    black = [(i, f["item"], f["black"]) for i, f in enumerate(frames) if f["black"]]
    assert black == [], f"frames with black pixels (index, item, pixels): {black[:10]}"
    for name, colour in (("blue", BLUE), ("green", GREEN)):
        own = [f for f in frames if f["item"] == name and f["own"]
               and colour_distance(tuple(f["centre"]), colour) <= VIDEO_TOLERANCE]
        assert len(own) >= 10, f"the {name} video's frames did not reach the canvas ({len(own)} frames)"


@pytest.mark.parametrize("platform", ["xcb", "offscreen"])
def test_video_frames_reach_the_window_without_black_and_under_the_strip(platform: str, tmp_path: Path):
    out = tmp_path / "scene"
    make_media(out, SIZE)
    if platform == "xcb":
        with xvfb_server(tmp_path / "xvfb.log", SIZE) as display:
            run_scene(out, platform, display, SIZE)
    else:
        run_scene(out, platform, None, SIZE)
    check_frames(frame_log(out))
    for name, colour in (("blue", BLUE), ("green", GREEN)):
        check_video_with_strip(Image.open(out / f"shot-{name}.png"), colour, f"screenshot during {name}")
        if platform == "xcb":
            check_video_with_strip(Image.open(out / f"root-{name}.png"), colour, f"X screen during {name}")


def test_rotated_canvas_puts_video_and_strip_where_the_panel_expects(tmp_path: Path):
    """Turned 90 degrees clockwise: the logical bottom strip is the screen's left edge, the video the rest."""
    screen = (450, 800)  # a portrait output showing landscape content
    out = tmp_path / "scene"
    make_media(out, (screen[1], screen[0]))
    with xvfb_server(tmp_path / "xvfb.log", screen) as display:
        result = run_scene(out, "xcb", display, screen, rotation=90)
    assert result["logical"] == [screen[1], screen[0]]
    check_frames(frame_log(out))
    root = Image.open(out / "root-blue.png").convert("RGB")
    width, height = root.size
    assert root.size == screen
    main = root.crop((int(width * 0.16), 0, width, height))
    assert covers(main, BLUE, VIDEO_TOLERANCE) == [], "the video does not fill the rotated main zone"
    assert band_fraction(root, (0, 0, int(width * 0.14), height), STRIP_BG, 24) > 0.5, "strip not at the left"
