"""Attacks on the web admin over real HTTP against the real scheduler (issue 9 item 4, issue 10 security tests)."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta
from typing import Any

import pytest
import requests
from web_support import WebClient, csrf_token, logged_in

from scheduler.auth import create_user
from signage.clock import format_utc

pytestmark = pytest.mark.slow


def _announcement_form(token: str, title: str = "Kerja bakti", **extra: str) -> dict[str, str]:
    return {"csrf_token": token, "title": title, "body": "Minggu pagi", "display": "kantor-bupati",
            "recurrence": "every_day", "layer": "normal", "duration_s": "10", **extra}  # fmt: skip


def _count(live: Any, title: str) -> int:
    with live.service.lock:
        return int(live.service.db.table("announcements").count_where("title = ?", [title]))


def test_post_without_csrf_token_is_refused_and_changes_nothing(live_scheduler: Any) -> None:
    client = logged_in(live_scheduler, "editor")
    form = _announcement_form("", title="Tanpa token")
    del form["csrf_token"]
    r = client.post("/admin/announcements/new", form, allow_redirects=False)
    assert r.status_code == 403
    assert "kedaluwarsa atau tidak berasal dari situs ini" in r.text
    wrong = client.post("/admin/announcements/new", _announcement_form("forged", title="Tanpa token"))
    assert wrong.status_code == 403
    assert _count(live_scheduler, "Tanpa token") == 0
    # ...and with the session's token the same form goes through.
    ok = client.post("/admin/announcements/new", _announcement_form(client.token(), title="Dengan token"))
    assert ok.status_code == 200 and _count(live_scheduler, "Dengan token") == 1


def test_cross_site_origin_is_refused_even_with_a_valid_token(live_scheduler: Any) -> None:
    client = logged_in(live_scheduler, "editor")
    token = client.token()
    form = _announcement_form(token, title="Dari situs lain")
    for headers in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/page"}, {"Origin": "null"}):
        r = client.post("/admin/announcements/new", form, headers=headers, allow_redirects=False)
        assert r.status_code == 403, headers
    assert _count(live_scheduler, "Dari situs lain") == 0
    same = client.post("/admin/announcements/new", form, headers={"Origin": live_scheduler.url})
    assert same.status_code == 200 and _count(live_scheduler, "Dari situs lain") == 1
    # The admin JSON API with the session cookie is guarded the same way.
    api = client.http.post(
        f"{live_scheduler.url}/api/v1/admin/keys/rotate", headers={"Origin": "http://evil.example"}, timeout=30
    )
    assert api.status_code == 403


def test_logout_is_a_post_with_token_and_ends_the_session(live_scheduler: Any) -> None:
    client = logged_in(live_scheduler, "editor")
    assert client.get("/admin/logout").status_code == 405  # a link or <img> cannot log anyone out
    assert client.get("/admin/", allow_redirects=False).status_code == 200
    assert client.post("/admin/logout", {}, allow_redirects=False).status_code == 403  # no token
    r = client.post("/admin/logout", {"csrf_token": client.token()}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert client.get("/admin/", allow_redirects=False).headers["location"] == "/admin/login"


def test_login_brute_force_locks_the_user_and_the_address_out(live_scheduler: Any) -> None:
    config = live_scheduler.service.config
    attacker = WebClient(live_scheduler.url)
    for _ in range(config.login_max_failures):
        assert attacker.login("editor", "tebakan-salah").status_code == 401
    locked = attacker.login("editor", live_scheduler.service.demo_accounts.editor_password)
    assert locked.status_code == 429  # even the right password, until the lockout passes
    assert "Terlalu banyak percobaan" in locked.text
    # Another account from the same address still works (per-address limit is higher)...
    assert (
        WebClient(live_scheduler.url).login("admin", live_scheduler.service.demo_accounts.admin_password).status_code
        == 303
    )
    # ...until the address has used up its own allowance.
    for i in range(config.login_max_failures_per_address):
        attacker.login(f"tebak{i}", "salah")
    assert (
        WebClient(live_scheduler.url).login("admin", live_scheduler.service.demo_accounts.admin_password).status_code
        == 429
    )
    with live_scheduler.service.lock:
        assert live_scheduler.service.db.table("audit_log").count_where("action = 'login.locked'") >= 2


def _login_answer(live: Any, username: str) -> tuple[int, str, float]:
    client = WebClient(live.url)
    token = csrf_token(client.get("/admin/login").text)
    started = time.perf_counter()
    r = client.post("/admin/login", {"csrf_token": token, "username": username, "password": "bukan-sandinya"})
    elapsed_s = time.perf_counter() - started
    alert = re.search(r'role="alert">([^<]*)<', r.text)
    return r.status_code, alert.group(1) if alert else "", elapsed_s


def test_unknown_user_and_wrong_password_are_indistinguishable(live_scheduler: Any) -> None:
    live_scheduler.service.login_failures_by_address.per_minute = 1000  # measure, do not lock out
    live_scheduler.service.login_failures_by_user.per_minute = 1000
    unknown = [_login_answer(live_scheduler, f"tidak-ada-{i}") for i in range(5)]
    wrong = [_login_answer(live_scheduler, "editor") for _ in range(5)]
    assert (
        {(s, text) for s, text, _ in unknown}
        == {(s, text) for s, text, _ in wrong}
        == {(401, "Nama pengguna atau kata sandi salah.")}
    )
    # Both pay the scrypt check: an unknown name is not answered in a fraction of the time
    # (before the fix it took ~1 ms against ~50 ms). Generous bound for a busy machine.
    unknown_s = statistics.median(e for *_, e in unknown)
    wrong_s = statistics.median(e for *_, e in wrong)
    assert unknown_s > 0.3 * wrong_s, (unknown_s, wrong_s)


def _viewer(live: Any) -> WebClient:
    with live.service.lock:
        create_user(live.service.db, "pembaca", "viewer", "sandi-pembaca-1", format_utc(live.service.clock()))
    client = WebClient(live.url)
    assert client.login("pembaca", "sandi-pembaca-1").status_code == 303
    return client


def test_viewer_cannot_reach_editor_actions_by_url(live_scheduler: Any) -> None:
    editor = logged_in(live_scheduler, "editor")
    editor.post("/admin/announcements/new", _announcement_form(editor.token(), title="Milik editor"))
    with live_scheduler.service.lock:
        ann_id = next(live_scheduler.service.db.table("announcements").rows_where("title = 'Milik editor'"))["id"]
    viewer = _viewer(live_scheduler)
    assert viewer.get("/admin/announcements").status_code == 200  # reading is allowed
    page = viewer.get(f"/admin/announcements/{ann_id}").text
    assert 'action="/admin/announcements/' not in page.split("<main", 1)[1]  # no workflow buttons at all
    assert viewer.get("/admin/announcements/new").status_code == 403
    token = viewer.token()
    assert viewer.post("/admin/announcements/new", _announcement_form(token, title="Oleh pembaca")).status_code == 403
    for action in ("submit", "approve", "archive"):
        r = viewer.post(f"/admin/announcements/{ann_id}/{action}", {"csrf_token": token})
        assert r.status_code == 403, action
        assert "tidak boleh" in r.text  # the policy's reason, in Indonesian
    assert (
        viewer.post(f"/admin/announcements/{ann_id}/withdraw", {"csrf_token": token, "reason": "x"}).status_code == 403
    )
    for path in ("/admin/users", "/admin/audit", "/admin/emergency"):
        assert viewer.get(path).status_code == 403, path
    assert _count(live_scheduler, "Oleh pembaca") == 0
    with live_scheduler.service.lock:
        assert live_scheduler.service.db.table("announcements").get(ann_id)["status"] == "draft"
    # A bound on the path parameter: a huge id is a 422/404, never a 500.
    assert viewer.post("/admin/announcements/99999999999999999999/approve", {"csrf_token": token}).status_code in (
        404,
        422,
    )


def test_html_in_announcement_text_is_shown_as_text(live_scheduler: Any) -> None:
    editor = logged_in(live_scheduler, "editor")
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = editor.post("/admin/announcements/new", _announcement_form(editor.token(), title=hostile, body=hostile))
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in r.text
    listing = editor.get("/admin/announcements").text
    assert "<script>alert" not in listing and "&lt;script&gt;" in listing


def test_session_expires_when_idle_and_at_its_absolute_age(live_scheduler: Any) -> None:
    service = live_scheduler.service
    client = logged_in(live_scheduler, "editor")
    assert client.get("/admin/", allow_redirects=False).status_code == 200
    idle = timedelta(seconds=service.config.session_idle_timeout_s + 1)
    with service.lock:
        service.db.execute("update web_sessions set last_seen_at = ?", [format_utc(service.clock() - idle)])
    assert client.get("/admin/", allow_redirects=False).headers["location"] == "/admin/login"
    with service.lock:
        assert service.db.table("web_sessions").count == 0  # the expired row is gone
    client = logged_in(live_scheduler, "editor")
    age = timedelta(seconds=service.config.session_max_age_s + 1)
    with service.lock:  # active a second ago, but logged in too long ago
        service.db.execute("update web_sessions set created_at = ?", [format_utc(service.clock() - age)])
    assert client.get("/admin/", allow_redirects=False).headers["location"] == "/admin/login"


def test_admin_pages_send_protective_headers_and_no_basic_challenge(live_scheduler: Any) -> None:
    r = requests.get(f"{live_scheduler.url}/admin/login", timeout=30)
    assert r.headers["X-Frame-Options"] == "DENY"
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in r.text and "style=" not in r.text  # nothing inline: the CSP can stay strict
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    for path in ("/admin/", "/admin/announcements", "/api/v1/admin/fleet"):
        answer = requests.get(f"{live_scheduler.url}{path}", allow_redirects=False, timeout=30)
        assert "WWW-Authenticate" not in answer.headers, path
    assert requests.get(f"{live_scheduler.url}/admin/", allow_redirects=False, timeout=30).status_code == 303
    # A client that speaks Basic still gets its challenge (the CLI and scripts use the API that way).
    basic = requests.get(f"{live_scheduler.url}/api/v1/admin/fleet", auth=("admin", "wrong"), timeout=30)
    assert basic.status_code == 401 and basic.headers["WWW-Authenticate"].startswith("Basic")
    # every other answer is never sniffed either: a stored media file (any bytes an editor uploaded) or JSON
    sha256 = next(iter(live_scheduler.service.db.query("select sha256 from media limit 1")))["sha256"]
    for path in (f"/api/v1/media/{sha256}", "/api/v1/keys", "/api/v1/nothing-here"):
        answer = requests.get(f"{live_scheduler.url}{path}", timeout=30)
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path


def test_session_cookie_is_secure_when_configured(live_scheduler: Any) -> None:
    import dataclasses

    service = live_scheduler.service
    service.config = dataclasses.replace(service.config, session_cookie_secure=True)
    client = WebClient(live_scheduler.url)
    page = client.get("/admin/login")
    assert "Secure" in page.headers["Set-Cookie"]
    # requests (rightly) keeps a Secure cookie off plain HTTP: hand it over as a TLS proxy would.
    client.http.cookies.set("signage_login_csrf", page.cookies.get("signage_login_csrf") or "", path="/admin/login")
    password = service.demo_accounts.editor_password
    form = {"csrf_token": csrf_token(page.text), "username": "editor", "password": password}
    r = client.post("/admin/login", form, allow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["Set-Cookie"]
    assert "signage_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_user_with_must_change_password_is_sent_to_change_it_first(live_scheduler: Any) -> None:
    service = live_scheduler.service
    with service.lock:
        create_user(service.db, "baru", "editor", "sandi-sementara", format_utc(service.clock()))
        service.db.execute("update users set must_change_password = 1 where username = 'baru'")
    api = requests.get(f"{live_scheduler.url}/api/v1/admin/fleet", auth=("baru", "sandi-sementara"), timeout=30)
    assert api.status_code == 403 and api.json()["field"] == "password"  # not via the API either
    client = WebClient(live_scheduler.url)
    assert client.login("baru", "sandi-sementara").headers["location"] == "/admin/password"
    assert client.get("/admin/announcements", allow_redirects=False).headers["location"] == "/admin/password"
    token = client.token("/admin/password")
    bad = client.post("/admin/password", {"csrf_token": token, "current_password": "sandi-sementara",
                                          "new_password": "sandi-baru-99", "repeat_password": "lain"})  # fmt: skip
    assert bad.status_code == 400 and "Ulangi kata sandi baru" in bad.text
    new = "sandi-baru-99"
    ok = client.post("/admin/password", {"csrf_token": token, "current_password": "sandi-sementara",
                                         "new_password": new, "repeat_password": new})  # fmt: skip
    assert ok.status_code == 200 and "Kata sandi Anda sudah diganti" in ok.text
    assert client.get("/admin/announcements", allow_redirects=False).status_code == 200


def test_api_docs_work_offline_from_local_assets(live_scheduler: Any) -> None:
    page = requests.get(f"{live_scheduler.url}/api/v1/docs", timeout=30)
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, "the docs page references its assets"
    external = [u for u in urls if re.match(r"^(https?:)?//", u)]
    assert not external, external
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/api/v1/docs-assets/{asset}" in page.text
        r = requests.get(f"{live_scheduler.url}/api/v1/docs-assets/{asset}", timeout=30)
        assert r.status_code == 200 and len(r.content) > 10_000


def test_upload_named_with_dots_lands_only_in_the_store_and_refusals_are_plain(
    live_scheduler: Any, tmp_path: Any
) -> None:
    import io

    from PIL import Image

    editor = logged_in(live_scheduler, "editor")
    token = editor.token("/admin/announcements/new")
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 20, 20)).save(png, "PNG")
    data_dir = live_scheduler.service.data_dir
    before = {p for p in data_dir.parent.rglob("*") if "media" not in p.parts}
    r = editor.post("/admin/media", {"csrf_token": token}, files={"file": ("../../x.png", png.getvalue(), "image/png")})
    assert r.status_code == 200 and r.json()["ok"] is True
    sha256 = r.json()["sha256"]
    assert live_scheduler.service.media.has(sha256)
    assert live_scheduler.service.media.path_for(sha256).is_relative_to(data_dir / "media")
    after = {p for p in data_dir.parent.rglob("*") if "media" not in p.parts}
    assert not [p for p in after - before if p.name.startswith("x")], after - before
    assert not (data_dir.parent.parent / "x.png").exists() and not (data_dir / "x.png").exists()

    refused = editor.post(
        "/admin/media", {"csrf_token": token}, files={"file": ("surat.pdf", b"%PDF-1.4 ...", "application/pdf")}
    )
    assert refused.status_code == 400 and refused.json()["ok"] is False
    assert refused.json()["message"].startswith("Berkas ditolak: Jenis berkas ini tidak diterima. Yang diterima: "
                                                "gambar JPEG, PNG, WebP, GIF")  # the list in words too
    assert "Accepted" not in refused.json()["message"]  # one sentence, not the English one after it
    no_token = editor.post("/admin/media", {}, files={"file": ("a.png", png.getvalue(), "image/png")})
    assert no_token.status_code == 403


def test_release_offer_form_needs_the_csrf_token_and_the_admin_role(live_scheduler: Any) -> None:
    """Offering a player release changes what code the screens run: no token, or an editor, is refused."""
    live = live_scheduler

    def offers() -> int:
        with live.service.lock:
            return int(live.service.db.table("release_offers").count)

    admin = logged_in(live, "admin")
    r = admin.post("/admin/releases/offer", {"group": "kabupaten", "version": "9.9.9"}, allow_redirects=False)
    assert r.status_code == 403 and "kedaluwarsa atau tidak berasal dari situs ini" in r.text
    editor = logged_in(live, "editor")
    r = editor.post("/admin/releases/offer", {"csrf_token": editor.token(), "group": "kabupaten", "version": "9.9.9"},
                    allow_redirects=False)
    assert r.status_code == 403
    assert offers() == 0


def test_emergency_receipts_need_a_display_token(live_scheduler: Any) -> None:
    url = f"{live_scheduler.url}/api/v1/player/emergency-receipts"
    assert requests.post(url, json={"seq": 1, "outcome": "shown"}, timeout=10).status_code == 401
    forged = {"Authorization": "Bearer not-a-display-token"}
    assert requests.post(url, json={"seq": 1, "outcome": "shown"}, headers=forged, timeout=10).status_code == 401


def test_a_refusal_names_the_action_in_words_not_internal_names(live_scheduler: Any) -> None:
    # The third review: the "not allowed" page said "peran Anda (editor) tidak boleh melakukan 'manage_users'".
    page = logged_in(live_scheduler, "editor").get("/admin/users")
    assert page.status_code == 403
    assert "Penulis" in page.text and "mengelola pengguna" in page.text and "hubungi admin" in page.text
    assert "manage_users" not in page.text and "(editor)" not in page.text
