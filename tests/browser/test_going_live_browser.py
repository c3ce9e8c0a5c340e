"""Going live in Chromium, without the demo seed: `signage init` -> serve -> groups, display, enrolment of a
real player from the Layar page -> an approved announcement on that player's screen; Jadwal and Laporan.

Screenshots of the pages at 1366x768 and 390x844 go to var/test-output/browser/ (kept for review).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_support import new_page
from PIL import Image, ImageStat
from procs import read_status, show_logs, stop, up, wait_for
from tests_support import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

OUTPUT = Path(__file__).resolve().parents[2] / "var" / "test-output" / "browser"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
TIMEOUT_S = 10


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "QT_QPA_PLATFORM": "offscreen",
            "SIGNAGE_PLAYER_HEARTBEAT_INTERVAL_S": "2", "SIGNAGE_PLAYER_PREVENT_BLANKING": "0"}  # fmt: skip


def signage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "signage", *args], capture_output=True, text=True, env=_env(),
                          timeout=120, check=True)  # fmt: skip


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in reversed(started):
        stop(proc)
    show_logs(tmp_path)


def shoot(page: Any, name: str) -> None:
    """Save ``page`` as it looks on a laptop and on a phone."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for label, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(OUTPUT / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(VIEWPORTS["desktop"])


def test_going_live_from_an_empty_data_dir(browser: Any, procs: list[subprocess.Popen[bytes]], tmp_path: Path) -> None:
    data_dir, player_dir = tmp_path / "scheduler", tmp_path / "player"
    init = signage("init", "--data-dir", str(data_dir))
    admin_password = next(line.split()[-1] for line in init.stdout.splitlines() if line.startswith("password:"))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "scheduler.log").open("ab") as log:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "signage", "scheduler", "serve", "--data-dir", str(data_dir), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=_env(),
        ))  # fmt: skip
    wait_for(lambda: up(f"{base}/api/v1/health"), 30, "the scheduler", procs[0])

    page = new_page(browser)
    page.goto(f"{base}/admin/login")
    page.fill("#username", "admin")
    page.fill("#password", admin_password)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/password")  # the generated password must be changed first
    page.fill("#current_password", admin_password)
    page.fill("#new_password", "sandi-baru-admin-1")
    page.fill("#repeat_password", "sandi-baru-admin-1")
    page.click("main button[type=submit]")

    page.goto(f"{base}/admin/displays")
    assert "Belum ada layar" in page.inner_text("main")
    shoot(page, "layar-kosong")

    page.goto(f"{base}/admin/groups")
    page.fill("#group-name", "Kecamatan Sungai Pinyuh")
    page.fill("#group-id", "kec-sungai-pinyuh")
    page.select_option("#group-kind", "kecamatan")
    page.click("text=Buat grup")
    assert "Kecamatan Sungai Pinyuh" in page.inner_text("#group-kec-sungai-pinyuh")

    page.goto(f"{base}/admin/displays/new")
    page.fill("#id", "led-pinyuh")
    page.fill("#name", "LED Kantor Camat Sungai Pinyuh")
    page.fill("#location", "Jl. Raya Sungai Pinyuh")
    page.fill("#latitude", "0,2631")
    page.fill("#longitude", "109.0253")
    page.fill("#width", "640")
    page.fill("#height", "360")
    page.fill("#timezone", "WIB")  # not an IANA zone: refused, naming the field, keeping what was typed
    page.check("input[name=groups][value=kec-sungai-pinyuh]")
    page.click("text=Buat layar")
    assert "Zona waktu" in page.inner_text("[role=alert]")
    assert page.input_value("#name") == "LED Kantor Camat Sungai Pinyuh"
    assert page.is_checked("input[name=groups][value=kec-sungai-pinyuh]")
    shoot(page, "layar-form-galat")
    page.fill("#timezone", "Asia/Pontianak")
    page.fill("#operating_hours", "")
    page.click("text=Buat layar")
    assert page.inner_text("h1") == "LED Kantor Camat Sungai Pinyuh"

    # A real player asks to enrol; the admin enrols it from the Layar page.
    (tmp_path / "player.yaml").write_text("poll_interval_s: 2\nscreenshot_interval_s: 1\n")
    with (tmp_path / "player.log").open("ab") as log:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "signage", "player", "run", "--config", str(tmp_path / "player.yaml"),
             "--server", base, "--data-dir", str(player_dir), "--screenshot", str(tmp_path / "screen.png"),
             "--geometry", "0,0,640,360"],
            stdout=log, stderr=subprocess.STDOUT, env=_env(),
        ))  # fmt: skip
    player = procs[-1]
    code = wait_for(lambda: read_status(player_dir).get("enrol_code"), 60, "the enrolment code", player)
    code = code.replace("-", "").upper()
    page.goto(f"{base}/admin/displays")
    row = page.locator(f"#code-{code}")
    wait_for(lambda: (page.reload() or True) and row.count() == 1, 30, "the waiting code on the Layar page")
    select = row.locator("select")
    assert select.input_value() == "", "no display may be chosen by default"
    shoot(page, "layar-menunggu")
    select.select_option("led-pinyuh")
    row.locator("button", has_text="Daftarkan").click()
    assert "didaftarkan" in page.inner_text("[role=status]")
    wait_for(lambda: read_status(player_dir).get("manifest_version"), 60, "the player's first manifest", player)

    # The admin creates an editor and an approver on the Pengguna page; each sets their own password.
    passwords = {}
    for username, role in (("penulis", "editor"), ("kabid", "approver")):
        page.goto(f"{base}/admin/users")
        page.fill("#new-username", username)
        page.select_option("#new-role", role)
        page.click("text=Buat pengguna")
        passwords[username] = page.inner_text("#new-password code.password").strip()

    def login_new_user(username: str) -> Any:
        other = new_page(browser)
        other.goto(f"{base}/admin/login")
        other.fill("#username", username)
        other.fill("#password", passwords[username])
        other.click("main button[type=submit]")
        other.wait_for_url("**/admin/password")
        other.fill("#current_password", passwords[username])
        other.fill("#new_password", f"sandi-{username}-baru")
        other.fill("#repeat_password", f"sandi-{username}-baru")
        other.click("main button[type=submit]")
        return other

    # The editor writes a text announcement for the group and submits it; the approver approves it.
    editor = login_new_user("penulis")
    editor.goto(f"{base}/admin/announcements/new")
    editor.fill("#title", "Vaksinasi Gratis")
    editor.fill("#body", "Puskesmas Sungai Pinyuh, Kamis 08.00 WIB.")
    editor.fill("#duration_s", "6")
    editor.check("input[name=group][value=kec-sungai-pinyuh]")
    editor.click("text=Simpan dan ajukan untuk disetujui")
    editor.wait_for_url(re.compile(r".*/admin/announcements/\d+$"))
    ann = int(editor.url.rsplit("/", 1)[1])
    assert editor.locator("#approve").count() == 0, "the author cannot approve"
    approver = login_new_user("kabid")
    approver.goto(f"{base}/admin/announcements/{ann}")
    approver.click("#approve")
    wait_for(lambda: (read_status(player_dir).get("current") or {}).get("item_id") == f"ann-{ann}", 60,
             "the approved announcement on the player", player)  # fmt: skip
    since = time.time()
    shot = tmp_path / "screen.png"
    wait_for(lambda: shot.exists() and shot.stat().st_mtime > since, 20, "a fresh player screenshot", player)
    time.sleep(0.3)
    gray = Image.open(shot).convert("L")
    assert ImageStat.Stat(gray).stddev[0] > 5, "the player shows a flat colour, not the announcement"

    # Layar: online, what is on screen now, a fresh screenshot on request.
    page.goto(f"{base}/admin/displays/led-pinyuh")
    wait_for(lambda: (page.reload() or True) and "Vaksinasi Gratis" in page.inner_text("#now-playing"), 30,
             "the heartbeat naming the announcement")  # fmt: skip
    assert "Terhubung" in page.inner_text("#state")
    page.click("text=Minta tangkapan layar baru")
    assert "diminta" in page.inner_text("[role=status]")
    wait_for(lambda: (page.reload() or True) and page.locator("img.shot").count() == 1, 30, "the requested screenshot")
    image = requests.get(f"{base}/admin/displays/led-pinyuh/screenshot.png", timeout=TIMEOUT_S,
                         cookies={c["name"]: c["value"] for c in page.context.cookies()})  # fmt: skip
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    shoot(page, "layar-detail")
    page.goto(f"{base}/admin/displays")
    assert "Vaksinasi Gratis" in page.inner_text("#display-led-pinyuh")
    shoot(page, "layar")
    page.goto(f"{base}/admin/groups")
    shoot(page, "grup")

    # Jadwal: the day's strip and the announcement's plays.
    page.goto(f"{base}/admin/schedule?display=led-pinyuh")
    row_text = page.inner_text(f"#item-ann-{ann}")
    assert "Vaksinasi Gratis" in row_text and "bergiliran" in row_text
    shoot(page, "jadwal")

    # Laporan: the plays the player reported.
    page.goto(f"{base}/admin/reports")
    wait_for(lambda: (page.reload() or True) and "Vaksinasi Gratis" in page.inner_text("#per-item"), 60,
             "proof of play in the report")  # fmt: skip
    shoot(page, "laporan")
    csv = requests.get(f"{base}/admin/reports.csv", timeout=TIMEOUT_S,
                       cookies={c["name"]: c["value"] for c in page.context.cookies()})  # fmt: skip
    assert csv.status_code == 200 and f"ann-{ann},Vaksinasi Gratis" in csv.text
    page.click("text=Laporan cetak")
    assert "PEMERINTAH KABUPATEN MEMPAWAH" in page.inner_text("body")
    shoot(page, "laporan-cetak")
    page.emulate_media(media="print")
    page.pdf(path=str(OUTPUT / "laporan-cetak.pdf"), format="A4")
