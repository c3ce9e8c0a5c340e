"""End to end with real processes: scheduler + player offscreen, offline restart, tampering.

The scheduler runs as `signage scheduler serve`, the player as `signage player run`
(QT_QPA_PLATFORM=offscreen). A small loopback proxy between them can flip one byte
of a manifest to prove the player refuses it and keeps playing what it had.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import procs
import pytest
import requests
from PIL import Image, ImageChops, ImageStat
from procs import DISPLAY_ID, env, make_store, read_status, show_logs, signage, start_scheduler, stop, wait_for
from tests_support import free_port, post_approve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TIMEOUT_S = 10


class Proxy:
    """Forwards to the scheduler; in tamper mode flips one byte of manifest bodies."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.tamper = threading.Event()
        self.tampered_count = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
                try:
                    r = requests.request(
                        method,
                        proxy.upstream + self.path,
                        data=body,
                        headers=headers,
                        timeout=TIMEOUT_S,
                        allow_redirects=False,
                    )
                except requests.RequestException:
                    self.send_error(502)
                    return
                content = r.content
                if proxy.tamper.is_set() and self.path.endswith("/player/manifest") and r.status_code == 200:
                    index = content.find(b"Siaga")
                    if index >= 0:
                        content = content[: index + 4] + b"b" + content[index + 5 :]
                        proxy.tampered_count += 1
                self.send_response(r.status_code)
                for key, value in r.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_player(server: str, data_dir: Path, screenshot: Path, log: Path) -> subprocess.Popen[bytes]:
    """A player that also writes its screen to ``screenshot`` every second."""
    return procs.start_player(server, data_dir, log, "--screenshot", str(screenshot),
                              config_yaml="poll_interval_s: 2\nscreenshot_interval_s: 1\n")  # fmt: skip


def playing(data_dir: Path, item_id: str) -> Callable[[], bool]:
    return lambda: (read_status(data_dir).get("current") or {}).get("item_id") == item_id


def fresh_screenshot(path: Path, after: float) -> Image.Image:
    wait_for(lambda: path.exists() and path.stat().st_mtime > after, 20, f"a new screenshot at {path}")
    time.sleep(0.2)
    return Image.open(path).convert("RGB")


def assert_not_black(image: Image.Image) -> None:
    stat = ImageStat.Stat(image.convert("L"))
    assert stat.mean[0] > 20, f"screenshot is (nearly) black: mean {stat.mean[0]:.1f}"
    assert stat.stddev[0] > 5, "screenshot is a flat colour"


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a.resize(b.size), b).convert("L")).mean[0])


def slate_screenshot(workdir: Path, enrolled_dir: Path) -> Image.Image:
    """An enrolled player with an empty cache and no scheduler: the built-in slate, not black."""
    slate_dir = workdir / "slate-player"
    slate_dir.mkdir()
    dead = f"http://127.0.0.1:{free_port()}"
    identity = json.loads((enrolled_dir / "identity.json").read_text())
    identity.update(server_url=dead, manifest_url=f"{dead}/api/v1/player/manifest")
    (slate_dir / "identity.json").write_text(json.dumps(identity))
    proc = start_player(dead, slate_dir, workdir / "slate.png", workdir / "slate.log")
    try:
        image = fresh_screenshot(workdir / "slate.png", 0)
        assert read_status(slate_dir).get("state") == "slate", read_status(slate_dir)
        assert_not_black(image)
        return image
    finally:
        stop(proc)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    show_logs(tmp_path)


def test_announcement_reaches_player_survives_scheduler_loss_and_tampering(workdir: Path) -> None:
    sched_dir, player_dir = workdir / "scheduler", workdir / "player"
    shot = workdir / "screen.png"
    passwords = make_store(sched_dir)
    admin, editor = ("admin", passwords["admin"]), ("editor", passwords["editor"])

    port = free_port()
    scheduler = start_scheduler(sched_dir, port, workdir / "scheduler.log")
    base = f"http://127.0.0.1:{port}"
    proxy = Proxy(base)
    player = None
    try:
        r = requests.post(
            f"{base}/api/v1/admin/announcements",
            auth=editor,
            timeout=TIMEOUT_S,
            json={
                "title": "Vaksinasi Gratis di Puskesmas",
                "body": "Setiap Kamis pukul 08.00 WIB. Bawa KTP.",
                "duration_s": 8,
                "targets": {"displays": [DISPLAY_ID]},
            },
        )
        assert r.status_code == 201, r.text
        first_id = r.json()["announcement"]["id"]
        r = post_approve(f"{base}/api/v1/admin/announcements/{first_id}/approve", auth=admin, timeout=TIMEOUT_S)
        assert r.status_code == 200, r.text

        player = start_player(proxy.url, player_dir, shot, workdir / "player.log")
        code = wait_for(lambda: read_status(player_dir).get("enrol_code"), 30, "the enrolment code", player)
        approve = signage("displays", "approve", code, "--as", DISPLAY_ID, "--data-dir", str(sched_dir))
        subprocess.run(approve, check=True, env=env(), timeout=60)

        wait_for(playing(player_dir, f"ann-{first_id}"), 60, "the approved announcement on screen", player)
        slate = slate_screenshot(workdir, player_dir)
        since = time.time()
        online = fresh_screenshot(shot, since)
        assert_not_black(online)
        assert difference(online, slate) > 10, "the player still shows the slate"
        assert read_status(player_dir)["source"] == "manifest"
        first_version = read_status(player_dir)["manifest_version"]

        # A second announcement arrives tampered (one byte): refused, the first keeps playing.
        proxy.tamper.set()
        r = requests.post(
            f"{base}/api/v1/admin/announcements",
            auth=editor,
            timeout=TIMEOUT_S,
            json={
                "title": "Siaga Banjir Rob",
                "body": "Warga pesisir harap waspada.",
                "layer": "emergency",
                "targets": {"displays": [DISPLAY_ID]},
            },
        )
        second_id = r.json()["announcement"]["id"]
        assert post_approve(f"{base}/api/v1/admin/announcements/{second_id}/approve", auth=admin, timeout=TIMEOUT_S).ok
        wait_for(lambda: proxy.tampered_count >= 2, 30, "the player to fetch the tampered manifest", player)
        status = read_status(player_dir)
        assert "signature" in (status.get("last_error") or ""), status
        assert (status.get("current") or {}).get("item_id") == f"ann-{first_id}"
        assert status.get("manifest_version") == first_version

        # Untampered, the emergency wins at once.
        proxy.tamper.clear()
        wait_for(playing(player_dir, f"ann-{second_id}"), 30, "the emergency after tampering stops", player)
    finally:
        if player is not None:
            stop(player)
        stop(scheduler)
        proxy.close()

    # Scheduler gone, player restarted: the same content from its cache.
    restart_at = time.time()
    player = start_player(proxy.url, player_dir, shot, workdir / "player2.log")
    try:
        wait_for(playing(player_dir, f"ann-{second_id}"), 30, "cached content after restart", player)
        offline = fresh_screenshot(shot, restart_at)
        assert_not_black(offline)
        assert difference(offline, slate) > 10
        assert read_status(player_dir)["source"] in ("manifest", "last_good")
    finally:
        stop(player)
