"""Open fleet alerts on Beranda and Layar in real headless Chromium (Indonesian by default)."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import login

from scheduler.fleet_alerts import Finding, FleetAlerts

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_open_fleet_alerts_show_on_home_and_displays_until_resolved(browser: Any, live_scheduler: Any) -> None:
    service = live_scheduler.service
    alerts = FleetAlerts(service, make_channels=lambda config: {})  # shown only: no channel configured
    now = service.clock()
    alerts.sync([Finding("low_disk", "kantor-bupati", "Kantor Bupati", {"problem": "120 MB free"})], now)
    page = browser.new_page()
    login(page, live_scheduler.url, "admin", service.demo_accounts.admin_password)
    card = page.locator("#fleet-alerts")
    assert "Peringatan layar" in card.inner_text()
    assert "Disk layar Kantor Bupati hampir penuh: tersisa 120 MB." in card.inner_text()  # no English fragment
    page.goto(f"{live_scheduler.url}/admin/displays")
    assert "Disk layar Kantor Bupati hampir penuh" in page.locator("#fleet-alerts").inner_text()
    alerts.sync([], now)  # the condition cleared
    page.goto(f"{live_scheduler.url}/admin/")
    assert "Tidak ada peringatan layar yang terbuka." in page.locator("#fleet-alerts").inner_text()
    page.goto(f"{live_scheduler.url}/admin/displays")
    assert page.locator("#fleet-alerts").count() == 0  # Layar shows the card only while alerts are open
