"""A loopback fake OpenSID site, for tests and the demo (binds 127.0.0.1 only).

Serves ``/index.php/data-statistik/{slug}``, ``/index.php/data-wilayah`` and
``/feed.xml`` in two theme shapes:

* ``esensi``: ``const dataStats = Object.values({"0": {...}, "total": {...}})`` with string counts;
* ``natra``: ``var chart_rows = [{...}, ...];`` an array with integer counts.

Both also render the rows as a table. Per-path ``faults`` make it misbehave:
``404``, ``hang``, ``429`` (Retry-After), ``huge`` (50 MB), ``malformed`` (broken
JSON, table intact). ETag / Last-Modified are honoured (304).
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from content.sources.sample import VILLAGE, WILAYAH, opensid_rows

HUGE_BYTES = 50 * 1024 * 1024
LAST_MODIFIED = formatdate(1795860000, usegmt=True)  # 2026-11-28


def _table(rows: list[dict[str, Any]], title: str) -> str:
    body = []
    for row in rows:
        number = "" if row["id"] in (777, 888) else str(row["no"])
        body.append(
            f"<tr><td>{number}</td><td>{html.escape(str(row['nama']))}</td><td>{row['jumlah']}</td>"
            f"<td>{row['persen']}</td><td>{row['laki']}</td><td>{row['persen1']}</td>"
            f"<td>{row['perempuan']}</td><td>{row['persen2']}</td></tr>"
        )
    return (
        f"<h2>Tabel {html.escape(title)}</h2><table><thead><tr><th rowspan=2>No</th><th rowspan=2>Kelompok</th>"
        "<th colspan=2>Jumlah</th><th colspan=2>Laki-laki</th><th colspan=2>Perempuan</th></tr>"
        "<tr><th>n</th><th>%</th><th>n</th><th>%</th><th>n</th><th>%</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table><p>Diperbarui pada : 28 November 2026</p>"
    )


def statistik_page(title: str, rows: list[dict[str, Any]], theme: str, *, malformed: bool = False) -> str:
    if theme == "esensi":
        keyed = {str(i): r for i, r in enumerate(rows[:-1])} | {"total": rows[-1]}
        data = json.dumps(keyed)
        script = f"const dataStats = Object.values({data});\nrenderChart(dataStats);"
    else:
        data = json.dumps(rows)
        script = f"var chart_rows = {data};\n$(function () {{ tampilkan(chart_rows); }});"
    if malformed:
        script = script.replace('"nama"', "nama", 3).replace("}", "},,", 2)
    return (
        f"<!DOCTYPE html><html><head><title>Statistik {html.escape(title)}</title>"
        '<script>var config = {"base": "/"};</script></head><body>'
        f"{_table(rows, title)}<script>\n{script}\n</script></body></html>"
    )


def wilayah_page(dusun: list[tuple[str, int, int, int]]) -> str:
    rows = []
    for i, (name, kk, male, female) in enumerate(dusun):
        rows.append(f"<tr><td>{i + 1}</td><td colspan=8>{html.escape(name)}</td><td>{kk}</td>"
                    f"<td>{male + female}</td><td>{male}</td><td>{female}</td></tr>")  # fmt: skip
        rows.append(f"<tr><td></td><td></td><td>1</td><td colspan=6>RT 001</td><td>{kk}</td>"
                    f"<td>{male + female}</td><td>{male}</td><td>{female}</td></tr>")  # fmt: skip
    kk, male, female = (sum(int(d[i]) for d in dusun) for i in (1, 2, 3))
    return (
        "<html><body><table><thead><tr><th>No</th><th colspan=8>Wilayah / Ketua</th><th>KK</th><th>L+P</th>"
        f"<th>L</th><th>P</th></tr></thead><tbody>{''.join(rows)}</tbody><tfoot><tr><th colspan=9>TOTAL</th>"
        f"<th>{kk}</th><th>{male + female}</th><th>{male}</th><th>{female}</th></tr></tfoot></table></body></html>"
    )


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Desa Sungai Bakau</title>
<item><title>Posyandu Balita Dusun Parit Baru</title><link>http://127.0.0.1/artikel/1</link>
<guid>http://127.0.0.1/artikel/1</guid><pubDate>Sat, 28 Nov 2026 02:00:00 +0000</pubDate>
<description><![CDATA[<p>Posyandu balita dilaksanakan setiap Sabtu pertama.</p>]]></description></item>
</channel></rss>"""


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up (timeouts, refused 50 MB bodies) are expected here


class FakeOpenSid:
    """``FakeOpenSid(theme).start()``; ``.url``; ``.faults[path] = "404" | "hang" | "429" | "huge" | "malformed"``."""

    def __init__(self, theme: str = "esensi", *, scale: int = 1, hang_s: float = 30.0) -> None:
        self.theme = theme
        self.scale = scale  # multiply every count (a x10 jump)
        self.hang_s = hang_s
        self.faults: dict[str, str] = {}
        self.overrides: dict[str, str] = {}  # path -> page text
        self.hits: dict[str, int] = {}
        self.huge_bytes_sent = 0
        self._server: _QuietServer | None = None
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def page(self, path: str) -> str | None:
        if path in self.overrides:
            return self.overrides[path]
        if path.startswith("/index.php/data-statistik/"):
            slug = path.rsplit("/", 1)[1]
            if slug not in VILLAGE:
                return None
            title, rows, unfilled = VILLAGE[slug]
            scaled = [(n, m * self.scale, f * self.scale) for n, m, f in rows]
            unfilled = (unfilled[0] * self.scale, unfilled[1] * self.scale)
            shaped = opensid_rows(scaled, unfilled, strings=self.theme == "esensi")
            return statistik_page(title, shaped, self.theme, malformed=self.faults.get(path) == "malformed")
        if path == "/index.php/data-wilayah":
            return wilayah_page([(n, k * self.scale, m * self.scale, f * self.scale) for n, k, m, f in WILAYAH])
        if path == "/feed.xml":
            return FEED
        return None

    def start(self) -> FakeOpenSid:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                fake.hits[path] = fake.hits.get(path, 0) + 1
                fault = fake.faults.get(path)
                if fault == "hang":
                    fake._stop.wait(fake.hang_s)
                    return
                if fault == "404":
                    self._send(404, b"<h1>404 Page Not Found</h1>")
                    return
                if fault == "429":
                    self._send(429, b"Too Many Requests", {"Retry-After": "120"})
                    return
                if fault in ("huge", "huge-chunked"):
                    self._huge(declared=fault == "huge")
                    return
                page = fake.page(path)
                if page is None:
                    self._send(404, b"<h1>404 Page Not Found</h1>")
                    return
                body = page.encode()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", {"ETag": etag})
                    return
                kind = "application/rss+xml" if path.endswith(".xml") else "text/html; charset=UTF-8"
                self._send(200, body, {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Content-Type": kind})

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def _huge(self, *, declared: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                if declared:
                    self.send_header("Content-Length", str(HUGE_BYTES))
                else:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"<p>" + b"x" * 65_533
                try:
                    while fake.huge_bytes_sent < HUGE_BYTES and not fake._stop.is_set():
                        if declared:
                            self.wfile.write(chunk)
                        else:
                            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        fake.huge_bytes_sent += len(chunk)
                    if not declared:
                        self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass
                self.close_connection = True

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-opensid", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        time.sleep(0)
