"""Small HTTP helpers shared by enrolment and sync (requests, never on the GUI thread)."""

from __future__ import annotations

import email.utils
import json
from typing import Any

import requests

from signage import __version__

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0
USER_AGENT = f"mempawah-signage-player/{__version__}"


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def date_header_epoch_s(response: requests.Response) -> float | None:
    """The server's clock from ``Date`` (mid-second estimate), or None."""
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp() + 0.5  # Date is truncated to the second


def error_text(response: requests.Response) -> str:
    """``HTTP 401: token revoked`` using the API's error shape when present."""
    detail = ""
    try:
        body: Any = response.json()
        if isinstance(body, dict) and body.get("error"):
            detail = str(body["error"])
    except (ValueError, json.JSONDecodeError):
        detail = response.text[:120].strip()
    return f"HTTP {response.status_code}" + (f": {detail}" if detail else "")


def short_exc(exc: BaseException) -> str:
    """One readable line for a requests exception (no nested urllib3 reprs)."""
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect to server"
    if isinstance(exc, requests.Timeout):
        return "server did not answer in time"
    return f"{type(exc).__name__}: {exc}"
