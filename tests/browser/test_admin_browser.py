"""The web admin in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_editor_writes_admin_approves_in_the_browser(browser: Any, live_scheduler: Any) -> None:
    base = live_scheduler.url
    accounts = live_scheduler.service.demo_accounts
    page = browser.new_page()
    login(page, base, "editor", "salah-sandi")
    assert "Nama pengguna atau kata sandi salah" in page.inner_text("[role=alert]")

    login(page, base, "editor", accounts.editor_password)
    assert "Beranda" in page.inner_text("h1")
    page.goto(f"{base}/admin/announcements/new")
    page.fill("#title", "Donor Darah PMI Mempawah")
    page.fill("#body", "Sabtu pukul 08.00 WIB di Aula Kantor Bupati.")
    page.check("input[name=display][value=kantor-bupati]")
    page.click("text=Simpan sebagai draf")
    assert "Tersimpan sebagai draf" in page.inner_text("[role=status]")
    assert "Draf" in page.inner_text("#status")
    assert page.locator("#approve").count() == 0  # an editor cannot approve

    # Missing target: a clear message naming the field in Indonesian; what was typed stays.
    page.goto(f"{base}/admin/announcements/new")
    page.fill("#title", "Tanpa tujuan")
    page.click("text=Simpan sebagai draf")
    assert "Layar tujuan" in page.inner_text("[role=alert]")
    assert page.input_value("#title") == "Tanpa tujuan"
    page.goto(f"{base}/admin/announcements?q=Tanpa")
    assert page.locator("#announcements tr", has_text="Tanpa tujuan").count() == 0

    admin_page = browser.new_page()
    login(admin_page, base, "admin", accounts.admin_password)
    admin_page.goto(f"{base}/admin/announcements")
    admin_page.click("#announcements >> text=Donor Darah PMI Mempawah")
    admin_page.click("#approve")
    assert "Tayang" in admin_page.inner_text("#status")
    latest = live_scheduler.service.publisher.latest("kantor-bupati")
    assert "Donor Darah PMI Mempawah" in latest.body.decode()


def test_upload_shows_processing_progress_in_the_admin(browser: Any, live_scheduler: Any, tmp_path: Any) -> None:
    from PIL import Image

    poster = tmp_path / "Lomba Sampan.png"
    Image.new("RGB", (1000, 700), (20, 90, 160)).save(poster)
    page = browser.new_page()
    login(page, live_scheduler.url, "editor", live_scheduler.service.demo_accounts.editor_password)
    page.goto(f"{live_scheduler.url}/admin/announcements/new")
    page.fill("#title", "Lomba Sampan Bidar")
    page.set_input_files("#file", str(poster))
    page.wait_for_selector("#upload-status.ok", timeout=30000)  # the XHR upload finished (strict CSP: no eval)
    assert len(page.input_value("#media_sha256")) == 64
    assert "Gambar diterima" in page.inner_text("#upload-status")
    assert page.get_attribute("#upload-progress", "value") == "100"
    page.check("input[name=group][value=kabupaten]")
    page.click("text=Simpan sebagai draf")
    assert "Gambar" in page.inner_text("dl.facts")
    assert "siap untuk setiap ukuran layar" in page.inner_text("main")
    assert page.locator("#previews img.thumb").count() == 3  # one per canvas of the kabupaten group
