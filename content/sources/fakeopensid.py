"""A loopback fake OpenSID site, for tests and the demo (binds 127.0.0.1 only).

It reproduces what real OpenSID serves (see ``content/sources/opensid.py`` for the files read):

* routes by ``version``: from 2405 ``/index.php/data-statistik/{slug}``, with ``/index.php/first/statistik/{key}``
  redirecting there (307); before 2405 only ``first/statistik/{key}``; the bantuan statistics only at
  ``first/statistik/bantuan_penduduk`` in every version, with BUKAN PENERIMA (id 777) and the whole
  population as TOTAL, programmes overlapping;
* themes: ``esensi``: ``const dataStats = Object.values({"0": {...}, "total": {...}})`` with string counts;
  ``natra``: ``var chart_rows = [{...}, ...];`` an array with integer counts; both also render the rows as a
  table. ``lestari`` (a Blade theme of OpenSID premium): an *empty* table filled by JavaScript from
  ``/index.php/internal_api/statistik/{key}`` (JSON:API), and ``data-wilayah`` from
  ``/index.php/internal_api/wilayah/administratif``; a sidebar widget in its pages embeds (and loads) the
  population by sex;
* ``data-wilayah`` names each dusun as the themes do: ``Dusun X , Ketua NAME``.

Per-path ``faults`` (``"*"``: every path) make it misbehave: ``404``, ``500``, ``hang``, ``429`` (Retry-After),
``huge`` (50 MB), ``malformed`` (broken JSON, table intact), ``maintenance`` (OpenSID's offline mode: 200
"Dalam Perbaikan"), ``login`` (302 to ``/index.php/siteman``), ``redirect:PATH`` (302 to PATH). ETag /
Last-Modified are honoured (304).
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

from content.sources.opensid import KEYS, OVERLAPPING
from content.sources.sample import BANTUAN_RECIPIENTS, VILLAGE, WILAYAH, opensid_rows

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


#: The kadus of each dusun: the themes print "Dusun X , Ketua NAME" (``partials/wilayah.php``).
KADUS = ("H. Abdul Rahman", "Syarif Hamid", "Yohanes Apui", "Siti Aminah")


def wilayah_page(dusun: list[tuple[str, int, int, int]]) -> str:
    rows = []
    for i, (name, kk, male, female) in enumerate(dusun):
        ketua = f"\n  , Ketua {KADUS[i % len(KADUS)]}"
        rows.append(f"<tr><td>{i + 1}</td><td colspan=8>\n  {html.escape(name)}{ketua}\n</td><td>{kk}</td>"
                    f"<td>{male + female}</td><td>{male}</td><td>{female}</td></tr>")  # fmt: skip
        rows.append(f"<tr><td></td><td></td><td>1</td><td colspan=6>RT 001</td><td>{kk}</td>"
                    f"<td>{male + female}</td><td>{male}</td><td>{female}</td></tr>")  # fmt: skip
    kk, male, female = (sum(int(d[i]) for d in dusun) for i in (1, 2, 3))
    return (
        "<html><body><table><thead><tr><th>No</th><th colspan=8>Wilayah / Ketua</th><th>KK</th><th>L+P</th>"
        f"<th>L</th><th>P</th></tr></thead><tbody>{''.join(rows)}</tbody><tfoot><tr><th colspan=9>TOTAL</th>"
        f"<th>{kk}</th><th>{male + female}</th><th>{male}</th><th>{female}</th></tr></tfoot></table></body></html>"
    )


def blade_statistik_page(title: str, api_url: str, widget_api_url: str, widget_rows: list[dict[str, Any]]) -> str:
    """A premium Blade theme (lestari): the table is empty; JavaScript fetches the rows from ``internal_api``.

    A sidebar widget, before the content, shows the population by sex: its rows embedded, and also loaded from
    ``internal_api`` (another statistic's address in the same page).
    """
    return (
        f"<!DOCTYPE html><html><head><title>Statistik {html.escape(title)}</title></head><body>"
        f"<aside><div id='widget'></div><script>const widgetStat = {json.dumps(widget_rows)};\n"
        f"$.get('{widget_api_url}', function(json) {{ drawWidget(json.data); }});</script></aside>"
        f"<h2>{html.escape(title)}</h2><table class='table table-striped' id='table-statistik'><thead><tr>"
        "<th rowspan=2>Kode</th><th rowspan=2>Kelompok</th><th colspan=2>Jumlah</th><th colspan=2>Laki-laki</th>"
        "<th colspan=2>Perempuan</th></tr><tr><th>n</th><th>%</th><th>n</th><th>%</th><th>n</th><th>%</th></tr>"
        "</thead><tbody>\n</tbody></table><div><p>Diperbarui pada : 28 November 2026</p></div>"
        "<script type='text/javascript'>let dataStats = [];\n$(document).ready(function() {\n"
        f"  $.ajax({{url: `{api_url}?tahun=`, method: 'get', data: {{}},\n"
        "    success: function(json) { dataStats = json.data.map(item => item.attributes); } });\n});"
        "</script></body></html>"
    )


def statistik_api(rows: list[dict[str, Any]]) -> str:
    """``internal_api/statistik/{key}``: JSON:API, the summary rows' ids as strings ("777", "888")."""
    keep = ("nama", "jumlah", "laki", "perempuan", "persen", "persen1", "persen2")
    return json.dumps({"data": [{"type": "statistik", "id": str(r["id"]), "attributes": {k: r[k] for k in keep}}
                                for r in rows]})  # fmt: skip


def blade_wilayah_page(api_url: str) -> str:
    return (
        "<html><body><h1>Data Statistik Wilayah</h1><table class='w-full text-sm'><thead><tr><th>No</th>"
        "<th colspan=8>Wilayah / Ketua</th><th>KK</th><th>L+P</th><th>L</th><th>P</th></tr></thead>"
        f"<tbody></tbody><tfoot></tfoot></table><script>var apiWilayah = '{api_url}';\n"
        "$.get(apiWilayah, function(response) { var wilayah = response.data; });</script></body></html>"
    )


def wilayah_api(dusun: list[tuple[str, int, int, int]]) -> str:
    data = []
    for i, (name, kk, male, female) in enumerate(dusun):
        sebutan, _, short = name.partition(" ")
        data.append({"type": "wilayah", "id": str(i + 1), "attributes": {
            "sebutan_dusun": sebutan, "dusun": short, "kepala_nama": KADUS[i % len(KADUS)],
            "keluarga_aktif_count": kk, "penduduk_pria_wanita_count": male + female,
            "penduduk_pria_count": male, "penduduk_wanita_count": female, "rws": []}})  # fmt: skip
    return json.dumps({"data": data})


MAINTENANCE = (
    "<!DOCTYPE html><html><head><title>Dalam Perbaikan - Desa Sungai Bakau</title></head><body class='bg-404'>"
    "<p>Kami mohon maaf untuk sementara halaman tidak dapat di akses, dikarenakan sedang adanya perbaikan.</p>"
    "</body></html>"
)
LOGIN = "<html><head><title>Masuk</title></head><body><form action='/index.php/siteman/auth'></form></body></html>"
SLUG_OF_KEY = {key: slug for slug, key in KEYS.items()}


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
    """``FakeOpenSid(theme, version=2410).start()``; ``.url``; ``.faults[path] = "404" | "hang" | ...``."""

    def __init__(self, theme: str = "esensi", *, version: int = 2410, scale: int = 1, hang_s: float = 30.0) -> None:
        self.theme = theme
        self.version = version
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

    def rows(self, slug: str) -> list[dict[str, Any]] | None:
        if slug not in VILLAGE:
            return None
        _, rows, unfilled = VILLAGE[slug]
        scaled = [(n, m * self.scale, f * self.scale) for n, m, f in rows]
        strings = self.theme != "natra"
        if slug in OVERLAPPING:  # Statistik_penduduk_model::Penduduk_penerima_bantuan
            population = VILLAGE["jenis-kelamin"][1]
            totals = (population[0][1] * self.scale, population[1][2] * self.scale)
            rest = (totals[0] - BANTUAN_RECIPIENTS[0] * self.scale, totals[1] - BANTUAN_RECIPIENTS[1] * self.scale)
            return opensid_rows(scaled, rest, strings=strings, totals=totals, unfilled_name="BUKAN PENERIMA")
        unfilled = (unfilled[0] * self.scale, unfilled[1] * self.scale)
        return opensid_rows(scaled, unfilled, strings=strings)

    def _dusun(self) -> list[tuple[str, int, int, int]]:
        return [(n, k * self.scale, m * self.scale, f * self.scale) for n, k, m, f in WILAYAH]

    def route(self, path: str) -> tuple[int, str, dict[str, str]]:
        """(status, body, headers) for ``path`` as this OpenSID version and theme answer it."""
        if path in self.overrides:
            return 200, self.overrides[path], {}
        if path == "/index.php/siteman":
            return 200, LOGIN, {}
        slug = None
        if path.startswith("/index.php/data-statistik/"):
            slug = path.rsplit("/", 1)[1]
            if self.version < 2405 or slug in OVERLAPPING:  # no slug route (fweb/Statistik.php came in v2405)
                slug = None
        elif path.startswith("/index.php/first/statistik/"):
            slug = SLUG_OF_KEY.get(path.rsplit("/", 1)[1])
            if slug is not None and self.version >= 2405 and slug not in OVERLAPPING:
                return 307, "", {"Location": f"{self.url}/index.php/data-statistik/{slug}"}  # First::statistik
        elif path.startswith("/index.php/internal_api/statistik/") and self.theme == "lestari":
            rows = self.rows(SLUG_OF_KEY.get(path.rsplit("/", 1)[1], ""))
            return (404, "", {}) if rows is None else (200, statistik_api(rows), {"Content-Type": "application/json"})
        elif path == "/index.php/internal_api/wilayah/administratif" and self.theme == "lestari":
            return 200, wilayah_api(self._dusun()), {"Content-Type": "application/json"}
        elif path == "/index.php/data-wilayah":
            if self.theme == "lestari":
                return 200, blade_wilayah_page(f"{self.url}/index.php/internal_api/wilayah/administratif"), {}
            return 200, wilayah_page(self._dusun()), {}
        elif path == "/feed.xml":
            return 200, FEED, {"Content-Type": "application/rss+xml"}
        rows = None if slug is None else self.rows(slug)
        if slug is None or rows is None:
            return 404, "<h1>404 Page Not Found</h1>", {}
        title = VILLAGE[slug][0]
        if self.theme == "lestari":
            api = f"{self.url}/index.php/internal_api/statistik/"
            widget = self.rows("jenis-kelamin") or []
            return 200, blade_statistik_page(title, api + KEYS[slug], api + KEYS["jenis-kelamin"], widget), {}
        return 200, statistik_page(title, rows, self.theme, malformed=self.faults.get(path) == "malformed"), {}

    def page(self, path: str) -> str | None:
        """The body served at ``path`` (after a redirect), or None when it is a 404."""
        status, body, headers = self.route(path)
        if status == 307:
            return self.page(headers["Location"].removeprefix(self.url))
        return body if status == 200 else None

    def start(self) -> FakeOpenSid:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                fake.hits[path] = fake.hits.get(path, 0) + 1
                fault = fake.faults.get(path) or fake.faults.get("*")  # "*": every path
                if fault == "hang":
                    fake._stop.wait(fake.hang_s)
                    return
                if fault == "404":
                    self._send(404, b"<h1>404 Page Not Found</h1>")
                    return
                if fault == "500":  # CodeIgniter's error page, e.g. a query that fails on this MySQL
                    self._send(500, b"<h1>A Database Error Occurred</h1><p>Error Number: 1055</p>")
                    return
                if fault == "429":
                    self._send(429, b"Too Many Requests", {"Retry-After": "120"})
                    return
                if fault in ("huge", "huge-chunked"):
                    self._huge(declared=fault == "huge")
                    return
                if fault == "maintenance":
                    self._send(200, MAINTENANCE.encode(), {"Content-Type": "text/html; charset=UTF-8"})
                    return
                if fault and fault.startswith("redirect:"):  # e.g. "redirect:/index.php/" (a page moved home)
                    self._send(302, b"", {"Location": fake.url + fault.removeprefix("redirect:")})
                    return
                if fault == "login" and path != "/index.php/siteman":
                    self._send(302, b"", {"Location": f"{fake.url}/index.php/siteman"})
                    return
                status, page, extra = fake.route(path)
                if status != 200:
                    self._send(status, page.encode(), extra)
                    return
                body = page.encode()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", {"ETag": etag})
                    return
                kind = extra.get("Content-Type", "text/html; charset=UTF-8")
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
