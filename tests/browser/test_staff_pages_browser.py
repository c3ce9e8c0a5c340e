"""The staff pages of this round with something to show, in real headless Chromium against the real scheduler:
open fleet alerts (Beranda, Layar), a release offered to a group with each player's update state (Pembaruan
pemutar, Layar, a display's page) and an approved emergency with a push receipt and an acknowledgement (Darurat).

Each page is screenshot at 1366x768 (full page) and the key ones at 390x844 into var/test-output/browser/panduan/
(the source of docs/img/panduan/); on the phone no page may scroll sideways, and no Indonesian page shows raw
English status words or internal ids meant for machines.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_support import LAPTOP, PHONE, login, new_page, shoot
from release_support import add_fake_release
from tests_support import enrol, post_approve

from scheduler.fleet_alerts import Finding, FleetAlerts, findings
from signage.clock import format_utc

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUTPUT = Path(__file__).resolve().parents[2] / "var" / "test-output" / "browser" / "panduan"
TIMEOUT_S = 10
SHOWN, REFUSED = "kec-sungai-pinyuh", "kantor-bupati"
MB = 1024 * 1024
SHOWN_BEAT = {"status": "playing", "app_version": "0.5.0", "free_disk_bytes": 9000 * MB, "clock_offset_s": 420.0,
              "update": {"state": "downloading", "version": "0.6.0"}}  # fmt: skip
CRASH = "exited with status 1 3 times before reporting healthy"
REFUSED_BEAT = {"status": "playing", "app_version": "0.5.0", "free_disk_bytes": 120 * MB, "clock_offset_s": 0.4,
                "update": {"state": "rolled_back", "version": "0.6.0", "detail": CRASH, "code": "crash_loop",
                           "params": {"status": 1, "crashes": 3}}}  # fmt: skip


def _beat(base: str, token: str, body: dict[str, Any]) -> None:
    requests.post(f"{base}/api/v1/player/heartbeat", json=body, headers={"Authorization": f"Bearer {token}"},
                  timeout=TIMEOUT_S).raise_for_status()  # fmt: skip


def _emergency(live: Any, tokens: dict[str, str]) -> int:
    """An editor prepares an emergency for two screens, the admin approves it; one screen's player receipts the
    push and shows it, the other refuses it."""
    base, service = live.url, live.service
    editor = ("editor", service.demo_accounts.editor_password)
    admin = ("admin", service.demo_accounts.admin_password)
    until = format_utc(datetime.now(UTC) + timedelta(hours=2))
    body = {
        "title": "Banjir di Sungai Pinyuh",
        "body": "Hindari Jalan Raya Sungai Pinyuh.",
        "layer": "emergency",
        "targets": {"displays": [SHOWN, REFUSED]},
        "ends_at": until,
    }
    r = requests.post(f"{base}/api/v1/admin/announcements", auth=editor, timeout=TIMEOUT_S, json=body)
    r.raise_for_status()
    ann = int(r.json()["announcement"]["id"])
    requests.post(f"{base}/api/v1/admin/announcements/{ann}/submit", auth=editor, timeout=TIMEOUT_S).raise_for_status()
    post_approve(f"{base}/api/v1/admin/announcements/{ann}/approve", auth=admin, timeout=TIMEOUT_S).raise_for_status()
    with service.lock:
        seq = service.db.execute("select max(seq) from emergency_pushes where announcement_id = ?", [ann]).fetchone()[0]
    receipts = f"{base}/api/v1/player/emergency-receipts"
    refused = {"seq": seq, "outcome": "refused", "reason": f"emergency message emg-{seq} expired at {until}",
               "code": "expired", "params": {"expired_at": until}}  # its PC clock is hours ahead
    for display, body in ((SHOWN, {"seq": seq, "outcome": "shown"}), (REFUSED, refused)):  # fmt: skip
        requests.post(receipts, json=body, headers={"Authorization": f"Bearer {tokens[display]}"},
                      timeout=TIMEOUT_S).raise_for_status()  # fmt: skip
    _beat(base, tokens[SHOWN], {**SHOWN_BEAT, "emergency_items": [f"ann-{ann}"]})
    return ann


def test_staff_pages_of_this_round_on_laptop_and_phone(browser: Any, live_scheduler: Any, tmp_path: Path) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    tokens = {d: enrol(live_scheduler, d, code)["token"] for d, code in ((SHOWN, "SCR234"), (REFUSED, "SCR567"))}
    add_fake_release(service, tmp_path, "0.6.0")
    admin_auth = ("admin", service.demo_accounts.admin_password)
    group = requests.get(f"{base}/api/v1/admin/displays/{SHOWN}", auth=admin_auth,
                         timeout=TIMEOUT_S).json()["display"]["groups"][0]  # fmt: skip
    _beat(base, tokens[SHOWN], SHOWN_BEAT)
    _beat(base, tokens[REFUSED], REFUSED_BEAT)
    now = service.clock()
    alerts = FleetAlerts(service, make_channels=lambda config: {})  # shown only: no channel configured
    found = findings(service, now)  # the real rules: low disk and a wrong clock from the heartbeats above
    assert {f.kind for f in found} >= {"low_disk", "clock"}
    stale = format_utc(now - timedelta(hours=3))
    alerts.sync([*found, Finding("offline", "desa-antibar", "LED P10 Kantor Desa Antibar", {"since": stale})], now)
    ann = _emergency(live_scheduler, tokens)

    page = new_page(browser)
    login(page, base, "admin", service.demo_accounts.admin_password)
    page.goto(f"{base}/admin/releases")
    page.select_option("#offer-group", group)
    page.click("text=Tawarkan ke grup ini")
    group_name = service.db.table("groups").get(group)["name"]
    assert f"Rilis 0.6.0 ditawarkan ke grup {group_name}" in page.inner_text("[role=status]")  # its name, not id

    page.goto(f"{base}/admin/")
    disk = "Disk layar Videotron Kantor Bupati Mempawah hampir penuh: tersisa 120 MB."
    assert disk in page.inner_text("#fleet-alerts")
    shoot(page, OUTPUT, "beranda", phone=True)
    page.goto(f"{base}/admin/displays")
    assert "Peringatan layar" in page.inner_text("#fleet-alerts")
    shoot(page, OUTPUT, "layar", phone=True)
    page.goto(f"{base}/admin/releases")
    assert page.inner_text("#release-0\\.6\\.0 td:last-child").strip() == group_name
    rolled_back = page.inner_text(f"#player-{REFUSED}")  # the launcher's reason, in Indonesian
    assert "versi baru berhenti dengan status keluar 1 sebanyak 3 kali sebelum melapor sehat" in rolled_back
    assert CRASH not in page.inner_text("body")
    shoot(page, OUTPUT, "pembaruan-pemutar", phone=True)
    page.set_viewport_size(PHONE)  # stacked rows: every value starts at the same place, whatever its label
    lefts = page.evaluate("() => [...document.querySelectorAll('#releases td > div, #players td > div')]"
                          ".map(d => Math.round(d.getBoundingClientRect().left))")  # fmt: skip
    page.set_viewport_size(LAPTOP)
    assert len(lefts) >= 12 and len(set(lefts)) == 1, f"values not aligned on a phone: {lefts}"
    page.goto(f"{base}/admin/displays/{REFUSED}")
    shoot(page, OUTPUT, "layar-detail", phone=True)
    page.goto(f"{base}/admin/emergency")
    assert "pesan darurat diterima" in page.inner_text(f"#ack-{ann}-{SHOWN}")
    refusal = page.inner_text(f"#ack-{ann}-{REFUSED}")
    assert "pesan darurat ditolak" in refusal and "jam PC-nya kemungkinan salah" in refusal  # valid until 2 h on
    assert "expired" not in page.inner_text("body") and "pesan pemutar (bahasa Inggris)" not in refusal
    shoot(page, OUTPUT, "darurat-konfirmasi-layar", phone=True)
