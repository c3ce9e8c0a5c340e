"""An upload that would leave less free disk than ``media_min_free_mb`` is refused, over real HTTP, and keeps
nothing: the database, manifests and conversions share that disk, and a full disk fails every write."""

from __future__ import annotations

import io
import shutil
from typing import Any

import pytest
import requests
from web_support import logged_in

pytestmark = pytest.mark.slow
TIMEOUT_S = 60
GIB = 1024**3


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 360), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def _stored(live: Any) -> tuple[set[str], int, int]:
    service = live.service
    with service.lock:
        media_rows = service.db.table("media").count
        jobs = service.db.table("ingest_jobs").count
    return {p.name for p in service.media.root.rglob("*")}, media_rows, jobs


def test_an_upload_that_would_fill_the_disk_is_refused_and_keeps_nothing(live_scheduler: Any) -> None:
    service = live_scheduler.service
    jobs = service.media_jobs
    assert jobs.min_free_bytes == service.config.media_min_free_mb * 1024 * 1024 > 0  # on by default
    editor = ("editor", service.demo_accounts.editor_password)
    free = shutil.disk_usage(service.media.root).free
    jobs.min_free_bytes = free + 10 * GIB  # this disk already has less free than that
    try:
        before = _stored(live_scheduler)
        r = requests.post(f"{live_scheduler.url}/api/v1/admin/media?wait=true", auth=editor,
                          files={"file": ("poster.png", _png(), "image/png")}, timeout=TIMEOUT_S)  # fmt: skip
        assert r.status_code == 507, r.text
        body = r.json()
        assert body["field"] == "file" and "media_min_free_mb" in body["error"] and "MB free" in body["error"]
        assert _stored(live_scheduler) == before  # no original, no media row, no job

        # the web admin's upload says it in the staff's words
        staff = logged_in(live_scheduler, "editor")
        token = staff.token("/admin/announcements/new")
        web = staff.post("/admin/media", {"csrf_token": token}, files={"file": ("poster.png", _png(), "image/png")})
        assert web.status_code == 400 and web.json()["ok"] is False
        assert "Disk server hampir penuh, jadi berkas tidak disimpan." in web.json()["message"], web.json()
        assert _stored(live_scheduler) == before
    finally:
        jobs.min_free_bytes = 1024 * 1024
    ok = requests.post(f"{live_scheduler.url}/api/v1/admin/media?wait=true", auth=editor,
                       files={"file": ("poster.png", _png(), "image/png")}, timeout=TIMEOUT_S)  # fmt: skip
    assert ok.status_code == 202 and ok.json()["job"]["state"] == "done", ok.text
