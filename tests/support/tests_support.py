"""Helpers importable from any test module (tests/support is on sys.path via conftest)."""

from __future__ import annotations

import hashlib
import secrets
import socket
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def enrolment_request(code: str, secret: str, name: str = "") -> dict[str, Any]:
    """The body of ``POST /api/v1/enrolments`` for a player holding ``secret``."""
    return {"code": code, "name": name, "secret_sha256": hashlib.sha256(secret.encode()).hexdigest(),
            "nonce": secrets.token_urlsafe(16)}


def collect_request(secret: str) -> dict[str, Any]:
    """The body of ``POST /api/v1/enrolments/{code}/collect``."""
    return {"secret": secret, "nonce": secrets.token_urlsafe(16)}


def enrol(live: Any, display_id: str, code: str, timeout_s: float = 10) -> dict[str, Any]:
    """Enrol a display through the real HTTP flow (request, admin approval, collect); the approval body."""
    secret = secrets.token_urlsafe(32)
    requests.post(
        f"{live.url}/api/v1/enrolments", json=enrolment_request(code, secret), timeout=timeout_s
    ).raise_for_status()
    admin = ("admin", live.service.demo_accounts.admin_password)
    requests.post(
        f"{live.url}/api/v1/admin/enrolments/{code}/approve",
        json={"display_id": display_id},
        auth=admin,
        timeout=timeout_s,
    ).raise_for_status()
    response = requests.post(
        f"{live.url}/api/v1/enrolments/{code}/collect", json=collect_request(secret), timeout=timeout_s
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body
