"""No English from the player side on staff pages, over real HTTP on loopback: players post an emergency receipt
or an update report with a code (new players) or with only the English text (old players); the Darurat,
Pembaruan pemutar, Layar and display pages show Indonesian sentences with the params filled in, and the
player's English text only where it cannot be translated, labelled as such."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from tests_support import enrol, post_approve
from web_support import WebClient

from signage.clock import format_utc

TIMEOUT_S = 10
CODED, LEGACY, FUTURE = "kec-sungai-pinyuh", "desa-antibar", "kantor-bupati"
LABEL = "pesan pemutar (bahasa Inggris)"


def _row(page: str, row_id: str) -> str:
    start = page.index(f'id="{row_id}"')
    return page[start:].split("</tr>", 1)[0]


def _text(html: str) -> str:
    """The row as read on screen: tags dropped, entities of quotes restored."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("&#39;", "'").replace("&#34;", '"')


def _admin_web(live: Any) -> WebClient:
    web = WebClient(live.url)
    assert web.login("admin", live.service.demo_accounts.admin_password).status_code in (302, 303)
    return web


def _approved_emergency(live: Any, displays: list[str]) -> tuple[int, int]:
    """An approved emergency for ``displays``: (announcement id, seq of its push)."""
    editor = ("editor", live.service.demo_accounts.editor_password)
    admin = ("admin", live.service.demo_accounts.admin_password)
    until = format_utc(datetime.now(UTC) + timedelta(hours=2))
    r = requests.post(f"{live.url}/api/v1/admin/announcements", auth=editor, timeout=TIMEOUT_S,
                      json={"title": "DARURAT: Banjir Rob", "body": "Warga pesisir harap waspada.",
                            "layer": "emergency", "targets": {"displays": displays}, "ends_at": until})  # fmt: skip
    r.raise_for_status()
    ann = int(r.json()["announcement"]["id"])
    requests.post(f"{live.url}/api/v1/admin/announcements/{ann}/submit", auth=editor,
                  timeout=TIMEOUT_S).raise_for_status()  # fmt: skip
    post_approve(f"{live.url}/api/v1/admin/announcements/{ann}/approve", auth=admin,
                  timeout=TIMEOUT_S).raise_for_status()  # fmt: skip
    with live.service.lock:
        rows = list(live.service.db.query("select max(seq) as seq from emergency_pushes where announcement_id = ?",
                                          [ann]))  # fmt: skip
    assert rows[0]["seq"] is not None, "the approval pushed nothing"
    return ann, int(rows[0]["seq"])


def test_darurat_page_shows_push_refusals_in_indonesian_for_new_and_old_players(live_scheduler: Any) -> None:
    live = live_scheduler
    tokens = {d: enrol(live, d, code)["token"] for d, code in ((CODED, "RSN234"), (LEGACY, "RSN567"),
                                                               (FUTURE, "RSN789"))}  # fmt: skip
    ann, seq = _approved_emergency(live, [CODED, LEGACY, FUTURE])
    expired_at = format_utc(datetime.now(UTC) - timedelta(minutes=5))  # before now: really expired

    def receipt(display: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(f"{live.url}/api/v1/player/emergency-receipts", json=body, timeout=TIMEOUT_S,
                             headers={"Authorization": f"Bearer {tokens[display]}"})  # fmt: skip

    coded = {"seq": seq, "outcome": "refused", "reason": f"emergency message emg-{seq} expired at {expired_at}",
             "code": "expired", "params": {"expired_at": expired_at}}  # fmt: skip
    assert receipt(CODED, coded).status_code == 200
    legacy = {"seq": seq, "outcome": "refused", "reason": "emergency message signature does not verify"}  # no code
    assert receipt(LEGACY, legacy).status_code == 200
    future = {"seq": seq, "outcome": "refused", "reason": "GPU too hot to show it <b>now</b>", "code": "gpu_too_hot",
              "params": {"temp_c": 97}}  # fmt: skip
    assert receipt(FUTURE, future).status_code == 200  # a code this scheduler does not know is still accepted
    bad = receipt(CODED, dict(coded, code="Expired!"))
    assert bad.status_code == 422 and bad.json()["field"] == "code"  # the one error shape, naming the field
    bad = receipt(CODED, dict(coded, params={"x": {"nested": 1}}))
    assert bad.status_code == 422 and "params" in (bad.json()["field"] or "")

    page = _admin_web(live).get("/admin/emergency").text  # Indonesian by default
    coded_row, legacy_row, future_row = (_text(_row(page, f"ack-{ann}-{d}")) for d in (CODED, LEGACY, FUTURE))
    assert "pesan darurat ditolak" in coded_row and re.search(r"pesan sudah kedaluwarsa \(pada .*\d\d\.\d\d WIB\)",
                                                               coded_row), coded_row
    assert "pesan darurat ditolak" in legacy_row
    assert "tanda tangannya tidak cocok (pesan mungkin telah diubah)" in legacy_row
    for english in (coded["reason"], legacy["reason"], "expired", "signature"):
        assert english not in _text(page), english  # no English reason anywhere on the page as read
    assert LABEL not in coded_row and LABEL not in legacy_row
    assert "pemutar melaporkan alasan yang belum dikenal penjadwal ini (kode gpu_too_hot)" in future_row
    assert f"{LABEL}: GPU too hot to show it" in future_row  # the untranslatable text, marked as the player's
    assert "<b>now</b>" not in page and "&lt;b&gt;now&lt;/b&gt;" in page  # the player's text is escaped

    english = _admin_web(live)  # the language switch: English sentences, from the same code
    assert english.post("/admin/language", {"csrf_token": english.token(), "language": "en"}).ok
    row = _text(_row(english.get("/admin/emergency").text, f"ack-{ann}-{LEGACY}"))
    assert "push refused its signature does not match (the message may have been altered)" in row


def test_update_pages_show_rollback_reasons_and_warnings_in_indonesian(live_scheduler: Any) -> None:
    live = live_scheduler
    tokens = {d: enrol(live, d, code)["token"] for d, code in ((CODED, "UPR234"), (LEGACY, "UPR567"))}

    def beat(display: str, body: dict[str, Any]) -> None:
        r = requests.post(f"{live.url}/api/v1/player/heartbeat", json=body, timeout=TIMEOUT_S,
                          headers={"Authorization": f"Bearer {tokens[display]}"})  # fmt: skip
        assert r.status_code == 200, r.text

    crash = "exited with status 1 3 times before reporting healthy"
    beat(CODED, {"status": "playing", "app_version": "0.1.0",
                 "update": {"state": "rolled_back", "version": "0.2.0", "detail": crash, "code": "crash_loop",
                            "params": {"status": 1, "crashes": 3}},
                 # a newer player words its warnings its own way: the codes decide what staff read
                 "clock_fault": "the PC clock runs 7 minutes early", "clock_fault_code": {"code": "clock_offset",
                                                                                         "params": {"offset_s": 420}},
                 "warnings": ["only 3 MB left on the disk", "GPU fan slow"],
                 "warning_codes": [{"code": "low_disk", "params": {"free_bytes": 3 * 1024 * 1024}},
                                   {"code": "gpu_fan", "params": {"rpm": 300}}]})  # fmt: skip
    timeout = "no healthy report within 600 s"
    low_disk = "low disk: 1048576 bytes free in /var/lib/signage"
    clock = "PC clock is +42 s off the scheduler's; playing on the scheduler's time"
    beat(LEGACY, {"status": "playing", "app_version": "0.1.0", "clock_fault": clock,  # an old player: no codes
                  "warnings": [low_disk, "frobnicator stalled"],
                  "update": {"state": "rolled_back", "version": "0.2.1", "detail": timeout}})  # fmt: skip

    web = _admin_web(live)
    page = web.get("/admin/releases").text  # Pembaruan pemutar
    coded_row, legacy_row = (_text(_row(page, f"player-{d}")) for d in (CODED, LEGACY))
    assert "versi baru berhenti dengan status keluar 1 sebanyak 3 kali sebelum melapor sehat" in coded_row
    assert "versi baru tidak melapor sehat dalam 600 detik" in legacy_row
    assert crash not in page and timeout not in page and LABEL not in page

    detail = web.get(f"/admin/displays/{LEGACY}").text
    assert "versi baru tidak melapor sehat dalam 600 detik" in detail and timeout not in detail
    assert "jam PC selisih 42 detik dari jam penjadwal" in detail
    assert "ruang disk pemutar hampir habis: sisa 1 MB" in detail
    assert clock not in detail and low_disk not in detail
    assert f"{LABEL}: frobnicator stalled" in _text(detail)  # not recognised: shown, marked as English

    layar_page = web.get("/admin/displays").text
    layar = _text(_row(layar_page, f"display-{LEGACY}"))
    assert "jam PC selisih 42 detik dari jam penjadwal" in layar and "sisa 1 MB" in layar
    assert clock not in layar and low_disk not in layar and f"{LABEL}: frobnicator stalled" in layar
    coded_layar = _text(_row(layar_page, f"display-{CODED}"))  # by code, whatever the English says
    assert "jam PC selisih 420 detik dari jam penjadwal" in coded_layar and "sisa 3 MB" in coded_layar
    assert "the PC clock runs 7 minutes early" not in coded_layar and "only 3 MB left" not in coded_layar
    assert "(kode gpu_fan)" in coded_layar and f"{LABEL}: GPU fan slow" in coded_layar  # a newer code: labelled
    row = next(live.service.db.table("display_status").rows_where("display_id = ?", [CODED]))
    assert json.loads(row["warning_codes"])[0] == {"code": "clock_offset", "params": {"offset_s": 420}}

    home = _text(web.get("/admin/").text)  # Beranda lists the players' warnings too
    assert "ruang disk pemutar hampir habis: sisa 1 MB" in home and "sisa 3 MB" in home
    assert low_disk not in home and "only 3 MB left" not in home
