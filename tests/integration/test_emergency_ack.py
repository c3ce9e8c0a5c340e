"""Emergency acknowledgement over real HTTP: the heartbeat's emergency_items, stored with the time each was first
reported, shown per targeted screen on the Darurat page and the announcement page ("menampilkan sejak" / "belum")."""

from __future__ import annotations

import json
from typing import Any

import requests
from tests_support import enrol, post_approve
from web_support import WebClient

from scheduler.auth import create_user
from signage.apimodels import Heartbeat

TIMEOUT_S = 10
SHOWING, WAITING = "kec-sungai-pinyuh", "desa-antibar"


def _beat(live: Any, token: str, **fields: Any) -> requests.Response:
    body = Heartbeat(**fields).model_dump(mode="json")
    return requests.post(f"{live.url}/api/v1/player/heartbeat", json=body, timeout=TIMEOUT_S,
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def _emergency(live: Any) -> int:
    editor = ("editor", live.service.demo_accounts.editor_password)
    admin = ("admin", live.service.demo_accounts.admin_password)
    r = requests.post(f"{live.url}/api/v1/admin/announcements", auth=editor, timeout=TIMEOUT_S,
                      json={"title": "DARURAT: Banjir Rob", "body": "Warga pesisir harap waspada.",
                            "layer": "emergency", "targets": {"displays": [SHOWING, WAITING]},
                            "ends_at": "2030-12-01T00:00:00Z"})  # fmt: skip
    r.raise_for_status()
    ann = int(r.json()["announcement"]["id"])
    post_approve(f"{live.url}/api/v1/admin/announcements/{ann}/approve", auth=admin,
                  timeout=TIMEOUT_S).raise_for_status()  # fmt: skip
    return ann


def _shown(live: Any, display_id: str) -> dict[str, str]:
    with live.service.lock:
        row = live.service.db["display_status"].get(display_id)
    return dict(json.loads(row["emergency_shown"] or "{}"))


def test_heartbeat_acknowledges_the_emergency_per_screen(live_scheduler: Any) -> None:
    live = live_scheduler
    token = enrol(live, SHOWING, "ACK234")["token"]
    enrol(live, WAITING, "ACK567")
    ann = _emergency(live)
    item = f"ann-{ann}"

    web = WebClient(live.url)
    web.login("admin", live.service.demo_accounts.admin_password)
    page = web.get("/admin/emergency").text
    assert f'id="ack-{ann}-{SHOWING}"' in page and "menampilkan sejak" not in page  # nobody reported it yet
    assert "Layar yang menampilkan: 0 dari 2" in page

    assert _beat(live, token, current_item=item, emergency_items=[item]).status_code == 200
    first = _shown(live, SHOWING)[item]
    assert _beat(live, token, current_item=item, emergency_items=[item]).status_code == 200
    assert _shown(live, SHOWING) == {item: first}, "the acknowledgement keeps the time it was first reported"

    page = web.get("/admin/emergency").text
    row_showing = page.split(f'id="ack-{ann}-{SHOWING}"')[1].split("</tr>")[0]
    row_waiting = page.split(f'id="ack-{ann}-{WAITING}"')[1].split("</tr>")[0]
    assert "menampilkan sejak" in row_showing and "WIB" in row_showing
    assert "belum" in row_waiting
    assert "Layar yang menampilkan: 1 dari 2" in page
    detail = web.get(f"/admin/announcements/{ann}").text
    assert "Konfirmasi per layar" in detail and "menampilkan sejak" in detail
    assert "Terputus" not in row_showing and "belum pernah tersambung" not in row_showing

    # A screen silent for longer than the fleet's grace: its acknowledgement may be stale, and the page says so.
    with live.service.lock:
        live.service.db["display_status"].update(SHOWING, {"last_seen": "2026-01-01T00:00:00Z"})
    page = web.get("/admin/emergency").text
    row_showing = page.split(f'id="ack-{ann}-{SHOWING}"')[1].split("</tr>")[0]
    assert "menampilkan sejak" in row_showing and "Terputus, terakhir terlihat" in row_showing

    # The emergency leaves the screen: the next heartbeat drops the acknowledgement.
    assert _beat(live, token, current_item="ann-1", emergency_items=[]).status_code == 200
    assert _shown(live, SHOWING) == {}
    assert "menampilkan sejak" not in web.get(f"/admin/announcements/{ann}").text


def test_bad_emergency_items_are_refused_naming_the_field(live_scheduler: Any) -> None:
    token = enrol(live_scheduler, SHOWING, "ACK789")["token"]
    r = requests.post(f"{live_scheduler.url}/api/v1/player/heartbeat", json={"emergency_items": ["x" * 201]},
                      headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "emergency_items[0]"
    r = requests.post(f"{live_scheduler.url}/api/v1/player/heartbeat", json={"emergency_items": "ann-1"},
                      headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "emergency_items"


def test_the_emergency_form_refuses_a_contradiction_and_names_offline_screens(live_scheduler: Any) -> None:
    """Found by the fourth review's Chromium walk: a ticked group was ignored under 'All screens' (the emergency went
    to every screen), and nothing said that the targeted screens had no player connected."""
    live = live_scheduler
    web = WebClient(live.url)
    web.login("admin", live.service.demo_accounts.admin_password)
    form = {"severity": "emergency", "title": "Banjir di Sungai Pinyuh", "message": "Hindari jalan raya.",
            "ends_local": "2030-12-01T18:00"}  # fmt: skip
    r = web.post("/admin/emergency", {**form, "csrf_token": web.token("/admin/emergency"), "scope": "all",
                                      "group": "kec-sungai-pinyuh"})  # fmt: skip
    assert r.status_code == 400 and "Anda mencentang grup tetapi memilih semua layar" in r.text
    assert 'id="confirm"' not in r.text
    # (a staffer's walk) the contradiction and a past end at once: both said, both marked
    r = web.post("/admin/emergency", {**form, "csrf_token": web.token("/admin/emergency"), "scope": "all",
                                      "group": "kec-sungai-pinyuh", "ends_local": "2020-01-01T08:00"})  # fmt: skip
    alert = r.text.split('class="flash err" role="alert">', 1)[1].split("</div>", 1)[0]
    assert alert.count("<li>") == 2 and "memilih semua layar" in alert and "Berakhir pada" in alert, alert
    assert alert.index("memilih semua layar") < alert.index("Berakhir pada")  # the form's order: targets, then end
    assert r.text.count('invalid') >= 2
    with live.service.lock:
        live.service.db.table("groups").insert({"id": "kec-kosong", "name": "Kecamatan Kosong", "kind": "kecamatan"})
    r = web.post("/admin/emergency", {**form, "csrf_token": web.token("/admin/emergency"), "scope": "groups",
                                      "group": "kec-kosong"})  # fmt: skip
    assert r.status_code == 400 and "grup yang dicentang belum punya layar" in r.text

    both = [("scope", "groups"), ("group", "kec-sungai-pinyuh"), ("group", "kec-mempawah-timur")]
    r = web.post("/admin/emergency", [*form.items(), ("csrf_token", web.token("/admin/emergency")), *both])
    assert r.status_code == 200 and 'id="confirm"' in r.text
    said = r.text.split('id="offline-targets"', 1)[1].split("</p>", 1)[0]
    assert "2 dari 2 layar tujuan sedang tidak tersambung" in said and "LED P10 Kantor Desa Antibar" in said, said
    token = enrol(live, SHOWING, "KRT234")["token"]
    assert _beat(live, token).status_code == 200  # one of them connects
    r = web.post("/admin/emergency", [*form.items(), ("csrf_token", web.token("/admin/emergency")), *both])
    said = r.text.split('id="offline-targets"', 1)[1].split("</p>", 1)[0]
    assert "1 dari 2 layar" in said and "Sungai Pinyuh" not in said, said


def test_an_emergency_is_ended_from_the_darurat_page(live_scheduler: Any) -> None:
    """Found by the fourth review's Chromium walk: ending an emergency meant finding its announcement page and a
    collapsed box there; the Darurat page now ends it where it is listed, and stays on that page."""
    live = live_scheduler
    ann = _emergency(live)
    web = WebClient(live.url)
    web.login("admin", live.service.demo_accounts.admin_password)
    page = web.get("/admin/emergency").text
    assert f'id="end-{ann}"' in page and "Akhiri siaran darurat ini sekarang" in page
    end = {"csrf_token": web.token("/admin/emergency"), "reason": "Air sudah surut.", "back": "emergency"}
    r = web.post(f"/admin/announcements/{ann}/withdraw", end)
    assert r.status_code == 200 and r.url.endswith("/admin/emergency"), r.url
    assert "Ditarik: sudah turun dari layar." in r.text or "diperbarui di latar belakang" in r.text
    assert f'id="end-{ann}"' not in r.text  # no longer on air
    with live.service.lock:
        assert live.service.db.table("announcements").get(ann)["status"] == "withdrawn"


def test_an_admin_alone_is_told_to_add_a_second_approver_for_an_emergency(live_scheduler: Any) -> None:
    """Found by the fourth review's Chromium walk: with one approver, an emergency that approver prepared waited for
    'another approver' that did not exist, and nothing said how to get one."""
    live = live_scheduler
    web = WebClient(live.url)
    web.login("admin", live.service.demo_accounts.admin_password)
    form = [("severity", "emergency"), ("title", "Banjir di Sungai Pinyuh"), ("message", ""), ("scope", "groups"),
            ("group", "kec-sungai-pinyuh"), ("ends_local", "2030-12-01T18:00")]  # fmt: skip
    r = web.post("/admin/emergency/send", [*form, ("csrf_token", web.token("/admin/emergency"))])
    assert r.status_code == 200, r.status_code
    page = web.get("/admin/emergency").text
    assert 'id="no-second-approver"' in page and "Belum ada penyetuju kedua" in page
    with live.service.lock:
        create_user(live.service.db, "kadis", "approver", "sandi-kadis-kominfo", live.service.now_iso())
    assert 'id="no-second-approver"' not in web.get("/admin/emergency").text
