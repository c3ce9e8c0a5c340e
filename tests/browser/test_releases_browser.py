"""Layar → Pembaruan pemutar in real headless Chromium: an admin offers a release to a group, a refusal names
what to choose, and each display's running version and update state show on the fleet pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from browser_support import LAPTOP, PHONE, assert_fits_phone, login
from release_support import add_fake_release
from tests_support import enrol

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DISPLAY = "desa-antibar"


def test_offering_a_release_and_seeing_each_players_update(browser: Any, live_scheduler: Any, tmp_path: Path) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    add_fake_release(service, tmp_path, "0.6.0")
    token = enrol(live_scheduler, DISPLAY, "WEB234")["token"]
    admin = ("admin", service.demo_accounts.admin_password)
    display = requests.get(f"{base}/api/v1/admin/displays/{DISPLAY}", auth=admin, timeout=10).json()["display"]
    group = display["groups"][0]
    group_name = service.db.table("groups").get(group)["name"]  # staff see the group's name, not its id
    page = browser.new_page(viewport=LAPTOP)
    login(page, base, "admin", service.demo_accounts.admin_password)
    page.goto(f"{base}/admin/displays")
    page.click("text=Pembaruan pemutar")
    assert "0.6.0" in page.inner_text("#releases")

    page.click("text=Tawarkan ke grup ini")  # no group chosen: the browser's own check keeps the form
    assert page.url.endswith("/admin/releases")
    page.evaluate("document.querySelector('#offer-group').removeAttribute('required')")
    page.click("text=Tawarkan ke grup ini")  # sent anyway: the server refuses and says what to choose
    assert "Pilih rilis dan grup" in page.inner_text("[role=alert]")

    page.select_option("#offer-group", group)
    page.click("text=Tawarkan ke grup ini")
    assert f"Rilis 0.6.0 ditawarkan ke grup {group_name}" in page.inner_text("[role=status]")
    assert page.inner_text("#release-0\\.6\\.0 td:last-child").strip() == group_name
    assert list(service.db.table("release_offers").rows_where("group_id = ?", [group]))

    beat = {"status": "playing", "app_version": "0.1.0",
            "update": {"state": "rolled_back", "version": "0.6.0", "detail": "exited with status 1 3 times"}}
    requests.post(f"{base}/api/v1/player/heartbeat", json=beat, headers={"Authorization": f"Bearer {token}"},
                  timeout=10).raise_for_status()
    page.goto(f"{base}/admin/displays")
    cell = page.inner_text(f"#display-{DISPLAY}")
    assert "0.1.0" in cell and "pembaruan 0.6.0: dikembalikan ke versi sebelumnya" in cell
    page.goto(f"{base}/admin/displays/{DISPLAY}")
    assert "pembaruan 0.6.0: dikembalikan ke versi sebelumnya" in page.inner_text("main")
    page.goto(f"{base}/admin/releases")
    row = page.inner_text(f"#player-{DISPLAY}")
    assert "0.1.0" in row and "exited with status" not in row  # an old player's English reason, translated:
    assert "versi baru berhenti dengan status keluar 1 sebanyak 3 kali sebelum melapor sehat" in row
    page.set_viewport_size(PHONE)
    assert_fits_phone(page, "Pembaruan pemutar")  # usable on a phone

    page.set_viewport_size(LAPTOP)
    assert page.inner_text(f"#offer-{group}").startswith(f"{group_name}: 0.6.0")
    page.click(f"#offer-{group} >> text=Tarik")
    assert f"Grup {group_name} tidak lagi ditawari rilis" in page.inner_text("[role=status]")
    assert not list(service.db.table("release_offers").rows_where("group_id = ?", [group]))
