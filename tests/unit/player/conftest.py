"""Fixtures for the player tests: real Qt (offscreen) and real HTTP on loopback."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import hashlib
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from player_scenes import QT_NOISE

from player.identity import Identity, save_identity
from signage.manifest import build_manifest
from signage.signing import SigningKey, envelope_bytes

DISPLAY_ID = "dsp-test-1"
TOKEN = "secret-token"
T0 = datetime(2026, 11, 28, 3, 0, 0, tzinfo=UTC)  # Sabtu, 28 November 2026 10.00 WIB


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_ignore(*QT_NOISE))


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None


class FixtureServer:
    """ThreadingHTTPServer on 127.0.0.1:0 serving canned routes; records requests."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route | Callable[[dict[str, Any]], Route]] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {
                    "method": method,
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "body": body,
                }
                with server.lock:
                    server.requests.append(record)
                    route = server.routes.get((method, self.path))
                if callable(route):
                    route = route(record)
                if route is None:
                    route = Route(404, b'{"ok": false, "status": 404, "error": "not found"}')
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                if route.etag:
                    self.send_header("ETag", route.etag)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FixtureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def set(self, method: str, path: str, route: Route | Callable[[dict[str, Any]], Route]) -> None:
        with self.lock:
            self.routes[(method, path)] = route

    def set_json(self, method: str, path: str, value: Any, status: int = 200) -> None:
        self.set(method, path, Route(status, json.dumps(value).encode(),
                                     {"Content-Type": "application/json"}))

    def hits(self, method: str, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["method"] == method and r["path"] == path]


def enrol_route(key: SigningKey, answer: dict[str, Any] | None, status: int = 200) -> Callable[[dict[str, Any]], Route]:
    """An enrolment answer (``None``: 404) carrying ``key``'s proof over the request's code and nonce."""
    from signage.enrolproof import make_proof

    def route(record: dict[str, Any]) -> Route:
        if answer is None:
            return Route(404, b'{"ok": false, "status": 404, "error": "no enrolment request"}')
        request = json.loads(record["body"] or b"{}")
        code = request.get("code") or record["path"].split("/")[-2]
        proof = make_proof(key, code, str(request.get("nonce", "")))
        body = {**answer, "server": proof.model_dump()}
        return Route(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

    return route


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    srv = FixtureServer().start()
    yield srv
    srv.stop()


class Publisher:
    """Builds, signs and serves manifests + media on a FixtureServer, like the scheduler."""

    manifest_path = "/api/v1/player/manifest"

    def __init__(self, server: FixtureServer, key: SigningKey) -> None:
        self.server = server
        self.key = key
        self.media: dict[str, bytes] = {}
        self.envelope = b""

    @property
    def manifest_url(self) -> str:
        return self.server.url + self.manifest_path

    def add_media(self, data: bytes, mime: str) -> dict[str, Any]:
        sha = hashlib.sha256(data).hexdigest()
        self.media[sha] = data
        self.server.set("GET", f"/api/v1/media/{sha}", Route(200, data, {"Content-Type": mime}))
        return {"sha256": sha, "size": len(data), "mime": mime, "url": f"../media/{sha}"}

    def manifest(
        self,
        version: int,
        items: dict[str, dict[str, Any]],
        timeline: list[dict[str, Any]] | None = None,
        fallback: list[str] | None = None,
        *,
        key: SigningKey | None = None,
        display_id: str = DISPLAY_ID,
        start: datetime = T0 - timedelta(days=1),
        end: datetime = T0 + timedelta(days=13),
        layouts: dict[str, list[dict[str, Any]]] | None = None,
        layout: str = "full",
    ) -> dict[str, Any]:
        if timeline is None:
            timeline = [
                {"start": fmt(start), "end": fmt(end), "zone": "main", "layer": "normal",
                 "loop": list(items), "why": "test loop"}
            ]
        return build_manifest(
            display_id=display_id,
            version=version,
            generated_at=start,
            valid_until=end,
            timezone="Asia/Pontianak",
            canvas={"width": 320, "height": 180, "rotation": 0},
            layouts=layouts or {"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1, "z": 0}]},
            layout=layout,
            items=items,
            timeline=timeline,
            fallback=fallback or [],
            operating_hours=[],
            key_id=(key or self.key).key_id,
        )

    def publish(self, manifest: dict[str, Any], *, key: SigningKey | None = None,
                tamper: Callable[[bytes], bytes] | None = None) -> bytes:
        data = envelope_bytes(manifest, key or self.key)
        if tamper is not None:
            data = tamper(data)
        self.envelope = data
        etag = '"' + hashlib.sha256(data).hexdigest() + '"'
        self.server.set("GET", self.manifest_path, Route(
            200, data, {"Content-Type": "application/json"}, etag=etag))
        return data


def fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def publisher(server: FixtureServer, signing_key: SigningKey) -> Publisher:
    return Publisher(server, signing_key)


@pytest.fixture
def identity(publisher: Publisher, signing_key: SigningKey) -> Identity:
    return Identity(
        display_id=DISPLAY_ID,
        token=TOKEN,
        manifest_url=publisher.manifest_url,
        public_keys={signing_key.key_id: signing_key.public_text},
        server_url=publisher.server.url,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "player"
    path.mkdir()
    return path


@pytest.fixture
def enrolled_dir(data_dir: Path, identity: Identity) -> Path:
    save_identity(data_dir, identity)
    return data_dir


def png_bytes(width: int, height: int, colors: tuple[str, str] = ("#c03030", "#30c030")) -> bytes:
    """A two-colour PNG (left/right halves) made with Qt; needs a Q(Gui)Application."""
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colors[0]))
    painter = QPainter(image)
    painter.fillRect(width // 2, 0, width - width // 2, height, QColor(colors[1]))
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


@pytest.fixture(scope="session")
def video_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 1.0 s 160x90 H.264 test pattern (bright colours, never black)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed")
    out = tmp_path_factory.mktemp("video") / "clip.mp4"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc=size=160x90:rate=10:duration=1", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", "-g", "5", str(out)],
        check=True,
        timeout=60,
    )
    return out.read_bytes()


class FakeClock:
    """A clock a test moves by hand; the parts of PlayerClock's interface the app uses."""

    def __init__(self, moment: datetime = T0) -> None:
        self.moment = moment
        self.fault: str | None = None
        self.offset_s = 0.0
        self.server_corrected = False
        self.floored = False

    def __call__(self) -> datetime:
        return self.moment

    def wall_s(self) -> float:
        return self.moment.timestamp()

    def apply_floor(self, floor_epoch_s: float, source: str) -> bool:
        if self.moment.timestamp() >= floor_epoch_s:
            return False
        self.moment = datetime.fromtimestamp(floor_epoch_s, UTC)
        self.fault = f"behind {source}"
        self.floored = True
        return True

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def helpers() -> Any:
    """Helper functions for test modules (importlib mode: no sibling imports)."""

    class Helpers:
        png = staticmethod(png_bytes)
        fmt = staticmethod(fmt)
        T0 = T0
        DISPLAY_ID = DISPLAY_ID
        TOKEN = TOKEN
        FakeClock = FakeClock
        Route = Route
        enrol_route = staticmethod(enrol_route)

    return Helpers
