"""After a session ends mid-work, logging in again returns to the page the staffer was on (over real HTTP); only
pages of this admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from web_support import WebClient, csrf_token, logged_in

from signage.clock import format_utc

pytestmark = pytest.mark.slow


def _end_sessions(service: Any) -> None:
    idle = timedelta(seconds=service.config.session_idle_timeout_s + 1)
    with service.lock:
        service.db.execute("update web_sessions set last_seen_at = ?", [format_utc(service.clock() - idle)])


def _log_in_again(client: WebClient, password: str) -> Any:
    page = client.get("/admin/login")
    assert "Sesi Anda sudah berakhir" in page.text
    form = {"csrf_token": csrf_token(page.text), "username": "editor", "password": password}
    return client.post("/admin/login", form, allow_redirects=False)


def test_logging_in_after_an_ended_session_returns_to_the_page_with_its_query(live_scheduler: Any) -> None:
    service = live_scheduler.service
    client = logged_in(live_scheduler, "editor")
    _end_sessions(service)
    chosen = "/admin/schedule?display=desa-antibar&at=09:00"
    assert client.get(chosen, allow_redirects=False).headers["location"] == "/admin/login"
    again = _log_in_again(client, service.demo_accounts.editor_password)
    assert again.status_code == 303 and again.headers["location"] == chosen
    assert "Sesi Anda sudah berakhir" not in client.get("/admin/login", allow_redirects=False).text  # once only


def test_a_post_returns_to_its_form_page_and_only_to_admin_pages(live_scheduler: Any) -> None:
    service = live_scheduler.service
    password = service.demo_accounts.editor_password
    client = logged_in(live_scheduler, "editor")
    token = client.token("/admin/announcements/new")
    _end_sessions(service)
    form_page = f"{live_scheduler.url}/admin/announcements/new"
    sent = client.post("/admin/announcements/new", {"csrf_token": token, "title": "x"}, headers={"Referer": form_page},
                       allow_redirects=False)  # fmt: skip
    assert sent.headers["location"] == "/admin/login"
    assert _log_in_again(client, password).headers["location"] == "/admin/announcements/new"

    _end_sessions(service)  # a Referer of this site outside the admin pages (another site's is refused earlier)
    outside = f"{live_scheduler.url}/api/v1/health"
    client.post("/admin/announcements/new", {"csrf_token": token}, headers={"Referer": outside}, allow_redirects=False)
    assert _log_in_again(client, password).headers["location"] == "/admin/"
    fresh = WebClient(live_scheduler.url)  # no ended session: no message, home after login
    assert "Sesi Anda sudah berakhir" not in fresh.get("/admin/login").text
    assert fresh.login("editor", password).headers["location"] == "/admin/"


def test_a_wrong_admin_address_gets_the_admin_error_page_in_indonesian_and_the_api_keeps_json(
    live_scheduler: Any,
) -> None:
    """A typed or stale address (no such page, a malformed id, a button's address opened as a page)."""
    client = logged_in(live_scheduler, "editor")
    for path, status, words in (
        ("/admin/pengumuman", 404, "Tidak ditemukan"),
        ("/admin/announcements/abc", 422, "Ada bagian alamat yang tidak sah (announcement_id)"),
        ("/admin/schedule?display=" + "x" * 65, 422, "Ada bagian alamat yang tidak sah (display)"),
        ("/admin/announcements/1/approve", 405, "hanya bekerja lewat tombol"),
    ):
        r = client.get(path, allow_redirects=False)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), path
        assert words in r.text and "Kembali ke Beranda" in r.text, path
        assert '"ok":false' not in r.text.replace(" ", "") and "Not Found" not in r.text, path
    api = client.http.get(f"{live_scheduler.url}/api/v1/admin/announcements/abc", timeout=30)
    assert api.status_code == 422 and api.json()["ok"] is False
    assert client.http.get(f"{live_scheduler.url}/api/v1/nothing", timeout=30).json()["status"] == 404
