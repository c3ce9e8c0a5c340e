"""Every filter form of the admin (method GET), sent as Chromium sends it: optional fields left empty.

Found on a staffer's walk: on Jadwal, choosing another screen and pressing Tampilkan with no preview time sent
``at=`` (an empty time input), which the address check refused with "Permintaan ditolak". The tests before
opened addresses they had typed, never the form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import login, new_page, screenshot_everywhere

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _error_page(page: Any) -> bool:
    return "Permintaan ditolak" in page.content() or page.locator(".flash.err").count() > 0


def test_each_filter_form_sent_with_its_buttons_and_empty_fields_shows_its_page(
    browser: Any, live_scheduler: Any
) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    page = new_page(browser)
    login(page, base, "admin", service.demo_accounts.admin_password)
    for path in ("/admin/announcements", "/admin/schedule", "/admin/audit", "/admin/reports"):
        page.goto(base + path)
        forms = page.locator("main form[method=get]")
        assert forms.count() >= 1, path
        buttons = forms.first.locator("button[type=submit]")
        for i in range(buttons.count()):
            page.goto(base + path)
            with page.expect_navigation():
                page.locator("main form[method=get]").first.locator("button[type=submit]").nth(i).click()
            assert not _error_page(page), (path, i, page.url, page.locator("main").inner_text()[:400])


def test_jadwal_shows_another_screen_without_a_time_and_a_whole_day_on_one_sheet(
    browser: Any, live_scheduler: Any, shots: Path
) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    page = new_page(browser)
    login(page, base, "editor", service.demo_accounts.editor_password)
    page.goto(base + "/admin/schedule")
    page.select_option("#display", "desa-antibar")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]:not([name])")
    assert not _error_page(page) and "LED P10 Kantor Desa Antibar" in page.locator("#strip-title").inner_text()
    assert page.locator(".frame-preview").count() == 0  # no time chosen: no frame
    # a time typed as staff write it (09.00) draws that frame
    page.goto(base + "/admin/schedule?display=desa-antibar&at=09.00")
    assert not _error_page(page) and page.locator(".frame-preview").count() == 1
    # nonsense in the address: said in words on the Jadwal page itself
    page.goto(base + "/admin/schedule?display=desa-antibar&at=besok")
    assert "Pratinjau pukul: tulis jam seperti 09.00" in page.locator(".flash.err").inner_text()
    # the whole day, drawn by the player: one tile per item of the main area
    page.goto(base + "/admin/schedule?display=kantor-bupati")
    with page.expect_navigation():
        page.click("#show-sheet")
    assert "sheet=1" in page.url and page.locator("#sheet-error").count() == 0
    image = page.locator("#sheet img.sheet-preview")
    image.wait_for()
    page.wait_for_function("() => document.querySelector('#sheet img').complete")
    size = image.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert size[0] > 600 and size[1] > 200, size  # a real picture, not a broken image
    screenshot_everywhere(page, shots, "jadwal-lembar-kontak")
    response = page.request.get(base + image.get_attribute("src"))
    assert response.status == 200 and response.body().startswith(b"\x89PNG")
    bad_day = page.request.get(base + "/api/v1/admin/preview/displays/kantor-bupati/sheet.png?day=kemarin")
    assert bad_day.status == 400 and bad_day.json()["field"] == "day"
