"""The approval workflow, the emergency form, users and audit in real headless Chromium; screenshots of every page.

Screenshots land in ``<pytest basetemp>/admin-screenshots/`` at 1366x768 (laptop) and 390x844 (phone).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from browser_support import login, new_page, screenshot_everywhere

pytestmark = [pytest.mark.browser, pytest.mark.slow]


UNLABELLED_FIELDS_JS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => !['hidden', 'submit', 'button'].includes(e.type))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id)"""


def screenshot_labelled(page: Any, shots: Path, name: str) -> None:
    """Every field of the page has a label (keyboard and screen-reader use); then the page at laptop and phone
    size, where it must not scroll sideways."""
    assert page.evaluate(UNLABELLED_FIELDS_JS) == [], f"{name}: fields without a label"
    screenshot_everywhere(page, shots, name)


def test_login_and_navigation_work_with_the_keyboard_alone(browser: Any, live_scheduler: Any) -> None:
    page = new_page(browser)
    page.goto(f"{live_scheduler.url}/admin/login")
    page.keyboard.type("editor")  # the user name field has focus on arrival
    page.keyboard.press("Tab")
    page.keyboard.type(live_scheduler.service.demo_accounts.editor_password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Langsung ke isi"  # skip link first
    for _ in range(12):  # Tab through the header into the menu until "Pengumuman"
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent") == "Pengumuman":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/announcements")
    assert page.inner_text("h1") == "Pengumuman"


def create_user_in_browser(admin: Any, base: str, username: str, role: str) -> str:
    admin.goto(f"{base}/admin/users")
    admin.fill("#new-username", username)
    admin.select_option("#new-role", role)
    admin.click("text=Buat pengguna")
    password = admin.inner_text("#new-password code")
    assert len(password) >= 12
    return str(password)


def first_login(page: Any, base: str, username: str, password: str, new_password: str) -> None:
    login(page, base, username, password)
    assert page.url.endswith("/admin/password")  # a password set by an admin must be changed first
    page.fill("#current_password", password)
    page.fill("#new_password", new_password)
    page.fill("#repeat_password", new_password)
    page.click("text=Simpan kata sandi")
    assert "Kata sandi Anda sudah diganti" in page.inner_text("[role=status]")


def test_editor_submits_approver_rejects_then_approves_and_audit_shows_each_step(
    browser: Any, live_scheduler: Any, tmp_path: Path, shots: Path
) -> None:
    from PIL import Image

    base = live_scheduler.url
    service = live_scheduler.service
    accounts = service.demo_accounts
    poster = tmp_path / "Posyandu Balita.png"
    Image.new("RGB", (1200, 800), (30, 120, 60)).save(poster)

    admin = new_page(browser)
    admin.goto(f"{base}/admin/login")
    screenshot_labelled(admin, shots, "01-login")
    login(admin, base, "admin", accounts.admin_password)
    approver_password = create_user_in_browser(admin, base, "penyetuju", "approver")
    screenshot_labelled(admin, shots, "08-pengguna")

    # The editor writes: an image, weekday mornings, one group, valid until a date; then submits.
    editor = new_page(browser)
    login(editor, base, "editor", accounts.editor_password)
    editor.click("nav >> text=Pengumuman")
    editor.click("#new-announcement")
    editor.fill("#title", "Posyandu Balita Bulan Desember")
    editor.fill("#body", "Timbang dan imunisasi gratis di Puskesmas Sungai Pinyuh.")
    editor.set_input_files("#file", str(poster))
    editor.wait_for_selector("#upload-status.ok", timeout=60000)
    assert "Gambar diterima" in editor.inner_text("#upload-status")
    editor.select_option("#recurrence", "weekdays")
    editor.fill("#from_time", "07:00")
    editor.fill("#to_time", "10:00")
    editor.fill("#valid_until", "2027-01-31T17:00")
    editor.check("input[name=group][value=kec-sungai-pinyuh]")
    screenshot_labelled(editor, shots, "04-pengumuman-baru")
    editor.click("text=Simpan dan ajukan untuk disetujui")
    assert "Diajukan" in editor.inner_text("#status")
    detail_url = editor.url
    ann_id = int(detail_url.rstrip("/").rsplit("/", 1)[1])
    with service.lock:
        row = service.db.table("announcements").get(ann_id)
    assert json.loads(row["schedule"]) == {"preset": "weekdays", "dayparts": [{"start": "07:00", "end": "10:00"}]}
    assert json.loads(row["targets"]) == {"displays": [], "groups": ["kec-sungai-pinyuh"]}
    assert row["ends_at"] == "2027-01-31T10:00:00Z"  # 17.00 WIB
    assert row["kind"] == "image"
    assert "Hari kerja (Senin-Jumat) · 07.00-10.00" in editor.inner_text("dl.facts")

    # The same editor cannot approve: no button, and a POST by URL is refused.
    assert editor.locator("#approve").count() == 0
    token = editor.get_attribute("input[name=csrf_token]", "value")
    refused = editor.request.post(f"{detail_url}/approve", form={"csrf_token": token})
    assert refused.status == 403
    with service.lock:
        assert service.db.table("announcements").get(ann_id)["status"] == "submitted"

    # The approver (first login: own password) rejects with a reason.
    approver = new_page(browser)
    first_login(approver, base, "penyetuju", approver_password, "sandi-penyetuju-2026")
    assert "Posyandu Balita Bulan Desember" in approver.inner_text("#waiting-box")
    screenshot_labelled(approver, shots, "02-beranda")
    approver.goto(detail_url)
    approver.click("text=Tolak dengan alasan")
    approver.fill("#reject-reason", "Tulis jam pelayanan di poster.")
    approver.click("button:has-text('Tolak')")
    assert "Ditolak" in approver.inner_text("#status")

    # The editor sees the reason, fixes and resubmits.
    editor.goto(detail_url)
    assert "Tulis jam pelayanan di poster." in editor.inner_text("#reason")
    screenshot_labelled(editor, shots, "05-pengumuman-ditolak")
    editor.click("#edit")
    assert editor.input_value("#from_time") == "07:00"  # the form shows what was saved
    assert editor.input_value("#title") == "Posyandu Balita Bulan Desember"
    editor.fill("#title", "Posyandu Balita Desember, 08.00-12.00 WIB")
    editor.click("text=Simpan dan ajukan untuk disetujui")
    assert "Diajukan" in editor.inner_text("#status")

    # The approver approves; the group's screens get it in their signed manifest.
    approver.goto(detail_url)
    approver.click("#approve")
    assert "Disetujui" in approver.inner_text("[role=status]")
    # 07:00-10:00 on the machine's clock: on now, later or done today, or not today (its dates)
    assert approver.inner_text("#status") in ("Tayang", "Disetujui, belum mulai", "Disetujui, tayang nanti hari ini",
                                              "Disetujui, selesai tayang hari ini", "Disetujui, tidak tayang hari ini")
    assert "Posyandu Balita Desember" in service.publisher.latest("kec-sungai-pinyuh").body.decode()
    assert "Posyandu Balita Desember" not in service.publisher.latest("kantor-bupati").body.decode()
    screenshot_labelled(approver, shots, "06-pengumuman-detail")

    history = approver.inner_text("#history")
    for step in ("membuat", "mengajukan", "menolak", "mengubah", "menyetujui"):
        assert step in history, step

    # The audit page lists each step with who did it.
    admin.goto(f"{base}/admin/audit?action=announcement")
    audit = admin.inner_text("#audit")
    for action in (  # in words (the codes only as tooltips)
        "Menulis pengumuman",
        "Mengajukan untuk disetujui",
        "Menolak pengumuman",
        "Mengubah pengumuman",
        "Menyetujui pengumuman",
    ):
        assert action in audit, action
    assert "announcement.create" not in audit
    assert "penyetuju" in audit and "editor" in audit
    screenshot_labelled(admin, shots, "09-audit")

    editor.goto(f"{base}/admin/announcements")
    screenshot_labelled(editor, shots, "03-pengumuman")


def test_emergency_form_needs_confirmation_and_a_second_approver(
    browser: Any, live_scheduler: Any, shots: Path
) -> None:
    base = live_scheduler.url
    service = live_scheduler.service
    admin = new_page(browser)
    login(admin, base, "admin", service.demo_accounts.admin_password)
    approver_password = create_user_in_browser(admin, base, "siaga", "approver")
    approver = new_page(browser)
    first_login(approver, base, "siaga", approver_password, "sandi-siaga-2026")
    approver.click("nav >> text=Darurat")
    approver.check("input[name=severity][value=emergency]")
    approver.fill("#title", "Banjir di Sungai Pinyuh")
    approver.fill("#message", "Hindari Jalan Raya Sungai Pinyuh. Ikuti arahan petugas BPBD.")
    approver.check("input[name=scope][value=groups]")
    approver.check("input[name=group][value=kec-sungai-pinyuh]")
    approver.fill("#ends_local", "2030-12-01T18:00")
    screenshot_labelled(approver, shots, "07-darurat")
    approver.click("text=Lanjutkan")
    assert "DARURAT: Banjir di Sungai Pinyuh" in approver.inner_text("#confirm")
    screenshot_labelled(approver, shots, "07-darurat-konfirmasi")
    with service.lock:
        assert service.db.table("announcements").count_where("layer = 'emergency'") == 0  # not before confirming
    approver.click("#confirm-send")
    assert "Penyetuju lain harus menyetujuinya" in approver.inner_text("[role=status]")
    assert approver.locator("#approve").count() == 0  # two-person rule: not the one who prepared it

    admin.goto(f"{base}/admin/")
    assert "DARURAT: Banjir di Sungai Pinyuh" in admin.inner_text("#pending-emergency + ul")
    admin.goto(f"{base}/admin/emergency")
    admin.click("#pending-emergencies >> text=Setujui dan tayangkan sekarang")
    assert "Tayang" in admin.inner_text("#status")
    body = service.publisher.latest("kec-sungai-pinyuh").body.decode()
    assert "Banjir di Sungai Pinyuh" in body and '"emergency"' in body
    assert "Banjir" not in service.publisher.latest("kantor-bupati").body.decode()
    admin.goto(f"{base}/admin/")
    assert "DARURAT: Banjir di Sungai Pinyuh" in admin.inner_text("#on-air-table")
