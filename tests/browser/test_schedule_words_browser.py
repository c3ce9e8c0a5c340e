"""Beranda and Jadwal in Chromium: a schedule warning and a day's reason in the staff's words."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_support import login, new_page, screenshot_everywhere
from tests_support import post_approve

from scheduler.schedule import horizon_start

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_schedule_warning_and_day_reason_in_indonesian(browser: Any, live_scheduler: Any, shots: Path) -> None:
    service, accounts = live_scheduler.service, live_scheduler.service.demo_accounts
    api = f"{live_scheduler.url}/api/v1/admin"
    admin, editor = ("admin", accounts.admin_password), ("editor", accounts.editor_password)
    made = requests.post(
        f"{api}/displays",
        auth=admin,
        timeout=30,
        json={"id": "layar-kosong", "name": "Layar Kosong", "width": 768, "height": 432},
    )
    assert made.status_code == 201, made.text
    body = {"title": "Posyandu Senin Rabu Jumat", "targets": {"displays": ["desa-antibar"]},
            "schedule": {"days": ["mon", "wed", "fri"]}}  # fmt: skip
    ann_id = requests.post(f"{api}/announcements", auth=editor, json=body, timeout=30).json()["announcement"]["id"]
    assert post_approve(f"{api}/announcements/{ann_id}/approve", auth=admin, timeout=30).status_code == 200
    service.publisher.publish(["layar-kosong"])

    page = new_page(browser)
    login(page, live_scheduler.url, "editor", accounts.editor_password)
    page.goto(f"{live_scheduler.url}/admin/")
    said = page.inner_text(".alert-schedule")
    assert "Layar Kosong" in said and "tidak ada yang dapat ditampilkan" in said and "UTC" not in said
    screenshot_everywhere(page, shots, "beranda-peringatan-jadwal")
    first = horizon_start(service.clock(), service.config.timezone).date()
    tuesday = next(first + timedelta(days=n) for n in range(7) if (first + timedelta(days=n)).weekday() == 1)
    page.goto(f"{live_scheduler.url}/admin/schedule?display=desa-antibar&day={tuesday.isoformat()}")
    assert "jadwalnya tidak mencakup hari ini" in page.inner_text(f"#item-ann-{ann_id}")
    page.locator(f"#item-ann-{ann_id}").scroll_into_view_if_needed()
    screenshot_everywhere(page, shots, "jadwal-hari-lain")
