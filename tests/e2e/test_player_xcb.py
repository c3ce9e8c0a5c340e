"""Item 13: the real player on a real X display (Xvfb), as on a display PC.

Xvfb serves a free display at 1024x768; the player runs as its own process,
fullscreen, with Qt's ``xcb`` platform plugin (not ``offscreen``) against the
real scheduler. ``xwd -root`` grabs the X root window - what the LED sender
card would capture - and the test checks that the scheduled content covers it
edge to edge: first a red image, then a blue video. The Qt xcb runtime
libraries, Xvfb and xwd come from ``scripts/bootstrap.sh``; without Xvfb the
test is skipped (and only then).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from player_scenes import add_display, covers, grab_root, publish, solid_png, solid_video, upload, xvfb_server
from procs import stop, wait_for
from tests_support import enrol_player

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DISPLAY_ID = "layar-xcb"
SIZE = (1024, 768)
RED, BLUE = (220, 30, 30), (30, 40, 210)


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[str]:
    """A fresh Xvfb on a free display number (``-displayfd``); its DISPLAY string."""
    with xvfb_server(tmp_path / "xvfb.log", SIZE) as display:
        yield display


def current_item(data_dir: Path) -> str | None:
    try:
        return (json.loads((data_dir / "status.json").read_text()).get("current") or {}).get("item_id")
    except (FileNotFoundError, ValueError):
        return None


def screen_shows(display: str, data_dir: Path, item_id: str, colour: tuple[int, int, int],
                 seen: list[Image.Image], tolerance: int = 40) -> bool:
    """The item is current and the whole root window is its colour (a crossfade frame just means: later)."""
    if current_item(data_dir) != item_id:
        return False
    image = grab_root(display)
    seen.append(image)
    return image.size == SIZE and covers(image, colour, tolerance) == []


def test_player_fills_a_real_x_screen_with_image_then_video(xvfb: str, live_scheduler: Any, tmp_path: Path):
    live = live_scheduler
    add_display(live.service, DISPLAY_ID, *SIZE)
    image_item = publish(live, DISPLAY_ID, "Gambar merah", "image",
                         upload(live, "merah.png", solid_png(RED, SIZE), "image/png"), duration_s=8)
    data_dir = tmp_path / "player"
    enrol_player(live, DISPLAY_ID, "XCB234", data_dir)
    config = tmp_path / "player.yaml"
    config.write_text("poll_interval_s: 2\n")
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb"}
    env.pop("WAYLAND_DISPLAY", None)
    log = tmp_path / "player.log"
    with log.open("wb") as out:
        player = subprocess.Popen(
            [sys.executable, "-m", "signage", "player", "run", "--config", str(config), "--server", live.url,
             "--data-dir", str(data_dir)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    seen: list[Image.Image] = []
    try:
        try:
            wait_for(lambda: screen_shows(xvfb, data_dir, image_item, RED, seen), 90,
                     "the red image across the whole X screen", player, log=log)
        finally:
            if seen:
                seen[-1].save(tmp_path / "root-image.png")
        assert b"could not load the Qt platform plugin" not in log.read_bytes()

        video = solid_video(tmp_path / "biru.mp4", BLUE, SIZE, 6)
        video_item = publish(live, DISPLAY_ID, "Video biru", "video",
                             upload(live, "biru.mp4", video.read_bytes(), "video/mp4"))
        seen.clear()
        try:
            # H.264 is YUV: a solid colour comes back a few dozen levels off (61,46,182 for 30,40,210)
            wait_for(lambda: screen_shows(xvfb, data_dir, video_item, BLUE, seen, tolerance=64), 120,
                     "the blue video across the whole X screen", player, log=log)
        finally:
            if seen:
                seen[-1].save(tmp_path / "root-video.png")
    finally:
        stop(player, timeout_s=15)
    assert player.returncode == 0, log.read_text()[-3000:]


def test_the_update_switch_bridge_covers_the_player_s_place(xvfb: str, tmp_path: Path) -> None:
    """The bridge window of an update switch (player/bridge.py) on X: the root window shows the old player's
    last frame pixel for pixel at the player's geometry once the bridge reports its first paint; after
    SIGTERM it is gone."""
    import signal

    from PIL import ImageChops, ImageDraw

    x, y, width, height = 80, 40, 640, 360
    frame = Image.new("RGB", (width, height), (10, 20, 120))
    ImageDraw.Draw(frame).rectangle((100, 80, 500, 280), fill=(250, 210, 0))
    frame.save(tmp_path / "frame.png")
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen([sys.executable, "-P", "-m", "player.bridge", "--image", str(tmp_path / "frame.png"),
                             "--geometry", f"{x},{y},{width},{height}", "--ready", str(ready)],
                            env={**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb"})  # fmt: skip
    try:
        wait_for(ready.exists, 60, "the bridge's first paint", proc)
        assert json.loads(ready.read_text())["pid"] == proc.pid

        def shows_frame() -> bool:
            region = grab_root(xvfb).crop((x, y, x + width, y + height))
            return ImageChops.difference(region, frame).getbbox() is None

        wait_for(shows_frame, 30, "the root window to show the last frame at the player's geometry", proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        wait_for(lambda: not shows_frame(), 30, "the bridge to be gone from the screen")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
