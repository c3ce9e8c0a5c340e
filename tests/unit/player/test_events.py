"""The server-sent events client: parsing, reconnect with backoff and Last-Event-ID, Qt signals."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from player.events import EventStream, EventStreamClient, ServerEvent, parse_stream


def test_parse_stream_events_comments_retry():
    lines = ["retry: 3000", ": connected dsp", "", "id: b-1", "event: manifest", 'data: {"version":3}', "",
             ": keep-alive", "", "event: screenshot", "data: {}", "", "id: b-2", "data: plain", "data: two", ""]
    out = list(parse_stream(iter(lines)))
    assert out[0] == ("retry", 3000)
    assert out[1] == ("comment", "connected dsp")
    assert out[2] == ("event", ServerEvent("manifest", {"version": 3}, "b-1"))
    assert out[3] == ("comment", "keep-alive")
    assert out[4] == ("event", ServerEvent("screenshot", {}, "b-1"))  # the id stays until a new one
    assert out[5] == ("event", ServerEvent("message", {"text": "plain\ntwo"}, "b-2"))


class SSEServer:
    """Each connection gets the next script of events, then the server hangs up."""

    def __init__(self, scripts: list[list[str]]) -> None:
        self.scripts = scripts
        self.connections: list[dict[str, str]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with server.lock:
                    index = len(server.connections)
                    server.connections.append(dict(self.headers.items()))
                if self.headers.get("Authorization") != "Bearer tok":
                    self.send_response(401)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                script = server.scripts[index] if index < len(server.scripts) else [": idle\n\n"]
                for chunk in script:
                    self.wfile.write(chunk.encode())
                    self.wfile.flush()
                time.sleep(0.05)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sse_server() -> Iterator[SSEServer]:
    server = SSEServer([
        [": connected\n\n", 'id: x-1\nevent: manifest\ndata: {"version":1}\n\n'],
        ['id: x-2\nevent: emergency\ndata: {"id":7}\n\n'],
        ['id: x-3\nevent: screenshot\ndata: {}\n\n'],
    ])
    yield server
    server.stop()


def test_client_reconnects_with_backoff_and_last_event_id(sse_server: SSEServer):
    got: list[ServerEvent] = []
    client = EventStreamClient(sse_server.url + "/api/v1/player/events", "tok", got.append,
                               backoff_min_s=0.05, backoff_max_s=0.2)
    client.start()
    deadline = time.monotonic() + 10
    while len(got) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    client.stop()
    assert [e.type for e in got] == ["manifest", "emergency", "screenshot"]
    assert sse_server.connections[0].get("Last-Event-ID") is None
    assert sse_server.connections[1]["Last-Event-ID"] == "x-1"
    assert sse_server.connections[2]["Last-Event-ID"] == "x-2"
    assert all(c["Authorization"] == "Bearer tok" for c in sse_server.connections)


def test_refused_token_backs_off_exponentially(sse_server: SSEServer):
    client = EventStreamClient(sse_server.url + "/api/v1/player/events", "wrong", lambda e: None,
                               backoff_min_s=0.1, backoff_max_s=10)
    client.start()
    time.sleep(1.0)
    client.stop()
    # 0.1 + 0.2 + 0.4 (+-20 %) fit in a second, the next (0.8) does not: 3 or 4 tries, not dozens
    assert 2 <= len(sse_server.connections) <= 4


def test_event_stream_signals_on_the_gui_thread(qtbot, sse_server: SSEServer):
    stream = EventStream()
    hints: list[str] = []
    shots: list[bool] = []
    stream.manifestHint.connect(hints.append)
    stream.screenshotRequested.connect(lambda: shots.append(True))
    stream.start(sse_server.url, "tok")
    assert stream.client is not None
    stream.client.backoff_min_s = 0.05
    qtbot.waitUntil(lambda: len(shots) == 1, timeout=10_000)
    stream.stop()
    assert hints == ["manifest", "emergency"]


def test_stop_interrupts_the_backoff_wait(sse_server: SSEServer):
    client = EventStreamClient(sse_server.url + "/api/v1/player/events", "tok", lambda e: None, backoff_min_s=5)
    client.start()
    time.sleep(0.3)
    started = time.monotonic()
    client.stop(timeout_s=3)
    assert time.monotonic() - started < 1.0
