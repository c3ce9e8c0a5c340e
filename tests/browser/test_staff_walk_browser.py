"""A staffer's slips in real headless Chromium against the real scheduler: a session that ends mid-form, a change
of language mid-form or on the Jadwal preview, and what the Jadwal page names its zones.

Screenshots land in ``<pytest basetemp>/admin-screenshots/`` at 1366x768 and 390x844; the Jadwal page's in
var/test-output/browser/panduan/ (the source of docs/img/panduan/jadwal.png and jadwal-pratinjau.png).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_support import login, new_page, screenshot_everywhere, shoot

from signage.clock import format_utc

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PANDUAN = Path(__file__).resolve().parents[2] / "var" / "test-output" / "browser" / "panduan"  # docs/img/panduan


def _end_sessions(service: Any) -> None:
    """Every web session idle past the timeout, as after a long phone call."""
    idle = timedelta(seconds=service.config.session_idle_timeout_s + 1)
    with service.lock:
        service.db.execute("update web_sessions set last_seen_at = ?", [format_utc(service.clock() - idle)])


def test_a_session_that_ends_mid_form_returns_to_the_form_with_what_was_typed(
    browser: Any, live_scheduler: Any, tmp_path: Path, shots: Path
) -> None:
    from PIL import Image

    base, service = live_scheduler.url, live_scheduler.service
    poster = tmp_path / "Poster Posyandu.png"
    Image.new("RGB", (1920, 1080), (200, 60, 30)).save(poster)
    editor = new_page(browser)
    login(editor, base, "editor", service.demo_accounts.editor_password)
    editor.goto(f"{base}/admin/announcements/new")
    editor.fill("#title", "Posyandu Balita Desember")
    editor.fill("#body", "Timbang dan imunisasi gratis.")
    editor.set_input_files("#file", str(poster))
    editor.wait_for_selector("#upload-status.ok", timeout=60000)
    editor.select_option("#recurrence", "days")
    editor.check("input[name=days][value=sat]")
    editor.fill("#from_time", "07:00")
    editor.fill("#to_time", "10:00")
    editor.check("input[name=group][value=kec-sungai-pinyuh]")
    editor.check("input[name=display][value=desa-antibar]")
    sha256 = editor.input_value("#media_sha256")
    assert sha256

    _end_sessions(service)
    editor.click("button[name=then_submit]")
    assert editor.url.endswith("/admin/login")  # the ended session cannot save ...
    assert "Sesi Anda sudah berakhir" in editor.inner_text("#session-ended")  # ... and the page says so
    screenshot_everywhere(editor, shots, "sesi-berakhir")
    with service.lock:
        assert service.db.table("announcements").count_where("title = ?", ["Posyandu Balita Desember"]) == 0

    login(editor, base, "editor", service.demo_accounts.editor_password)
    assert editor.url.endswith("/admin/announcements/new")  # back where the staffer was
    assert editor.is_visible("#draft-restored")
    assert editor.input_value("#title") == "Posyandu Balita Desember"
    assert editor.input_value("#body") == "Timbang dan imunisasi gratis."
    assert editor.input_value("#recurrence") == "days" and editor.is_visible("#days-field")
    assert editor.is_checked("input[name=days][value=sat]") and not editor.is_checked("input[name=days][value=mon]")
    assert editor.input_value("#from_time") == "07:00" and editor.input_value("#to_time") == "10:00"
    assert editor.is_checked("input[name=group][value=kec-sungai-pinyuh]")
    assert editor.is_checked("input[name=display][value=desa-antibar]")
    assert editor.input_value("#media_sha256") == sha256  # the uploaded picture is still attached
    assert "tetap terlampir" in editor.inner_text("#upload-status")
    screenshot_everywhere(editor, shots, "pengumuman-dipulihkan")
    editor.click("button[name=then_submit]")
    assert "Diajukan" in editor.inner_text("#status")
    with service.lock:
        row = next(service.db.table("announcements").rows_where("title = ?", ["Posyandu Balita Desember"]))
    assert (row["kind"], row["media_sha256"]) == ("image", sha256)
    assert json.loads(row["schedule"]) == {"days": ["sat"], "dayparts": [{"start": "07:00", "end": "10:00"}]}

    editor.goto(f"{base}/admin/announcements/new")  # saved: the next new announcement starts empty
    assert editor.input_value("#title") == "" and not editor.is_visible("#draft-restored")


def test_a_form_refused_by_the_server_is_not_restored_again_later(browser: Any, live_scheduler: Any) -> None:
    """The copy is for interruptions only: the server's own answer (here: the end before the start) shows the
    typed values itself, and once that form is left the copy is gone."""
    base, service = live_scheduler.url, live_scheduler.service
    editor = new_page(browser)
    login(editor, base, "editor", service.demo_accounts.editor_password)
    editor.goto(f"{base}/admin/announcements/new")
    editor.fill("#title", "Tanggal terbalik")
    editor.fill("#valid_from", "2027-02-10T08:00")
    editor.fill("#valid_until", "2027-02-01T08:00")
    editor.check("input[name=display][value=desa-antibar]")
    editor.click("button[name=save]")
    assert "Berlaku sampai" in editor.inner_text("[role=alert]")
    assert editor.input_value("#title") == "Tanggal terbalik" and not editor.is_visible("#draft-restored")
    editor.goto(f"{base}/admin/announcements")
    editor.goto(f"{base}/admin/announcements/new")
    assert editor.input_value("#title") == "" and not editor.is_visible("#draft-restored")


def test_changing_language_keeps_the_typed_form_and_the_chosen_schedule_view(
    browser: Any, live_scheduler: Any, shots: Path
) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    page = new_page(browser)
    login(page, base, "admin", service.demo_accounts.admin_password)
    page.goto(f"{base}/admin/announcements/new")
    page.fill("#title", "Judul sebelum ganti bahasa")
    page.check("input[name=group][value=kec-mempawah-timur]")
    page.select_option("#language", "en")
    page.click("form.lang-form button")
    assert page.inner_text("h1") == "New announcement"
    assert page.input_value("#title") == "Judul sebelum ganti bahasa"
    assert page.is_checked("input[name=group][value=kec-mempawah-timur]")

    page.goto(f"{base}/admin/schedule?display=desa-antibar&at=09:00")
    page.select_option("#language", "id")
    page.click("form.lang-form button")
    assert page.url.endswith("/admin/schedule?display=desa-antibar&at=09:00")
    assert page.input_value("#display") == "desa-antibar" and page.input_value("#at") == "09:00"
    assert "pukul 09.00" in page.inner_text("#frame-title")


def test_schedule_names_zones_and_layers_in_indonesian(browser: Any, live_scheduler: Any, shots: Path) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    page = new_page(browser)
    login(page, base, "editor", service.demo_accounts.editor_password)
    page.goto(f"{base}/admin/schedule?display=kec-sungai-pinyuh")
    zones = page.eval_on_selector_all("#segments td:nth-child(3)", "cells => cells.map(c => c.innerText.trim())")
    layers = page.eval_on_selector_all("#segments td:nth-child(4)", "cells => cells.map(c => c.innerText.trim())")
    assert {"Utama", "Teks berjalan", "Jam"} <= set(zones), zones  # the demo's screen has a ticker and a clock
    assert not {"main", "ticker", "clock"} & set(zones)
    assert "Lapisan atas" in layers and "Overlay" not in layers
    colours = page.eval_on_selector_all(".legend .swatch", "s => s.map(e => getComputedStyle(e).backgroundColor)")
    assert len(colours) == 6 and len(set(colours)) == 6, colours  # five layers and "now" (today): all told apart
    shoot(page, PANDUAN, "jadwal", phone=True)
    page.goto(f"{base}/admin/schedule?display=kec-sungai-pinyuh&at=11:50")  # the frame the screen shows then
    assert "pukul 11.50" in page.inner_text("#frame-title")
    shoot(page, PANDUAN, "jadwal-pratinjau")


def test_the_back_button_and_sending_again_does_not_make_a_second_announcement(
    browser: Any, live_scheduler: Any, shots: Path
) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    editor = new_page(browser)
    login(editor, base, "editor", service.demo_accounts.editor_password)
    editor.goto(f"{base}/admin/announcements/new")
    editor.fill("#title", "Kerja bakti Sabtu pagi")
    editor.check("input[name=display][value=desa-antibar]")
    editor.click("button[name=then_submit]")
    assert "Diajukan" in editor.inner_text("#status")
    detail = editor.url
    editor.go_back()  # the browser shows the form again, filled in as it was sent
    assert editor.input_value("#title") == "Kerja bakti Sabtu pagi"
    editor.click("button[name=then_submit]")
    assert editor.url == detail  # to what the form made, saying so
    assert "sudah pernah dikirim" in editor.inner_text("[role=status]")
    screenshot_everywhere(editor, shots, "pengumuman-terkirim-dua-kali")
    with service.lock:
        assert service.db.table("announcements").count_where("title = ?", ["Kerja bakti Sabtu pagi"]) == 1

    editor.click("nav >> text=Pengumuman")  # a new form is a new announcement, even with the same title
    editor.click("#new-announcement")
    editor.fill("#title", "Kerja bakti Sabtu pagi")
    editor.check("input[name=display][value=desa-antibar]")
    editor.click("button[name=save]")
    assert editor.url != detail and "draf" in editor.inner_text("[role=status]")
    with service.lock:
        assert service.db.table("announcements").count_where("title = ?", ["Kerja bakti Sabtu pagi"]) == 2


def test_a_form_refused_then_corrected_is_saved(browser: Any, live_scheduler: Any) -> None:
    """A refusal frees the form's id: the corrected form is saved, once."""
    base, service = live_scheduler.url, live_scheduler.service
    editor = new_page(browser)
    login(editor, base, "editor", service.demo_accounts.editor_password)
    editor.goto(f"{base}/admin/announcements/new")
    editor.fill("#title", "Sasaran lupa dipilih")
    editor.click("button[name=save]")
    assert "Layar tujuan" in editor.inner_text("[role=alert]")
    editor.check("input[name=display][value=desa-antibar]")
    editor.click("button[name=save]")
    assert "Draf" in editor.inner_text("#status")
    with service.lock:
        assert service.db.table("announcements").count_where("title = ?", ["Sasaran lupa dipilih"]) == 1


def test_upload_warnings_and_a_too_large_file_are_told_in_indonesian(
    browser: Any, live_scheduler: Any, tmp_path: Path, shots: Path
) -> None:
    import subprocess

    base, service = live_scheduler.url, live_scheduler.service
    clip = tmp_path / "klip kecil.mp4"  # small and short (under a second): enlarged for 1920x1080, flashes by
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-t", "0.8",
                    "-pix_fmt", "yuv420p", str(clip)], check=True, timeout=60)  # fmt: skip
    editor = new_page(browser)
    login(editor, base, "editor", service.demo_accounts.editor_password)
    editor.goto(f"{base}/admin/announcements/new")
    editor.set_input_files("#file", str(clip))
    editor.wait_for_selector("#upload-status.ok", timeout=120000)
    status = editor.inner_text("#upload-status")
    assert "diperbesar 3.0 kali untuk layar 1920x1080" in status and "hanya 0.8 detik" in status, status
    assert "the picture is small" not in status and "flash by" not in status
    editor.fill("#title", "Klip pendek")
    editor.check("input[name=display][value=kantor-bupati]")
    editor.click("button[name=save]")
    notes = editor.inner_text("main")
    assert "akan tampak buram" in notes and "enlarged" not in notes  # the detail page's notes too

    big = tmp_path / "rekaman kamera.mp4"
    with big.open("wb") as handle:
        handle.truncate(600 * 1024 * 1024)  # sparse: 600 MB to the browser, no disk used
    editor.goto(f"{base}/admin/announcements/new")
    editor.set_input_files("#file", str(big))
    editor.wait_for_selector("#upload-status.err", timeout=120000)
    status = editor.inner_text("#upload-status")
    assert "Berkas terlalu besar: paling besar 500 MB" in status and "request body" not in status, status
    screenshot_everywhere(editor, shots, "unggah-terlalu-besar")


def test_withdrawing_a_submitted_announcement_does_not_speak_of_taking_it_off_air(
    browser: Any, live_scheduler: Any
) -> None:
    """Only an approved announcement is on air; one waiting for approval is withdrawn from approval."""
    base, service = live_scheduler.url, live_scheduler.service
    editor = new_page(browser)
    login(editor, base, "editor", service.demo_accounts.editor_password)
    editor.goto(f"{base}/admin/announcements/new")
    editor.fill("#title", "Salah kirim")
    editor.check("input[name=display][value=desa-antibar]")
    editor.click("button[name=then_submit]")
    assert "Diajukan" in editor.inner_text("#status")
    summary = editor.inner_text("form[action$='/withdraw'] >> xpath=ancestor::details/summary")
    assert summary == "Tarik kembali pengajuan"
    editor.click("text=Tarik kembali pengajuan")
    editor.fill("#withdraw-reason", "Gambar belum final.")
    editor.click("form[action$='/withdraw'] button[type=submit]")
    assert editor.inner_text("[role=status]") == "Ditarik: tidak lagi menunggu persetujuan."
    assert "Ditarik" in editor.inner_text("#status")


def test_an_emergency_being_prepared_survives_an_ended_session(browser: Any, live_scheduler: Any) -> None:
    """Even on its confirm page (hidden copies of the fields): after logging in again the form is filled in."""
    base, service = live_scheduler.url, live_scheduler.service
    page = new_page(browser)
    login(page, base, "admin", service.demo_accounts.admin_password)
    page.goto(f"{base}/admin/emergency")
    page.check("input[name=severity][value=emergency]")
    page.fill("#title", "Banjir di Sungai Pinyuh")
    page.fill("#message", "Hindari Jalan Raya Sungai Pinyuh.")
    page.check("input[name=scope][value=groups]")
    page.check("input[name=group][value=kec-sungai-pinyuh]")
    page.fill("#ends_local", "2030-12-01T18:00")
    page.click("text=Lanjutkan")
    assert "Banjir di Sungai Pinyuh" in page.inner_text("#confirm")
    _end_sessions(service)
    page.click("#confirm-send")
    assert "Sesi Anda sudah berakhir" in page.inner_text("#session-ended")
    login(page, base, "admin", service.demo_accounts.admin_password)
    assert page.url.endswith("/admin/emergency") and page.is_visible("#draft-restored")
    assert page.input_value("#title") == "Banjir di Sungai Pinyuh"
    assert page.input_value("#message") == "Hindari Jalan Raya Sungai Pinyuh."
    assert page.is_checked("input[name=severity][value=emergency]")
    assert page.is_checked("input[name=scope][value=groups]") and not page.is_checked("input[name=scope][value=all]")
    assert page.is_checked("input[name=group][value=kec-sungai-pinyuh]")
    assert not page.is_checked("input[name=group][value=kec-mempawah-timur]")
    assert page.input_value("#ends_local") == "2030-12-01T18:00"
    with service.lock:
        assert service.db.table("announcements").count_where("layer = 'emergency'") == 0  # nothing sent unseen


def test_what_one_person_typed_is_not_given_to_another_logging_in_at_the_same_browser(
    browser: Any, live_scheduler: Any
) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    page = new_page(browser)
    login(page, base, "editor", service.demo_accounts.editor_password)
    page.goto(f"{base}/admin/announcements/new")
    page.fill("#title", "Catatan pribadi editor")
    _end_sessions(service)
    page.click("button[name=save]")
    assert page.is_visible("#session-ended")
    login(page, base, "admin", service.demo_accounts.admin_password)  # someone else at the same computer
    page.goto(f"{base}/admin/announcements/new")
    assert page.input_value("#title") == "" and not page.is_visible("#draft-restored")
