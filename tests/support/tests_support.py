"""Helpers importable from any test module (tests/support is on sys.path via conftest)."""

from __future__ import annotations

import socket
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def enrol(live: Any, display_id: str, code: str, timeout_s: float = 10) -> dict[str, Any]:
    """Enrol a display through the real HTTP flow (request, admin approval, collect); the approval body."""
    requests.post(f"{live.url}/api/v1/enrolments", json={"code": code}, timeout=timeout_s).raise_for_status()
    admin = ("admin", live.service.demo_accounts.admin_password)
    requests.post(
        f"{live.url}/api/v1/admin/enrolments/{code}/approve",
        json={"display_id": display_id},
        auth=admin,
        timeout=timeout_s,
    ).raise_for_status()
    body: dict[str, Any] = requests.get(f"{live.url}/api/v1/enrolments/{code}", timeout=timeout_s).json()
    return body
