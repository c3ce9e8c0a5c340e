"""Browser-facing protections of the web admin (pure ASGI middleware).

- Every state-changing request to ``/admin`` (and any that carries the session cookie) must
  come from this site: its ``Origin`` (or, without one, its ``Referer``) must name the host the
  request was sent to or the configured ``public_url``. A cross-site form post is refused with
  403 before any handler runs (the CSRF token is checked as well, in the handlers).
- Admin pages get ``X-Frame-Options: DENY``, a strict Content-Security-Policy (no inline
  script or style: JS and CSS are static files), ``Referrer-Policy`` and ``nosniff``; every other answer
  (API, media) gets ``nosniff`` too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.deps import SESSION_COOKIE

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; connect-src 'self'"
)
ADMIN_HEADERS = {
    "x-frame-options": "DENY",
    "content-security-policy": CSP,
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
}
REFUSAL = (
    b"<!doctype html><meta charset=utf-8><title>403</title>"
    b"<p>Permintaan ditolak: formulir dikirim dari situs lain. / Request refused: the form came from another site."
)


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


class WebSecurityMiddleware:
    def __init__(self, app: ASGIApp, public_url: str = "") -> None:
        self.app = app
        self.public_netloc = _netloc(public_url) if public_url else ""

    def same_site(self, headers: Headers) -> bool:
        """False if Origin/Referer name another host; requests without either (non-browser clients) pass."""
        source = headers.get("origin") or headers.get("referer")
        if not source:
            return True
        if source == "null":
            return False
        allowed = {headers.get("host", "").lower(), self.public_netloc} - {""}
        return _netloc(source) in allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_admin = path == "/admin" or path.startswith("/admin/")
        headers = Headers(scope=scope)
        guarded = scope["method"] in UNSAFE_METHODS and (is_admin or SESSION_COOKIE in headers.get("cookie", ""))
        if guarded and not self.same_site(headers):
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        *((k.encode(), v.encode()) for k, v in ADMIN_HEADERS.items()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": REFUSAL})
            return
        if not is_admin:  # the API and media: no sniffing a stored file (or a JSON answer) into HTML

            async def send_nosniff(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableHeaders(scope=message).setdefault("x-content-type-options", "nosniff")
                await send(message)

            await self.app(scope, receive, send_nosniff)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for key, value in ADMIN_HEADERS.items():
                    out[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
