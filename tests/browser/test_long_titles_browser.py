"""A title typed without spaces (a pasted address, a_long_file_name) wraps; it never widens a page.

Found by the fourth review's Chromium walk: one 200-character title made Beranda 2,315 px wide at 1366 and pushed
every other column of the announcement list, Jadwal and Audit out of view (Audit for good: it keeps its entries).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from browser_support import LAPTOP, PHONE, login, new_page
from tests_support import post_approve

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_S = 10


def test_a_title_without_spaces_wraps_on_every_page_it_is_listed(browser: Any, live_scheduler: Any) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    editor = ("editor", service.demo_accounts.editor_password)
    admin = ("admin", service.demo_accounts.admin_password)
    r = requests.post(f"{base}/api/v1/admin/announcements", auth=editor, timeout=TIMEOUT_S,
                      json={"title": "X" * 200, "body": "isi", "targets": {"groups": ["kabupaten"]}})  # fmt: skip
    ann = r.json()["announcement"]["id"]
    requests.post(f"{base}/api/v1/admin/announcements/{ann}/submit", auth=editor,
                  timeout=TIMEOUT_S).raise_for_status()  # fmt: skip
    post_approve(f"{base}/api/v1/admin/announcements/{ann}/approve", auth=admin, timeout=TIMEOUT_S).raise_for_status()
    page = new_page(browser)
    login(page, base, "admin", service.demo_accounts.admin_password)
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        for path in ("/admin/", "/admin/announcements", f"/admin/announcements/{ann}",
                     "/admin/schedule?display=kantor-bupati", "/admin/audit"):  # fmt: skip
            page.goto(base + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], (path, size, width)
    page.set_viewport_size(LAPTOP)  # other cells keep their words whole: the user name is not cut to "admi-n"
    page.goto(base + "/admin/audit")
    cell = page.locator("table tbody tr td:nth-child(2)").first
    lines = cell.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); "
                          "return new Set(Array.from(r.getClientRects(), q => Math.round(q.top))).size; }")  # fmt: skip
    assert lines == 1, (cell.inner_text(), lines)
