"""One bounded HTTP GET for a data source.

* the response is refused over ``max_bytes`` — by its Content-Length before
  reading anything, else while streaming (at most ``max_bytes`` + one chunk is read);
* ``timeout_s`` bounds the connect, each read, and the whole transfer;
* conditional GET: pass the last ``etag``/``last_modified``; a 304 comes back as
  ``not_modified``;
* 429/503 with Retry-After raise :class:`FetchError` carrying ``retry_after_s``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
USER_AGENT = "mempawah-signage-sources/1"


class FetchError(Exception):
    """No usable body. ``reason``: timeout | too_large | not_found | rate_limited | http | network | empty."""

    def __init__(self, reason: str, message: str, *, status: int | None = None, retry_after_s: float | None = None):
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def retry_after_seconds(value: str | None, now_s: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now_s is None else now_s))


def fetch(
    session: requests.Session,
    url: str,
    *,
    timeout_s: float,
    max_bytes: int = DEFAULT_MAX_BYTES,
    etag: str | None = None,
    last_modified: str | None = None,
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
) -> Fetched:
    request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    deadline_s = time.monotonic() + timeout_s
    try:
        response = session.get(
            url, headers=request_headers, params=params, auth=auth, timeout=(timeout_s, timeout_s), stream=True,
            allow_redirects=True,
        )  # fmt: skip
    except requests.Timeout as exc:
        raise FetchError("timeout", f"{url}: no answer within {timeout_s:g} s") from exc
    except requests.RequestException as exc:
        raise FetchError("network", f"{url}: {exc.__class__.__name__}: {exc}") from exc
    with response:
        status = response.status_code
        if status in (429, 503):
            wait_s = retry_after_seconds(response.headers.get("Retry-After"))
            raise FetchError("rate_limited", f"{url}: HTTP {status} (Retry-After {wait_s})", status=status,
                             retry_after_s=wait_s)  # fmt: skip
        if status == 404:
            raise FetchError("not_found", f"{url}: HTTP 404", status=404)
        if status == 304:
            return Fetched(url, 304, b"", etag, last_modified, "")
        if status >= 400:
            raise FetchError("http", f"{url}: HTTP {status}", status=status)
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError("too_large", f"{url}: {int(declared)} bytes declared, limit {max_bytes}", status=status)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError("too_large", f"{url}: more than {max_bytes} bytes, refused", status=status)
                if time.monotonic() > deadline_s:
                    raise FetchError("timeout", f"{url}: transfer took longer than {timeout_s:g} s", status=status)
                chunks.append(chunk)
        except requests.RequestException as exc:
            timed_out = isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()
            kind = "timeout" if timed_out else "network"
            raise FetchError(kind, f"{url}: {exc.__class__.__name__} while reading", status=status) from exc
        return Fetched(
            url=response.url,
            status=status,
            body=b"".join(chunks),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            content_type=response.headers.get("Content-Type", ""),
        )
