"""A loopback TCP link simulator for tests and benchmarks (not used by the player itself).

:class:`LinkSimulator` listens on 127.0.0.1 and forwards every connection to an
upstream address through a simulated link: a shared downstream bandwidth
(bytes/s), a round-trip latency (half each way, plus one RTT for the
connection handshake), and cuts (every connection closed every
``cut_every_s``, or each connection after ``cut_after_bytes`` delivered).
Backpressure is real: the simulator reads from the origin only as fast as the
link drains, so ``bytes_from_origin`` is what a real origin would have sent.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("player.netsim")

READ_BYTES = 8192


@dataclass
class LinkCounters:
    connections: int = 0
    cuts: int = 0
    bytes_from_origin: int = 0
    bytes_to_client: int = 0
    bytes_to_origin: int = 0


class _Bucket:
    def __init__(self, bytes_per_s: float) -> None:
        self.bytes_per_s = bytes_per_s
        self._next_free_s = time.monotonic()
        self._lock = threading.Lock()

    def take(self, count: int) -> None:
        if self.bytes_per_s <= 0:
            return
        with self._lock:
            now_s = time.monotonic()
            start_s = max(now_s, self._next_free_s)
            self._next_free_s = start_s + count / self.bytes_per_s
            wait_s = self._next_free_s - now_s
        if wait_s > 0:
            time.sleep(wait_s)


class _Connection:
    def __init__(self, link: LinkSimulator, client: socket.socket) -> None:
        self.link = link
        self.client = client
        self.upstream: socket.socket | None = None
        self.closed = threading.Event()
        self.delivered = 0

    def run(self) -> None:
        link = self.link
        try:
            if link.rtt_s:
                time.sleep(link.rtt_s)  # TCP handshake over the slow link
            self.upstream = socket.create_connection(link.upstream, timeout=10)
            self.upstream.settimeout(None)
        except OSError:
            self.close()
            return
        up: queue.Queue[tuple[float, bytes | None]] = queue.Queue()
        down: queue.Queue[tuple[float, bytes | None]] = queue.Queue()
        threads = [
            threading.Thread(target=self._reader, args=(self.client, up, None), daemon=True),
            threading.Thread(target=self._writer, args=(up, self.upstream, False), daemon=True),
            threading.Thread(target=self._reader, args=(self.upstream, down, link.bucket), daemon=True),
            threading.Thread(target=self._writer, args=(down, self.client, True), daemon=True),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.close()

    def _reader(self, source: socket.socket, out: queue.Queue[tuple[float, bytes | None]],
                bucket: _Bucket | None) -> None:
        link = self.link
        try:
            while not self.closed.is_set():
                data = source.recv(READ_BYTES)
                if not data:
                    break
                if bucket is not None:
                    bucket.take(len(data))
                    with link.lock:
                        link.counters.bytes_from_origin += len(data)
                out.put((time.monotonic() + link.rtt_s / 2, data))
        except OSError:
            pass
        out.put((time.monotonic() + link.rtt_s / 2, None))

    def _writer(self, source: queue.Queue[tuple[float, bytes | None]], target: socket.socket,
                downstream: bool) -> None:
        link = self.link
        try:
            while True:
                due_s, data = source.get()
                delay_s = due_s - time.monotonic()
                if delay_s > 0:
                    time.sleep(delay_s)
                if data is None or self.closed.is_set():
                    break
                target.sendall(data)
                with link.lock:
                    if downstream:
                        link.counters.bytes_to_client += len(data)
                    else:
                        link.counters.bytes_to_origin += len(data)
                if downstream:
                    self.delivered += len(data)
                    if link.cut_after_bytes and self.delivered >= link.cut_after_bytes:
                        link.cut_connection(self)
                        break
        except OSError:
            pass
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
        if downstream or self.closed.is_set():
            self.close()

    def close(self) -> None:
        self.closed.set()
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        with self.link.lock:
            self.link.active.discard(self)


class LinkSimulator:
    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        rate_bytes_per_s: float = 0.0,
        rtt_s: float = 0.0,
        cut_every_s: float = 0.0,
        cut_after_bytes: int = 0,
    ) -> None:
        self.upstream = upstream
        self.rtt_s = rtt_s
        self.cut_every_s = cut_every_s
        self.cut_after_bytes = cut_after_bytes
        self.bucket = _Bucket(rate_bytes_per_s)
        self.counters = LinkCounters()
        self.lock = threading.Lock()
        self.active: set[_Connection] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LinkSimulator:
        self._threads.append(threading.Thread(target=self._accept, name="netsim-accept", daemon=True))
        if self.cut_every_s > 0:
            self._threads.append(threading.Thread(target=self._cutter, name="netsim-cut", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self.cut_all(count=False)

    def cut_connection(self, connection: _Connection) -> None:
        with self.lock:
            self.counters.cuts += 1
        connection.close()

    def cut_all(self, *, count: bool = True) -> int:
        with self.lock:
            victims = list(self.active)
            if count and victims:
                self.counters.cuts += 1
        for connection in victims:
            connection.close()
        return len(victims)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            connection = _Connection(self, client)
            with self.lock:
                self.active.add(connection)
                self.counters.connections += 1
            threading.Thread(target=connection.run, name="netsim-conn", daemon=True).start()

    def _cutter(self) -> None:
        while not self._stopping.wait(self.cut_every_s):
            cut = self.cut_all()
            if cut:
                log.info("link cut (%d connection(s))", cut)


class RangeServer:
    """A small HTTP/1.1 origin on 127.0.0.1 serving byte blobs by path, with ``Range`` support.

    ``routes[path] = (body, content_type)``; ``throttle_bytes_per_s`` slows each
    response (per connection) so a test can interrupt a download half way.
    ``requests`` records (method, path, headers) and ``bytes_sent`` the body
    bytes written. Any other path answers 404 in the API's error shape.
    """

    def __init__(self, *, throttle_bytes_per_s: float = 0.0) -> None:
        import http.server

        self.routes: dict[str, tuple[bytes, str]] = {}
        self.posts: dict[str, list[bytes]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.bytes_sent = 0
        self.active = 0
        self.max_active = 0  # most responses being sent at the same time
        self.throttle_bytes_per_s = throttle_bytes_per_s
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server.lock:
                    server.requests.append(("POST", self.path, dict(self.headers.items())))
                    server.posts.setdefault(self.path, []).append(body)
                reply = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append(("GET", self.path, dict(self.headers.items())))
                    route = server.routes.get(self.path)
                if route is None:
                    body = b'{"ok": false, "status": 404, "error": "not found", "field": null}'
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                data, content_type = route
                first, last = 0, len(data) - 1
                status = 200
                spec = self.headers.get("Range", "")
                if spec.startswith("bytes=") and "," not in spec:
                    start_text, _, end_text = spec[6:].partition("-")
                    if start_text.isdigit():
                        first = int(start_text)
                        last = int(end_text) if end_text.isdigit() else last
                        status = 206
                    if first >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                body = data[first:last + 1]
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                step = 16384
                bucket = _Bucket(server.throttle_bytes_per_s)
                with server.lock:
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    for at in range(0, len(body), step):
                        piece = body[at:at + step]
                        bucket.take(len(piece))
                        self.wfile.write(piece)
                        with server.lock:
                            server.bytes_sent += len(piece)
                finally:
                    with server.lock:
                        server.active -= 1

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> RangeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, path: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        with self.lock:
            self.routes[path] = (body, content_type)
