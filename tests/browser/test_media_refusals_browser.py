"""A failed media conversion as staff see it in Chromium: the reason in Indonesian on the home page."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_support import login, new_page, screenshot_everywhere

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_failed_conversion_is_told_in_indonesian_on_the_home_page(
    browser: Any, live_scheduler: Any, tmp_path: Path, shots: Path
) -> None:
    # a picture that declares 400 megapixels: only its conversion finds it (a broken video is refused as it is
    # uploaded, before any job)
    ihdr = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    broken = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in ((b"IHDR", ihdr), (b"IDAT", zlib.compress(b"\0" * 1000)), (b"IEND", b"")))  # fmt: skip
    accounts = live_scheduler.service.demo_accounts
    r = requests.post(f"{live_scheduler.url}/api/v1/admin/media", files={"file": ("poster-rusak.png", broken)},
                      auth=("editor", accounts.editor_password), timeout=60)  # fmt: skip
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while live_scheduler.service.media_jobs.job(r.json()["job"]["id"])["state"] != "failed":
        assert time.monotonic() < deadline, "the job did not fail"
        time.sleep(0.1)
    page = new_page(browser)
    login(page, live_scheduler.url, "editor", accounts.editor_password)
    page.goto(f"{live_scheduler.url}/admin/")
    alert = page.inner_text(".alert-media_failed")
    assert "poster-rusak.png" in alert
    assert "pemrosesan media gagal: Gambarnya terlalu besar (400 megapiksel); batasnya 50 megapiksel." in alert
    screenshot_everywhere(page, shots, "beranda-media-gagal")
