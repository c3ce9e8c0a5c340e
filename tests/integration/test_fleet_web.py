"""The Layar, Jadwal and Laporan pages over HTTP against the real scheduler: permissions, CSRF, validation."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
import requests

from scheduler import enrolment
from scheduler.auth import create_user

TIMEOUT_S = 10


def session(base: str, username: str, password: str) -> tuple[requests.Session, str]:
    """A logged-in browser-like session and its CSRF token."""
    s = requests.Session()
    login = s.get(f"{base}/admin/login", timeout=TIMEOUT_S).text
    login_token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert login_token is not None
    data = {"username": username, "password": password, "csrf_token": login_token.group(1)}
    s.post(f"{base}/admin/login", data=data, timeout=TIMEOUT_S)
    page = s.get(f"{base}/admin/displays", timeout=TIMEOUT_S)
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return s, token.group(1)


def admin(live: Any) -> tuple[requests.Session, str]:
    return session(live.url, "admin", live.service.demo_accounts.admin_password)


def test_fleet_pages_render_for_every_role(live_scheduler: Any) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    create_user(service.db, "pemirsa", "viewer", "sandi-pemirsa", service.now_iso())
    viewer, token = session(base, "pemirsa", "sandi-pemirsa")
    page = viewer.get(f"{base}/admin/displays", timeout=TIMEOUT_S).text
    assert "LED P10 Kantor Desa Antibar" in page and "Tambah layar" not in page
    schedule = viewer.get(f"{base}/admin/schedule?display=desa-antibar", timeout=TIMEOUT_S).text
    assert "Jadwal Pemeliharaan Jaringan Listrik" in schedule and "belum disetujui" in schedule
    assert viewer.get(f"{base}/admin/reports", timeout=TIMEOUT_S).status_code == 200
    # A viewer cannot reach admin actions by URL, nor change anything.
    assert viewer.get(f"{base}/admin/displays/new", timeout=TIMEOUT_S).status_code == 403
    r = viewer.post(f"{base}/admin/groups", data={"csrf_token": token, "id": "x", "name": "X", "kind": "tag"},
                    timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 403
    assert service.db.table("groups").count_where("id = 'x'") == 0


def test_display_form_refuses_bad_input_keeps_it_and_needs_csrf(live_scheduler: Any) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    s, token = admin(live_scheduler)
    form = {"id": "led-sejegi", "name": "LED <b>Sejegi</b>", "width": "lebar", "height": "300", "rotation": "0",
            "timezone": "Asia/Pontianak", "groups": ["kabupaten"]}  # fmt: skip
    assert s.post(f"{base}/admin/displays/new", data=form, timeout=TIMEOUT_S).status_code == 403  # no CSRF token
    r = s.post(f"{base}/admin/displays/new", data={**form, "csrf_token": token}, timeout=TIMEOUT_S)
    assert r.status_code == 400
    assert "Lebar kanvas: tulis bilangan bulat" in r.text
    assert 'value="LED &lt;b&gt;Sejegi&lt;/b&gt;"' in r.text  # kept, and shown as text
    assert service.db.table("displays").count_where("id = 'led-sejegi'") == 0

    r = s.post(f"{base}/admin/displays/new", data={**form, "width": "400", "csrf_token": token}, timeout=TIMEOUT_S)
    assert r.status_code == 200 and r.url.endswith("/admin/displays/led-sejegi")
    assert "LED &lt;b&gt;Sejegi&lt;/b&gt;" in r.text and "<b>Sejegi</b>" not in r.text
    version = service.publisher.latest("led-sejegi").version
    r = s.post(f"{base}/admin/displays/led-sejegi/edit",
               data={**form, "width": "400", "rotation": "180", "operating_hours": "sen-jum 06:00-18:00",
                     "csrf_token": token}, timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 200 and "versi" in r.text
    assert service.publisher.latest("led-sejegi").version == version + 1
    assert service.db.table("displays").get("led-sejegi")["rotation"] == 180
    assert "sen-jum 06:00-18:00" in r.text  # shown back as typed, in Indonesian day names
    settings = s.get(f"{base}/admin/displays/led-sejegi/edit", timeout=TIMEOUT_S).text
    assert 'value="sen-jum 06:00-18:00"' in settings and "mon-fri" not in settings
    audit = [row["action"] for row in service.db.table("audit_log").rows_where("subject = 'display:led-sejegi'")]
    assert audit == ["display.create", "display.edit"]


def test_enrol_from_the_layar_page(live_scheduler: Any) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    with service.lock:
        enrolment.request_enrolment(service.db, "KQ7P4X", "pc-pinyuh", "0" * 64, "127.0.0.1", service.clock())
    s, token = admin(live_scheduler)
    page = s.get(f"{base}/admin/displays", timeout=TIMEOUT_S).text
    assert "KQ7-P4X" in page
    assert '<option value="" selected disabled>' in page  # no display chosen by default
    r = s.post(f"{base}/admin/enrolments/KQ7P4X/enrol", data={"csrf_token": token}, timeout=TIMEOUT_S)
    assert "Pilih layar untuk pemutar ini" in r.text
    assert enrolment.pending(service.db, service.clock())
    r = s.post(f"{base}/admin/enrolments/KQ7P4X/enrol", data={"csrf_token": token, "display_id": "desa-antibar"},
               timeout=TIMEOUT_S)  # fmt: skip
    assert r.url.endswith("/admin/displays/desa-antibar") and "didaftarkan" in r.text
    assert service.db.table("display_tokens").count_where("display_id = 'desa-antibar' and revoked_at is null") == 1
    # Now it has a player: deleting is refused until it is revoked.
    r = s.post(f"{base}/admin/displays/desa-antibar/delete", data={"csrf_token": token}, timeout=TIMEOUT_S)
    assert "masih punya pemutar" in r.text and service.db.table("displays").count_where("id = 'desa-antibar'") == 1
    s.post(f"{base}/admin/displays/desa-antibar/revoke", data={"csrf_token": token}, timeout=TIMEOUT_S)
    r = s.post(f"{base}/admin/displays/desa-antibar/delete", data={"csrf_token": token}, timeout=TIMEOUT_S)
    assert r.url.endswith("/admin/displays") and service.db.table("displays").count_where("id = 'desa-antibar'") == 0


def test_groups_page_and_reports_csv(live_scheduler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    base, service = live_scheduler.url, live_scheduler.service
    s, token = admin(live_scheduler)
    r = s.post(f"{base}/admin/groups", data={"csrf_token": token, "id": "Desa Sejegi", "name": "Desa Sejegi",
                                              "kind": "desa"}, timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 400 and "ID: pakai 1-64 huruf kecil" in r.text and 'value="Desa Sejegi"' in r.text
    r = s.post(f"{base}/admin/groups", data={"csrf_token": token, "id": "desa-sejegi", "name": "Desa Sejegi",
                                              "kind": "desa"}, timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 200 and "Grup Desa Sejegi dibuat" in r.text
    r = s.post(f"{base}/admin/groups/kabupaten/delete", data={"csrf_token": token}, timeout=TIMEOUT_S)
    assert r.status_code == 400 and "masih dipakai" in r.text  # demo announcements target it
    # a group whose members are more than publish_inline_max_displays: they are republished behind the answer
    for display_id in ("desa-antibar", "kantor-bupati"):
        groups = json.loads(service.db.table("displays").get(display_id)["groups"])
        service.db.table("displays").update(display_id, {"groups": json.dumps([*groups, "desa-sejegi"])})
    monkeypatch.setattr(service, "config", replace(service.config, publish_inline_max_displays=1))
    r = s.post(f"{base}/admin/groups/desa-sejegi/delete", data={"csrf_token": token}, timeout=TIMEOUT_S)
    assert r.status_code == 200 and "Grup Desa Sejegi dihapus" in r.text
    assert "2 layar sedang diperbarui di latar belakang" in r.text
    assert service.publish_behind is not None and service.publish_behind.wait_idle(120)
    assert all("desa-sejegi" not in service.db.table("displays").get(d)["groups"] for d in ("desa-antibar",
                                                                                             "kantor-bupati"))

    service.db.table("play_events").insert(
        {"id": "e1", "display_id": "kantor-bupati", "item_id": "ann-1", "started_at": service.now_iso(),
         "ended_at": service.now_iso(), "duration_ms": 12000, "result": "played", "reason": "",
         "received_at": service.now_iso()}
    )  # fmt: skip
    csv = s.get(f"{base}/admin/reports.csv", timeout=TIMEOUT_S)
    assert csv.headers["content-type"].startswith("text/csv")
    assert ",kantor-bupati,Videotron Kantor Bupati Mempawah,ann-1,Pelayanan KTP Elektronik Keliling,1,12" in csv.text
    page = s.get(f"{base}/admin/reports/print", timeout=TIMEOUT_S).text
    assert "PEMERINTAH KABUPATEN MEMPAWAH" in page and "Pelayanan KTP Elektronik Keliling" in page
    # (a staffer's walk) the printed report has the chart's caption and the per-screen table as the page has
    per_display = page.split('id="per-display"', 1)[1].split("</table>", 1)[0]
    assert "Videotron Kantor Bupati Mempawah" in per_display and 'class="caption"' in page
    bad = s.get(f"{base}/admin/reports?start=2026-12-31&end=2026-01-01", timeout=TIMEOUT_S)
    assert bad.status_code == 400 and "Tanggal:" in bad.text
    # (a staffer's walk) the dates stay as typed, marked, and no other period's figures stand under them
    assert 'value="2026-12-31"' in bad.text and 'value="2026-01-01"' in bad.text and "invalid" in bad.text
    assert 'id="report-total"' not in bad.text and "reports.csv" not in bad.text
    # a year typed with an extra digit, or 30 February: the page says it is not a date (it was a 422 page)
    for typo in ("26000-01-01", "2026-02-30"):
        bad = s.get(f"{base}/admin/reports", params={"start": typo, "end": "2026-03-01"}, timeout=TIMEOUT_S)
        assert bad.status_code == 400 and f"{typo} bukan tanggal yang ada" in bad.text, typo


def test_a_new_display_with_several_mistakes_names_them_all(live_scheduler: Any) -> None:
    """Found by the admin's walk: ID "Kantor Bupati" and time zone "WIB" took two saves to learn about."""
    from web_support import logged_in

    admin = logged_in(live_scheduler, "admin")
    r = admin.post("/admin/displays/new", {"csrf_token": admin.token("/admin/displays/new"), "id": "Kantor Bupati",
                                           "name": "", "width": "7", "height": "432", "timezone": "WIB",
                                           "latitude": "0.5", "operating_hours": "sen-jum 25:00-07:00"})  # fmt: skip
    assert r.status_code == 400
    alert = r.text.split('class="flash err" role="alert">', 1)[1].split("</div>", 1)[0]
    said = ["ID:", "Nama:", "Bujur:", "Lebar kanvas:", "Zona waktu:", "Jam operasional:"]  # in the form's order
    assert [alert.index(words) for words in said] == sorted(alert.index(words) for words in said), alert
    assert alert.count("<li>") == 6 and "25:00 bukan jam yang ada" in alert and "is not" not in alert, alert
    for name in ("id", "name", "width", "timezone"):
        field = r.text.split(f'<label for="{name}"', 1)[0].rsplit("<div", 1)[1]
        assert "invalid" in field, name
    assert 'value="Kantor Bupati"' in r.text  # what was typed is kept
