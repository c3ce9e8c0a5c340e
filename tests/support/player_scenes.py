"""Scenes for player fault/window tests on the real scheduler: a display of our own, solid-colour content.

A display added here belongs to no group, so only what a test publishes to it
plays there (no demo content, no operating hours: never "off").
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from PIL import Image, ImageStat
from tests_support import post_approve

TIMEOUT_S = 60
#: Qt messages that are environment noise in a headless container, not player bugs (``qt_log_ignore``).
QT_NOISE = ("pipewire", "No HW decoder found", "Using Qt multimedia with FFmpeg", "propagateSizeHints", "QRhi")


def add_display(service: Any, display_id: str, width: int, height: int) -> None:
    from scheduler.store import dumps

    with service.lock:
        service.db["displays"].insert({
            "id": display_id, "name": display_id, "location": "", "width": width, "height": height,
            "rotation": 0, "timezone": "Asia/Pontianak", "groups": dumps([]), "tags": dumps([]),
            "operating_hours": dumps([]), "created_at": service.now_iso(),
        })


def editor(live: Any) -> tuple[str, str]:
    return ("editor", live.service.demo_accounts.editor_password)


def admin(live: Any) -> tuple[str, str]:
    return ("admin", live.service.demo_accounts.admin_password)


def solid_png(rgb: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, rgb).save(out, "PNG")
    return out.getvalue()


def solid_video(path: Path, rgb: tuple[int, int, int], size: tuple[int, int], duration_s: float) -> Path:
    colour = "0x{:02x}{:02x}{:02x}".format(*rgb)
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"color=c={colour}:size={size[0]}x{size[1]}:rate=25:duration={duration_s}",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


def upload(live: Any, name: str, data: bytes, mime: str) -> str:
    r = requests.post(f"{live.url}/api/v1/admin/media?wait=true", files={"file": (name, data, mime)},
                      auth=editor(live), timeout=TIMEOUT_S)
    assert r.status_code == 202 and r.json()["job"]["state"] == "done", r.text
    return str(r.json()["sha256"])


def publish(live: Any, display_id: str, title: str, kind: str, sha256: str, duration_s: float = 10) -> str:
    """Create (editor) and approve (admin) an announcement for one display; its manifest item id."""
    body = {"title": title, "kind": kind, "media_sha256": sha256, "duration_s": duration_s,
            "targets": {"displays": [display_id]}}
    r = requests.post(f"{live.url}/api/v1/admin/announcements", json=body, auth=editor(live), timeout=TIMEOUT_S)
    assert r.status_code == 201, r.text
    ann_id = r.json()["announcement"]["id"]
    r = post_approve(f"{live.url}/api/v1/admin/announcements/{ann_id}/approve", auth=admin(live),
                      timeout=TIMEOUT_S)
    assert r.status_code == 200, r.text
    return f"ann-{ann_id}"


def colour_distance(a: tuple[float, ...], b: tuple[int, int, int]) -> float:
    return max(abs(float(x) - y) for x, y in zip(a[:3], b, strict=True))


def mean_rgb(image: Image.Image) -> tuple[float, ...]:
    return tuple(ImageStat.Stat(image.convert("RGB")).mean)


def covers(image: Image.Image, rgb: tuple[int, int, int], tolerance: int = 40, grid: int = 16) -> list[str]:
    """Where (a grid of points from edge to edge, corners included) ``image`` is not ``rgb``; [] if it covers."""
    image = image.convert("RGB")
    width, height = image.size
    misses = []
    for gx in range(grid + 1):
        for gy in range(grid + 1):
            x = min(width - 1, gx * (width - 1) // grid)
            y = min(height - 1, gy * (height - 1) // grid)
            pixel = image.getpixel((x, y))
            assert isinstance(pixel, tuple)
            if colour_distance(pixel, rgb) > tolerance:
                misses.append(f"({x},{y})={pixel}")
    return misses


def read_xwd(data: bytes) -> Image.Image:
    """An ``xwd -root`` dump (ZPixmap, 24/32 bits per pixel TrueColor) as an RGB image."""
    import struct

    fields = struct.unpack(">25I", data[:100])
    header_size, version, pixmap_format, depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    red_mask, green_mask, blue_mask = fields[14:17]
    ncolors = fields[19]
    if version != 7 or pixmap_format != 2 or bits_per_pixel not in (24, 32) or depth not in (24, 32):
        raise ValueError(f"unsupported XWD: version {version}, format {pixmap_format}, depth {depth}, "
                         f"{bits_per_pixel} bits per pixel")
    if (red_mask, green_mask, blue_mask) != (0xFF0000, 0xFF00, 0xFF):
        raise ValueError(f"unsupported XWD colour masks {red_mask:#x} {green_mask:#x} {blue_mask:#x}")
    start = header_size + ncolors * 12
    pixels = data[start:start + bytes_per_line * height]
    # byte_order 0 is LSBFirst: a pixel is B G R (X) in memory
    raw_modes = {(32, 0): "BGRX", (32, 1): "XRGB", (24, 0): "BGR", (24, 1): "RGB"}
    raw_mode = raw_modes[(bits_per_pixel, byte_order)]
    return Image.frombuffer("RGB", (width, height), pixels, "raw", raw_mode, bytes_per_line, 1)


@contextlib.contextmanager
def xvfb_server(log_path: Path, size: tuple[int, int]) -> Iterator[str]:
    """A fresh Xvfb of ``size`` on a free display number (``-displayfd``); its DISPLAY string.

    Skips the test when Xvfb is not installed (scripts/bootstrap.sh installs it)."""
    import os
    import select
    import shutil

    import pytest

    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (scripts/bootstrap.sh installs xvfb)")
    assert shutil.which("xwd"), "xwd is missing: apt-get install x11-apps (scripts/bootstrap.sh does)"
    read_fd, write_fd = os.pipe()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 30)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        assert number.isdigit(), f"Xvfb did not report a display: {log_path.read_text()}"
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def grab_root(display: str) -> Image.Image:
    """The X root window of ``display`` (e.g. ``:5``) via ``xwd -root``."""
    out = subprocess.run(["xwd", "-root", "-silent", "-display", display], capture_output=True, check=True,
                         timeout=30)
    return read_xwd(out.stdout)


class PortForwarder:
    """TCP forwarder from 127.0.0.1:``port`` to ``upstream_port``: "the network comes back" on a port
    where nothing listened before. :meth:`close` closes every connection."""

    def __init__(self, port: int, upstream_port: int) -> None:
        import socket
        import threading

        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[Any] = []
        self._threads: list[threading.Thread] = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    def _accept(self) -> None:
        import socket
        import threading

        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            thread = threading.Thread(target=self._relay, args=(client, upstream), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _relay(self, client: Any, upstream: Any) -> None:
        import threading

        back = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
        back.start()
        self._pump(client, upstream)
        back.join()
        for sock in (client, upstream):
            sock.close()

    @staticmethod
    def _pump(source: Any, sink: Any) -> None:
        import contextlib
        import socket

        source.settimeout(None)
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        import contextlib
        import socket

        self._stop.set()
        self._accept_thread.join(timeout=5)
        self.listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        for sock in sockets:
            sock.close()
