"""Schedule warnings and the day view's reasons, as a staffer reads them (the third review's Chromium walk).

The compiler's English ("has nothing to play for 201600 s ..., first at ... UTC") reached Beranda and Jadwal;
a Mon/Wed/Fri announcement on a Tuesday was said to "get no turn".
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import requests
from tests_support import post_approve
from web_support import logged_in

from scheduler.schedule import horizon_start
from signage.clock import zone

TIMEOUT_S = 30


def _api(live: Any, method: str, path: str, who: str = "admin", **kwargs: Any) -> requests.Response:
    accounts = live.service.demo_accounts
    auth = ("admin", accounts.admin_password) if who == "admin" else ("editor", accounts.editor_password)
    if method == "POST" and path.endswith("/approve") and not kwargs:
        return post_approve(f"{live.url}/api/v1/admin{path}", auth=auth, timeout=TIMEOUT_S)
    return requests.request(method, f"{live.url}/api/v1/admin{path}", auth=auth, timeout=TIMEOUT_S, **kwargs)


def test_a_screen_with_nothing_to_show_is_said_in_words_and_local_time(live_scheduler: Any) -> None:
    made = _api(live_scheduler, "POST", "/displays", json={"id": "layar-kosong", "name": "Layar Kosong",
                                                           "width": 768, "height": 432})  # fmt: skip
    assert made.status_code == 201, made.text
    live_scheduler.service.publisher.publish(["layar-kosong"])
    home = logged_in(live_scheduler, "admin").get("/admin/").text
    [said] = re.findall(r'<strong>Layar Kosong</strong> — jadwal: <span data-code="main_zone_empty">([^<]*)<', home)
    assert "tidak ada yang dapat ditampilkan selama total 2 minggu" in said and "WIB" in said, said
    assert "UTC" not in said and " s " not in said and "Display" not in said


def test_a_day_outside_an_announcements_days_is_named_as_such(live_scheduler: Any) -> None:
    service = live_scheduler.service
    body = {"title": "Posyandu Senin Rabu Jumat", "targets": {"displays": ["desa-antibar"]},
            "schedule": {"days": ["mon", "wed", "fri"]}}  # fmt: skip
    created = _api(live_scheduler, "POST", "/announcements", who="editor", json=body)
    assert created.status_code == 201, created.text
    ann_id = created.json()["announcement"]["id"]
    assert _api(live_scheduler, "POST", f"/announcements/{ann_id}/approve").status_code == 200
    first = horizon_start(service.clock(), service.config.timezone).date()
    tuesday = next(first + timedelta(days=n) for n in range(7) if (first + timedelta(days=n)).weekday() == 1)
    page = logged_in(live_scheduler, "editor").get("/admin/schedule", params={"display": "desa-antibar",
                                                                              "day": tuesday.isoformat()})  # fmt: skip
    assert page.status_code == 200
    row = page.text.split(f'id="item-ann-{ann_id}"', 1)[1].split("</tr>", 1)[0]
    assert "jadwalnya tidak mencakup hari ini" in row and "giliran" not in row, row
    wednesday = (tuesday + timedelta(days=1)).isoformat()
    page = logged_in(live_scheduler, "editor").get("/admin/schedule", params={"display": "desa-antibar",
                                                                              "day": wednesday})  # fmt: skip
    row = page.text.split(f'id="item-ann-{ann_id}"', 1)[1].split("</tr>", 1)[0]
    assert "tidak tayang" not in row  # on its own day it plays
    # its badge says whether today is one of its days, not merely that it is approved (the third review)
    today = service.clock().astimezone(zone(service.config.timezone)).date()
    badge = re.search(r'id="status">([^<]*)<', logged_in(live_scheduler, "editor").get(
        f"/admin/announcements/{ann_id}").text).group(1)  # fmt: skip
    assert badge == ("Tayang" if today.weekday() in (0, 2, 4) else "Disetujui, tidak tayang hari ini"), badge


def test_jadwal_during_an_emergency_names_it_and_rejected_or_withdrawn_items_say_so(live_scheduler: Any) -> None:
    """Found by the fourth review's Chromium walk: Jadwal answered 500 while an emergency was live, and a rejected or
    withdrawn announcement was said to be 'not approved yet'."""
    service = live_scheduler.service  # until the day after tomorrow: the other announcements play on later days
    ends = horizon_start(service.clock(), service.config.timezone) + timedelta(days=2)
    made = _api(live_scheduler, "POST", "/announcements", who="editor", json={
        "title": "DARURAT: Banjir Rob", "body": "Warga pesisir harap waspada.", "layer": "emergency",
        "targets": {"displays": ["desa-antibar"]}, "ends_at": ends.isoformat()})  # fmt: skip
    assert made.status_code == 201, made.text
    emergency = made.json()["announcement"]["id"]
    assert _api(live_scheduler, "POST", f"/announcements/{emergency}/approve").status_code == 200
    turned_down, taken_off = (
        _api(live_scheduler, "POST", "/announcements", who="editor", json={
            "title": title, "targets": {"displays": ["desa-antibar"]}}).json()["announcement"]["id"]
        for title in ("Lomba yang ditolak", "Lomba yang ditarik")
    )  # fmt: skip
    for ann in (turned_down, taken_off):
        assert _api(live_scheduler, "POST", f"/announcements/{ann}/submit", who="editor").status_code == 200
    assert _api(live_scheduler, "POST", f"/announcements/{turned_down}/reject",
                json={"reason": "Tanggal salah."}).status_code == 200  # fmt: skip
    assert _api(live_scheduler, "POST", f"/announcements/{taken_off}/withdraw",
                json={"reason": "Batal."}).status_code == 200  # fmt: skip

    # tomorrow: the emergency covers the whole day (today it starts at its approval)
    tomorrow = (horizon_start(service.clock(), service.config.timezone) + timedelta(days=1, hours=12)).astimezone(
        zone(service.config.timezone)).date().isoformat()  # fmt: skip
    page = logged_in(live_scheduler, "editor").get("/admin/schedule", params={"display": "desa-antibar",
                                                                               "day": tomorrow})  # fmt: skip
    assert page.status_code == 200, page.status_code

    def row(item: str) -> str:
        return page.text.split(f'id="item-{item}"', 1)[1].split("</tr>", 1)[0]

    assert "siaran darurat menutupi semua jam tayangnya" in row("ann-1"), row("ann-1")  # the demo's first announcement
    assert "siaran darurat: menggantikan semua tayangan lain" in row(f"ann-{emergency}")
    segments = page.text.split('id="segments"', 1)[1].split("</table>", 1)[0]
    assert "siaran darurat:" in segments and "emergency ann-" not in segments, segments  # not the compiler's label
    assert "ditolak" in row(f"ann-{turned_down}") and "belum disetujui" not in row(f"ann-{turned_down}")
    assert "sudah ditarik dari layar" in row(f"ann-{taken_off}")


def test_an_interlude_on_jadwal_is_said_in_words(live_scheduler: Any) -> None:
    body = {"title": "Waktu Sholat", "layer": "interrupt", "duration_s": 20, "targets": {"displays": ["kantor-bupati"]},
            "schedule": {"share": {"seconds_per_hour": 120}}}  # fmt: skip
    created = _api(live_scheduler, "POST", "/announcements", who="editor", json=body)
    assert created.status_code == 201, created.text
    ann_id = created.json()["announcement"]["id"]
    assert _api(live_scheduler, "POST", f"/announcements/{ann_id}/approve").status_code == 200
    page = logged_in(live_scheduler, "editor").get("/admin/schedule", params={"display": "kantor-bupati"}).text
    segments = page.split('id="segments"', 1)[1].split("</table>", 1)[0]
    assert "sela, 120 detik per jam:" in segments and "interrupt ann-" not in segments, segments


def test_jadwal_writes_clock_times_as_the_staffs_language_does(live_scheduler: Any) -> None:
    """Left alone by the fifth review, fixed now: in English Jadwal wrote times the Indonesian way ("05.00")."""
    admin = logged_in(live_scheduler, "admin")
    params = {"display": "kantor-bupati", "at": "08:30"}
    indonesian = admin.get("/admin/schedule", params=params).text
    assert "08.30" in indonesian.split('id="frame-title">', 1)[1].split("</h2>", 1)[0]
    rows = indonesian.split('<tbody>', 1)[1].split("</tbody>", 1)[0]
    assert re.search(r"<div>\d\d\.\d\d</div>", rows) and not re.search(r"<div>\d\d:\d\d</div>", rows), rows[:400]
    admin.post("/admin/language", {"csrf_token": admin.token(), "language": "en", "next": "/admin/"})
    english = admin.get("/admin/schedule", params=params).text
    assert 'lang="en"' in english
    rows = english.split('<tbody>', 1)[1].split("</tbody>", 1)[0]
    assert re.search(r"<div>\d\d:\d\d</div>", rows) and not re.search(r"<div>\d\d\.\d\d</div>", rows), rows[:400]
    assert "08:30" in english.split('id="frame-title">', 1)[1].split("</h2>", 1)[0]
    hours = english.split('class="strip-hours"', 1)[1].split("</div>", 1)[0]  # the day strip's axis too
    assert "<span>03:00</span>" in hours and "03.00" not in hours, hours
