"""Request body limits, enforced while reading (Content-Length or chunked), before any parsing."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
MIB = 1024 * KIB
# (path prefix, limit); the first match wins
BODY_LIMITS: tuple[tuple[str, int], ...] = (
    ("/api/v1/admin/media", 500 * MIB),
    ("/admin/announcements", 500 * MIB),
    ("/admin/media", 500 * MIB),
    ("/api/v1/enrolments", 4 * KIB),
    ("/api/v1/player/", 2 * MIB),
    ("/", 1 * MIB),
)
#: Only a file upload (multipart) may use an upload path's large limit: any other body there (a form or JSON is
#: parsed in memory) gets the default.
UPLOAD_CONTENT_TYPE = b"multipart/form-data"
DEFAULT_LIMIT = 1 * MIB


class BodyTooLarge(Exception):
    pass


def limit_for(path: str, content_type: bytes = UPLOAD_CONTENT_TYPE) -> int:
    for prefix, limit in BODY_LIMITS:
        if path.startswith(prefix):
            if limit > DEFAULT_LIMIT and not content_type.lower().startswith(UPLOAD_CONTENT_TYPE):
                return DEFAULT_LIMIT
            return limit
    return DEFAULT_LIMIT


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = limit_for(scope["path"], headers.get(b"content-type", b""))
        declared = headers.get(b"content-length")
        page = scope["path"] == "/admin" or scope["path"].startswith("/admin/")  # a browser: a page in words
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit, page)
            return
        received = 0
        started = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer 413 here: the app may turn this exception into its own error (a body parse
                    # error is a 400), and whatever it sends afterwards is dropped.
                    if not started and not refused:
                        refused = True
                        await _refuse(send, limit, page)
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception as exc:
            # the 413 is sent: whatever the app made of the cut-off body (a parse error...) is moot
            if not refused and not isinstance(exc, BodyTooLarge):
                raise


#: The web admin's answer to a form or file over the limit (this layer knows no user: Indonesian, then English).
PAGE_413 = """<!doctype html><html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Terlalu besar</title>
<link rel="stylesheet" href="/admin/static/admin.css"></head><body><main id="main">
<h1>Berkas atau isian terlalu besar</h1><p role="alert" class="flash err">Paling banyak {mb} MB. Perkecil berkasnya
(mis. potong videonya atau ekspor dengan ukuran lebih kecil), lalu tekan Kembali di peramban dan kirim lagi.</p>
<p lang="en" class="muted">The file or form is too large: at most {mb} MB. Make the file smaller, go back and send it
again.</p><p><a href="/admin/">Kembali ke Beranda</a></p></main></body></html>"""


async def _refuse(send: Send, limit: int, page: bool = False) -> None:
    body: dict[str, Any] = {
        "ok": False,
        "status": 413,
        "error": f"request body larger than {limit} bytes",
        "field": "body",
    }
    data = PAGE_413.format(mb=max(1, limit // MIB)).encode() if page else json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8" if page else b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
