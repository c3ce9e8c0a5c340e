"""A staffer who gets several things wrong in the announcement form sees every one at once, in Chromium.

Found on a staffer's walk: each save named one mistake, so fixing a form took as many saves as it had mistakes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import login, new_page, screenshot_everywhere

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_every_mistake_is_listed_and_marked_then_one_save_fixes_them(
    browser: Any, live_scheduler: Any, shots: Path
) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    page = new_page(browser)
    login(page, base, "editor", service.demo_accounts.editor_password)
    page.goto(base + "/admin/announcements/new")
    page.fill("#title", "Pemadaman listrik bergilir")
    page.select_option("#layer", "interrupt")  # an interlude needs a share: left empty
    page.fill("#from_time", "07:00")  # hours from, but not to
    page.fill("#valid_from", "2026-12-10T08:00")
    page.fill("#valid_until", "2026-12-09T08:00")  # before it starts
    # no target screen ticked
    page.locator("#announcement-form button[type=submit]").first.click()
    page.wait_for_load_state()
    alert = page.locator(".flash.err[role=alert]")
    assert alert.locator("li").count() == 4, alert.inner_text()
    text = alert.inner_text()
    for words in ("Jatah tayang (%)", "Jam tayang", "Layar tujuan", "Berlaku sampai"):
        assert words in text, text
    assert page.locator(".invalid").count() >= 4
    assert page.input_value("#title") == "Pemadaman listrik bergilir"  # what was typed is kept
    screenshot_everywhere(page, shots, "announcement-form-mistakes")
    # one save with all four fixed
    page.fill("#share_percent", "5")
    page.fill("#to_time", "09:00")
    page.fill("#valid_until", "2026-12-12T08:00")
    page.locator("input[name=group][value=kabupaten]").check()
    page.locator("#announcement-form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".flash.err").count() == 0, page.content()[:2000]
    assert "/admin/announcements/" in page.url and page.url.rstrip("/").rsplit("/", 1)[1].isdigit()


def test_a_change_of_language_on_an_untouched_form_says_nothing_came_back(browser: Any, live_scheduler: Any) -> None:
    """Found on a staffer's walk: switching the language on an empty new-announcement form showed "What you typed
    before the interruption is back in the form" on the empty form."""
    base, service = live_scheduler.url, live_scheduler.service
    page = new_page(browser)
    login(page, base, "editor", service.demo_accounts.editor_password)
    page.goto(base + "/admin/announcements/new")
    for language in ("en", "id"):
        page.select_option("form.lang-form select", language)
        with page.expect_navigation():
            page.locator("form.lang-form button[type=submit]").click()
        assert "/admin/announcements/new" in page.url
        assert not page.is_visible("#draft-restored"), language
    # typed, then the language changed: it comes back and is said to
    page.fill("#title", "Kerja bakti Minggu pagi")
    with page.expect_navigation():
        page.locator("form.lang-form button[type=submit]").click()
    assert page.input_value("#title") == "Kerja bakti Minggu pagi" and page.is_visible("#draft-restored")
