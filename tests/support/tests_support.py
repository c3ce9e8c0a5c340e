"""Helpers importable from any test module (tests/support is on sys.path via conftest)."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import socket
import threading
from pathlib import Path
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


def enrol_at(url: str, admin: tuple[str, str], display_id: str, code: str, timeout_s: float = 10) -> dict[str, Any]:
    """Enrol a display on the scheduler at ``url`` through the real HTTP flow (request, approval by ``admin``,
    collect); the approval body."""
    secret = secrets.token_urlsafe(32)
    request = enrolment_request(code, secret)
    requests.post(f"{url}/api/v1/enrolments", json=request, timeout=timeout_s).raise_for_status()
    requests.post(
        f"{url}/api/v1/admin/enrolments/{code}/approve",
        json={"display_id": display_id},
        auth=admin,
        timeout=timeout_s,
    ).raise_for_status()
    response = requests.post(f"{url}/api/v1/enrolments/{code}/collect", json=collect_request(secret), timeout=timeout_s)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def enrol(live: Any, display_id: str, code: str, timeout_s: float = 10) -> dict[str, Any]:
    """Enrol a display on the live scheduler (approved by the demo admin); the approval body."""
    return enrol_at(live.url, ("admin", live.service.demo_accounts.admin_password), display_id, code, timeout_s)


def enrol_player_at(url: str, admin: tuple[str, str], display_id: str, code: str, data_dir: Path) -> dict[str, Any]:
    """Enrol ``display_id`` on the scheduler at ``url`` and save the player's identity in ``data_dir``, as a player
    does once it has collected its approval; the approval body."""
    from player.identity import Identity, save_identity

    approval = enrol_at(url, admin, display_id, code)
    save_identity(data_dir, Identity(display_id, approval["token"], approval["manifest_url"], approval["public_keys"],
                                     url))  # fmt: skip
    return approval


def enrol_player(live: Any, display_id: str, code: str, data_dir: Path) -> dict[str, Any]:
    """``enrol_player_at`` on the live scheduler, approved by the demo admin."""
    admin = ("admin", live.service.demo_accounts.admin_password)
    return enrol_player_at(live.url, admin, display_id, code, data_dir)


def latest_manifest(service: Any, display_id: str) -> dict[str, Any]:
    """The manifest (inside its signed envelope) the publisher serves the display now."""
    manifest: dict[str, Any] = json.loads(service.publisher.latest(display_id).body)["manifest"]
    return manifest


def draft_poster(live: Any) -> dict[str, Any]:
    """A 1920x1080 poster (made for the big screen) uploaded and saved as a draft for kantor-bupati and the 400x300
    P10 panel desa-antibar, by the admin over the API; the announcement."""
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (1920, 1080), (20, 90, 160)).save(picture, "PNG")
    base, auth = f"{live.url}/api/v1/admin", ("admin", live.service.demo_accounts.admin_password)
    upload = requests.post(f"{base}/media?wait=true", auth=auth, timeout=120,
                           files={"file": ("poster.png", picture.getvalue(), "image/png")})  # fmt: skip
    assert upload.status_code == 202, upload.text
    created = requests.post(f"{base}/announcements", auth=auth, timeout=30, json={
        "title": "Poster 16:9", "kind": "image", "media_sha256": upload.json()["sha256"],
        "targets": {"displays": ["kantor-bupati", "desa-antibar"], "groups": []}})  # fmt: skip
    assert created.status_code == 201, created.text
    announcement: dict[str, Any] = created.json()["announcement"]
    return announcement


def hold_writer(writer: Any, timeout_s: float = 30) -> threading.Event:
    """Hold an ``IntakeWriter`` inside a job (running) until the returned event is set."""
    release, entered = threading.Event(), threading.Event()

    def job(db: Any) -> None:
        entered.set()
        release.wait(timeout_s)

    writer.submit(job)
    assert entered.wait(timeout_s), "the intake writer did not start the job"
    return release


def count_compiles(monkeypatch: Any) -> list[str]:
    """Display ids the schedule engine compiles from now on (a shared compile counts under its placeholder id)."""
    import playlists.compiler as compiler_module

    compiled: list[str] = []
    real = compiler_module._compile

    def counting(display: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(display.id)
        return real(display, *args, **kwargs)

    monkeypatch.setattr(compiler_module, "_compile", counting)
    return compiled



def text_manifest(compiled: Any, display_id: str, timezone: str, generated_at: Any) -> dict[str, Any]:
    """An unsigned 1920x1080 manifest of one full-screen zone carrying ``compiled``'s timeline, every item a text
    slide of its compiled duration: what the player's decision code reads, for engine tests."""
    from signage.manifest import build_manifest

    return build_manifest(
        display_id=display_id,
        version=1,
        generated_at=generated_at,
        valid_until=compiled.horizon_end,
        timezone=timezone,
        canvas={"width": 1920, "height": 1080, "rotation": 0},
        layouts={"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1}]},
        layout="full",
        items={i: {"type": "text", "duration_s": s} for i, s in compiled.item_durations_s.items()},
        timeline=compiled.segments(),
        fallback=[],
        operating_hours=[],
        key_id="0" * 16,
    )


def post_approve(url: str, *, auth: Any, timeout: float = 30, **kwargs: Any) -> requests.Response:
    """``POST .../announcements/{id}/approve`` as a client must: with the ``version`` it read by ``GET`` first
    (the API refuses an approval without it, so an edit made after reading is never approved unseen)."""
    read = requests.get(url.removesuffix("/approve"), auth=auth, timeout=timeout)
    version = read.json()["announcement"]["version"] if read.ok else "unread"
    return requests.post(url, auth=auth, timeout=timeout, json={"version": version}, **kwargs)
