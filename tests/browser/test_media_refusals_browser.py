"""A failed media conversion as staff see it in Chromium: the reason in Indonesian on the home page."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_support import login, new_page, screenshot_everywhere

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_failed_conversion_is_told_in_indonesian_on_the_home_page(
    browser: Any, live_scheduler: Any, tmp_path: Path, shots: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240:d=3",
                    "-c:v", "libx264", "-preset", "ultrafast", str(clip)], check=True)  # fmt: skip
    broken = clip.read_bytes()[: clip.stat().st_size // 2]  # moov at the end: cut off
    accounts = live_scheduler.service.demo_accounts
    r = requests.post(f"{live_scheduler.url}/api/v1/admin/media", files={"file": ("video-rusak.mp4", broken)},
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
    assert "video-rusak.mp4" in alert
    assert "pemrosesan media gagal: Berkas rusak atau tidak lengkap. Simpan atau ekspor ulang" in alert
    screenshot_everywhere(page, shots, "beranda-media-gagal")
