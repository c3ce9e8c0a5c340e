"""The Sumber data page in real headless Chromium: an admin tests and adds a village, an approver airs a held jump.

Screenshots land in ``<pytest basetemp>/admin-screenshots/`` at 1366x768 and 390x844.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import LAPTOP, login, screenshot_everywhere
from sources_support import poll_now

from content.sources.fakeopensid import FakeOpenSid
from scheduler.auth import create_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def fake() -> Iterator[FakeOpenSid]:
    server = FakeOpenSid("esensi").start()
    yield server
    server.stop()


def test_sources_page_in_the_browser(browser: Any, live_scheduler: Any, fake: FakeOpenSid, shots: Path) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    page = browser.new_page(viewport=LAPTOP)
    login(page, base, "admin", service.demo_accounts.admin_password)
    page.click("nav >> text=Sumber data")
    page.fill("#id", "desa-sungai-bakau")
    page.fill("#name", "Desa Sungai Bakau")
    page.fill("#url", fake.url)
    page.fill("#options", '{"categories": ["jenis-kelamin", "agama", "pekerjaan", "pendidikan-dalam-kk"]}')
    page.click("text=Uji sekarang")
    assert "5.861" in page.inner_text("#test-result")
    assert page.input_value("#id") == "desa-sungai-bakau"  # the form keeps what was typed
    screenshot_everywhere(page, shots, "20-sumber-data-uji")
    page.click("text=Simpan sumber")
    assert "disimpan" in page.inner_text("[role=status]")

    # Its first data waits for an approver other than the admin who chose the site to read its words.
    poll_now(service, "desa-sungai-bakau")
    page.goto(f"{base}/admin/sources/desa-sungai-bakau")
    words = page.inner_text("#held-texts")
    assert "Agama" in words and "ISLAM" in words and "Dusun Parit Baru" in words
    assert page.locator("#approve-snapshot").count() == 0 and page.locator("#review-by-other").count() == 1
    screenshot_everywhere(page, shots, "20b-sumber-data-pertama")
    with service.lock:
        create_user(service.db, "penyetuju", "approver", "password-penyetuju", service.now_iso())
    approver = browser.new_page(viewport=LAPTOP)
    login(approver, base, "penyetuju", "password-penyetuju")
    approver.goto(f"{base}/admin/sources/desa-sungai-bakau")
    approver.click("#approve-snapshot")
    assert "disetujui" in approver.inner_text("[role=status]") and approver.locator("#held").count() == 0
    good = approver.inner_text("#good-summary")  # on air now: why it was held is no longer a problem of it
    assert "ISLAM" not in good and "belum pernah disetujui" not in good, good

    fake.scale = 10
    poll_now(service, "desa-sungai-bakau")
    page.goto(f"{base}/admin/sources")
    assert "Ditahan" in page.inner_text("#sources")
    screenshot_everywhere(page, shots, "21-sumber-data")
    page.click("#sources >> text=Desa Sungai Bakau")
    held = page.inner_text("#held-table")
    assert "5.861" in held and "58.610" in held
    screenshot_everywhere(page, shots, "22-sumber-data-ditahan")
    approver.goto(f"{base}/admin/sources/desa-sungai-bakau")
    approver.click("#approve-snapshot")
    assert "disetujui" in approver.inner_text("[role=status]") and approver.locator("#held").count() == 0
    assert "58.610" in approver.inner_text("#good-summary")
