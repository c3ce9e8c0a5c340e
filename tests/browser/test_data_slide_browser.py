"""A staffer makes a village statistics slide in the announcement form, in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import login, new_page, screenshot_everywhere
from sources_support import add_village_with_good_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_data_slide_is_chosen_in_the_form_and_previewed_on_its_page(
    browser: Any, live_scheduler: Any, shots: Path
) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    add_village_with_good_data(service)
    page = new_page(browser)
    login(page, base, "editor", service.demo_accounts.editor_password)
    page.goto(base + "/admin/announcements/new")
    assert page.locator("#slide-sources").is_hidden() and page.locator("#file-field").is_visible()
    page.fill("#title", "Agama Penduduk Sungai Bakau")
    page.select_option("#slide", "bars")
    assert page.locator("#slide-sources").is_visible() and page.locator("#slide-series").is_visible()
    assert page.locator("#file-field").is_hidden() and page.locator("#body-field").is_hidden()
    page.locator("input[name=slide_source][value=desa-sungai-bakau]").check()
    page.select_option("#slide_series", "agama")
    page.locator("input[name=group][value=kabupaten]").check()
    screenshot_everywhere(page, shots, "pengumuman-slide-data")
    page.select_option("#slide", "population")  # population: sources stay, the category goes
    assert page.locator("#slide-series").is_hidden() and page.locator("#slide-sources").is_visible()
    page.select_option("#slide", "bars")
    with page.expect_navigation():
        page.locator("#announcement-form button[name=save]").click()
    assert page.locator(".flash.err").count() == 0, page.locator("main").inner_text()[:600]
    facts = page.locator("#slide-facts").inner_text()
    assert "Satu kategori sebagai batang" in facts and "Desa Sungai Bakau" in facts and "Agama" in facts
    image = page.locator("#previews img.thumb").first
    image.wait_for()
    page.wait_for_function("() => Array.from(document.querySelectorAll('#previews img')).every(i => i.complete)")
    assert image.evaluate("i => i.naturalWidth") > 100  # drawn, not a broken image
    screenshot_everywhere(page, shots, "pengumuman-slide-data-detail")
