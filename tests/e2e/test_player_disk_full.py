"""Item 7: the player's disk fills up (or a file-size limit stops every write) while it plays.

The player's data directory lives on a small tmpfs of its own (we are root in
the test container; without permission to mount, the test is skipped). The
real player (offscreen, in this process) plays two images from the real
scheduler; then a filler file takes every free byte. Every write path now
fails with ENOSPC (play log, status file, screenshot on that disk): the player
keeps changing items and painting them, logs each fault once (no traceback),
and its heartbeats reach the scheduler with a ``low disk`` warning naming the
free bytes. Once space is freed the plays it kept in memory are written and
uploaded: none is lost.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from player_scenes import QT_NOISE, add_display, admin, publish, solid_png, upload
from tests_support import enrol_player

from player.app import PlayerApp
from player.tuning import PlayerTuning
from scheduler.store import loads
from signage.config import PlayerConfig

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.qt_log_ignore(*QT_NOISE),
]

DISPLAY = "uji-disk"
RED, BLUE = (220, 30, 30), (30, 40, 210)
DISK_MB = 24


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0700", "tmpfs", str(mount_point)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of ``disk``; the filler file's path."""
    filler = disk / "filler.bin"
    chunk = b"\0" * (1 << 16)
    with filler.open("wb", buffering=0) as out:
        for size in (len(chunk), 4096, 512):
            with contextlib.suppress(OSError):
                while True:
                    out.write(chunk[:size])
    return filler


def is_blend(image: Image.Image, one: tuple[int, int, int], other: tuple[int, int, int]) -> bool:
    """Every pixel of a grid across ``image`` is ``one``, ``other`` or a crossfade between them."""
    image = image.convert("RGB")
    width, height = image.size
    for x in range(0, width, max(1, width // 16)):
        for y in range(0, height, max(1, height // 9)):
            pixel = image.getpixel((x, y))
            assert isinstance(pixel, tuple)
            share = min(1.0, max(0.0, (pixel[0] - other[0]) / (one[0] - other[0])))
            expected = [share * a + (1 - share) * b for a, b in zip(one, other, strict=True)]
            if max(abs(p - e) for p, e in zip(pixel, expected, strict=True)) > 40:
                return False
    return True


def stored_warnings(live: Any) -> list[str]:
    with live.service.lock:
        rows = list(live.service.db["display_status"].rows_where("display_id = ?", [DISPLAY]))
    return loads(rows[0]["warnings"], []) if rows else []


def red_and_blue(live: Any, display_id: str) -> tuple[str, str]:
    """A 320x180 display of its own playing a red and a blue image, one second each; their item ids."""
    add_display(live.service, display_id, 320, 180)
    red = publish(live, display_id, "Merah", "image",
                  upload(live, "merah.png", solid_png(RED, (320, 180)), "image/png"), duration_s=1)  # fmt: skip
    blue = publish(live, display_id, "Biru", "image",
                   upload(live, "biru.png", solid_png(BLUE, (320, 180)), "image/png"), duration_s=1)  # fmt: skip
    return red, blue


def test_full_disk_keeps_playing_and_warns(qtbot, live_scheduler: Any, small_disk: Path, tmp_path: Path, caplog):
    live = live_scheduler
    red, blue = red_and_blue(live, DISPLAY)
    data_dir = small_disk / "player"
    enrol_player(live, DISPLAY, "DSK234", data_dir)
    config = PlayerConfig(server_url=live.url, data_dir=str(data_dir), poll_interval_s=2, fullscreen=False,
                          screenshot_path=str(data_dir / "screen.png"), screenshot_interval_s=1)
    tuning = PlayerTuning(use_events=False, verify_interval_s=0, heartbeat_interval_s=1, low_disk_mb=1)
    app = PlayerApp(config, tuning=tuning)
    qtbot.addWidget(app.canvas)
    app.canvas.resize(320, 180)
    app.start()
    try:
        qtbot.waitUntil(lambda: app.manifest is not None and app.manifest.complete, timeout=60_000)
        qtbot.waitUntil(lambda: any(r["item_id"] in (red, blue) for r in live.service.db["play_events"].rows),
                        timeout=30_000)  # uploads work while there is room
        assert not any(w.startswith("low disk") for w in stored_warnings(live))

        caplog.clear()
        filler = fill(small_disk)
        assert os.statvfs(small_disk).f_bavail == 0

        # full: items keep changing and painting (each one's colour across the canvas, seen after the
        # 400 ms crossfade), every write path fails quietly
        colours = {red: RED, blue: BLUE}
        painted: set[str] = set()
        last: dict[str, list[str]] = {}

        def shows(item: str) -> bool:
            image = app.canvas.grab().toImage()
            pixels = [image.pixelColor(x, y) for x in (2, 160, 317) for y in (2, 90, 177)]
            last[item] = [p.name() for p in pixels]
            colour = colours[item]
            return all(max(abs(p.red() - colour[0]), abs(p.green() - colour[1]), abs(p.blue() - colour[2])) < 40
                       for p in pixels)

        def plays_on() -> bool:
            item = (app.status.snapshot()["current"] or {}).get("item_id")
            if item in colours and item not in painted:
                qtbot.wait(500)
                if (app.status.snapshot()["current"] or {}).get("item_id") == item and shows(item):
                    painted.add(item)
            return len(painted) == 2 and {"play log", "status file", "screenshot"} <= set(app.faults.active())

        try:
            qtbot.waitUntil(plays_on, timeout=30_000)
        except Exception as exc:
            raise AssertionError(f"painted {painted}, last pixels {last}, faults {app.faults.active()}") from exc
        assert app.playlog is not None and app.playlog.unsaved > 0
        # a heartbeat names both (the play log's fault is found by the disk-writer thread, so it may reach the
        # status a moment after the low disk does)
        try:
            qtbot.waitUntil(lambda: any(w.startswith("low disk: ") and "bytes free" in w for w in stored_warnings(live))
                            and any(w.startswith("cannot write play log") for w in stored_warnings(live)),
                            timeout=30_000)
        except Exception as exc:
            raise AssertionError(f"heartbeat warnings {stored_warnings(live)}") from exc
        qtbot.wait(3000)  # a few more items, checkpoints and status ticks on the full disk
        faults = [r for r in caplog.records if r.getMessage().startswith("cannot write")]
        kinds = [r.getMessage().split(":")[0] for r in faults]
        assert len(kinds) == len(set(kinds)), kinds  # each fault logged once, not per write
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], "tracebacks logged"

        # room again: the plays kept in memory are written, then uploaded
        unsaved_ids = {row_id for row_id in app.playlog._unsaved}
        filler.unlink()
        qtbot.waitUntil(lambda: app.playlog.unsaved == 0 and not app.faults.active(), timeout=20_000)
        qtbot.waitUntil(lambda: unsaved_ids <= {r["id"] for r in live.service.db["play_events"].rows}
                        or unsaved_ids <= {r["id"] for r in app.playlog.rows()}, timeout=20_000)
        assert all(uuid.UUID(i) for i in unsaved_ids)
    finally:
        app.shutdown()


def test_file_size_limit_on_the_player_process_keeps_it_playing(live_scheduler: Any, tmp_path: Path):
    """The same faults in the real ``signage player run`` process, without root: RLIMIT_FSIZE set to 0 on
    the running player (``prlimit``) makes every file write fail (EFBIG). It keeps playing - the
    scheduler sees its current item change and a screenshot requested over SSE shows the content -
    logs each fault once, without a traceback, reports them in its heartbeats, and recovers."""
    live = live_scheduler
    display = "uji-fsize"
    red, blue = red_and_blue(live, display)
    data_dir = tmp_path / "player"
    enrol_player(live, display, "FSZ234", data_dir)
    config = tmp_path / "player.yaml"
    config.write_text("poll_interval_s: 2\nscreenshot_interval_s: 1\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SIGNAGE_PLAYER_HEARTBEAT_INTERVAL_S": "1",
           "SIGNAGE_PLAYER_VERIFY_INTERVAL_S": "0"}
    command = [sys.executable, "-m", "signage", "player", "run", "--config", str(config), "--server", live.url,
               "--data-dir", str(data_dir), "--screenshot", str(data_dir / "screen.png"), "--geometry", "0,0,320,180"]
    # output through a pipe: a log file would hit the limit too
    player = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.extend(iter(player.stdout.readline, b"")),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()

    def status() -> dict[str, Any]:
        with live.service.lock:
            rows = list(live.service.db["display_status"].rows_where("display_id = ?", [display]))
        return rows[0] if rows else {}

    def wait(predicate: Any, what: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return
            assert player.poll() is None, b"".join(output).decode(errors="replace")[-3000:]
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; status {status()}\n"
                             + b"".join(output).decode(errors="replace")[-3000:])

    try:
        wait(lambda: (data_dir / "screen.png").exists() and status().get("current_item") in (red, blue),
             "the player to play and report")
        _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.prlimit(player.pid, resource.RLIMIT_FSIZE, (0, hard))  # no file may grow any more
        status_mtime = (data_dir / "status.json").stat().st_mtime

        def faults() -> set[str]:
            return {w.split(":")[0] for w in loads(status().get("warnings"), []) if w.startswith("cannot write")}

        wait(lambda: {"cannot write play log", "cannot write status file", "cannot write screenshot"} <= faults(),
             "heartbeats naming the failing writes")
        items: set[str] = set()
        wait(lambda: items.add(status().get("current_item") or "") or {red, blue} <= items,
             "items to keep changing while no file can be written")
        shots_before = live.service.db["screenshots"].count_where("display_id = ?", [display])
        requests.post(f"{live.url}/api/v1/admin/displays/{display}/screenshot-request", auth=admin(live),
                      timeout=10).raise_for_status()
        wait(lambda: live.service.db["screenshots"].count_where("display_id = ?", [display]) > shots_before,
             "the requested screenshot")
        png = live.service.db["screenshots"].get(display)["png"]
        shot = Image.open(io.BytesIO(png)).convert("RGB")
        assert is_blend(shot, RED, BLUE), "the screenshot shows neither image (nor a crossfade between them)"
        assert (data_dir / "status.json").stat().st_mtime == status_mtime  # the limit really holds

        resource.prlimit(player.pid, resource.RLIMIT_FSIZE, (hard, hard))
        wait(lambda: not faults(), "the faults to clear once files may grow again")
        wait(lambda: (data_dir / "status.json").stat().st_mtime > status_mtime, "status.json written again")
    finally:
        player.terminate()
        try:
            player.wait(timeout=25)  # under systemd's TimeoutStopSec=30
        except subprocess.TimeoutExpired:
            player.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack into the output, for the report
            time.sleep(2)
            player.kill()
            player.wait()
        reader.join(timeout=5)
        if player.stdout is not None:
            player.stdout.close()
    text = b"".join(output).decode(errors="replace")
    assert player.returncode == 0, text[-3000:]
    assert "Traceback" not in text, text[-5000:]
    for kind in ("play log", "status file", "screenshot"):
        assert text.count(f"cannot write {kind}:") == 1, (kind, text[-5000:])
