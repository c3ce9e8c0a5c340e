"""Attacks end to end over real HTTP on loopback against the real scheduler (issue 9).

Two-person bypass, an editor taking someone else's approved emergency off air, a revoked
token keeping its event stream, and the small holes (huge path ints, chunked bodies over
the limit, store permissions).
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
import time
from typing import Any

import requests
from tests_support import enrol, post_approve
from web_support import WebClient

from scheduler.auth import create_user
from scheduler.events import MAX_STREAMS_PER_DISPLAY

TIMEOUT_S = 10
STREAM_END_S = 8.0  # generous on a busy machine; the keep-alive below is far longer


def _auth(live: Any, who: str) -> tuple[str, str]:
    if who == "admin":
        return ("admin", live.service.demo_accounts.admin_password)
    if who == "editor":
        return ("editor", live.service.demo_accounts.editor_password)
    return (who, "password-" + who)


def _add_user(live: Any, username: str, role: str) -> tuple[str, str]:
    with live.service.lock:
        create_user(live.service.db, username, role, "password-" + username, live.service.now_iso())
    return (username, "password-" + username)


def _manifest(live: Any, token: str) -> requests.Response:
    r = requests.get(
        f"{live.url}/api/v1/player/manifest", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S
    )
    assert r.status_code == 200, r.text
    return r


def _admin_api(live: Any, method: str, path: str, who: str, **kwargs: Any) -> requests.Response:
    if method == "POST" and path.endswith("/approve") and not kwargs:
        return post_approve(f"{live.url}/api/v1/admin{path}", auth=_auth(live, who), timeout=TIMEOUT_S)
    return requests.request(
        method, f"{live.url}/api/v1/admin{path}", auth=_auth(live, who), timeout=TIMEOUT_S, **kwargs
    )


def test_admin_cannot_rewrite_an_editors_announcement_and_approve_it_alone(live_scheduler: Any) -> None:
    token = enrol(live_scheduler, "desa-antibar", "TPB234")["token"]
    before = _manifest(live_scheduler, token)
    body = {"title": "Posyandu Balita", "body": "Senin pagi", "targets": {"displays": ["desa-antibar"]}}
    r = _admin_api(live_scheduler, "POST", "/announcements", "editor", json=body)
    ann_id = r.json()["announcement"]["id"]
    hijack = {"title": "PESAN PALSU", "layer": "emergency", "targets": {"groups": ["kabupaten"]}}
    edited = _admin_api(live_scheduler, "PUT", f"/announcements/{ann_id}", "admin", json=hijack)
    assert edited.status_code == 200, edited.text
    refused = _admin_api(live_scheduler, "POST", f"/announcements/{ann_id}/approve", "admin")
    assert refused.status_code == 403, refused.text
    assert refused.json()["ok"] is False and "two-person" in refused.json()["error"]
    after = _manifest(live_scheduler, token)
    assert after.headers["X-Manifest-Version"] == before.headers["X-Manifest-Version"]
    assert after.content == before.content and "PESAN PALSU" not in after.text
    with live_scheduler.service.lock:
        assert live_scheduler.service.db["approvals"].count_where("announcement_id = ?", [ann_id]) == 0
    # The editor who wrote the original cannot approve it either; a third person can.
    assert _admin_api(live_scheduler, "POST", f"/announcements/{ann_id}/approve", "editor").status_code == 403
    _add_user(live_scheduler, "penyetuju", "approver")
    ok = _admin_api(live_scheduler, "POST", f"/announcements/{ann_id}/approve", "penyetuju")
    assert ok.status_code == 200, ok.text
    assert "PESAN PALSU" in _manifest(live_scheduler, token).text


def test_editing_an_approved_announcement_takes_it_off_air_until_someone_else_approves(live_scheduler: Any) -> None:
    token = enrol(live_scheduler, "kec-sungai-pinyuh", "TPE234")["token"]
    body = {"title": "Lomba Sampan", "targets": {"displays": ["kec-sungai-pinyuh"]}}
    ann_id = _admin_api(live_scheduler, "POST", "/announcements", "editor", json=body).json()["announcement"]["id"]
    assert _admin_api(live_scheduler, "POST", f"/announcements/{ann_id}/approve", "admin").ok
    assert "Lomba Sampan" in _manifest(live_scheduler, token).text
    changed = {**body, "title": "Lomba Sampan DIBATALKAN"}
    edited = _admin_api(live_scheduler, "PUT", f"/announcements/{ann_id}", "admin", json=changed)
    assert edited.json()["announcement"]["status"] == "submitted"
    assert "Lomba Sampan" not in _manifest(live_scheduler, token).text  # neither old nor new content airs
    assert _admin_api(live_scheduler, "POST", f"/announcements/{ann_id}/approve", "admin").status_code == 403
    assert "Lomba Sampan" not in _manifest(live_scheduler, token).text


def test_an_editor_cannot_take_an_admins_emergency_off_air(live_scheduler: Any) -> None:
    token = enrol(live_scheduler, "kantor-bupati", "TPX234")["token"]
    _add_user(live_scheduler, "penyetuju", "approver")
    body = {"title": "Banjir: evakuasi", "layer": "emergency", "targets": {"displays": ["kantor-bupati"]}}
    ann_id = _admin_api(live_scheduler, "POST", "/announcements", "admin", json=body).json()["announcement"]["id"]
    assert _admin_api(live_scheduler, "POST", f"/announcements/{ann_id}/approve", "penyetuju").ok
    on_air = _manifest(live_scheduler, token)
    assert "Banjir: evakuasi" in on_air.text
    attempts = [
        _admin_api(live_scheduler, "PUT", f"/announcements/{ann_id}", "editor", json={**body, "title": "Aman"}),
        _admin_api(live_scheduler, "DELETE", f"/announcements/{ann_id}", "editor"),
        _admin_api(live_scheduler, "POST", f"/announcements/{ann_id}/withdraw", "editor", json={"reason": "x"}),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403], [r.text for r in attempts]
    assert _manifest(live_scheduler, token).content == on_air.content
    # The CLI goes through the same policy.
    cli = _signage(live_scheduler, "announcements", "withdraw", str(ann_id), "--as", "editor", "--reason", "x")
    assert cli.returncode != 0 and "approver" in cli.stderr, cli.stderr
    assert _manifest(live_scheduler, token).content == on_air.content
    # An approver may withdraw it: at once, with the reason in the audit log.
    r = _admin_api(live_scheduler, "POST", f"/announcements/{ann_id}/withdraw", "penyetuju", json={"reason": "surut"})
    assert r.status_code == 200 and r.json()["announcement"]["status"] == "withdrawn"
    assert "Banjir: evakuasi" not in _manifest(live_scheduler, token).text
    with live_scheduler.service.lock:
        rows = list(live_scheduler.service.db["audit_log"].rows_where("action = 'announcement.withdraw'"))
    assert rows and rows[-1]["detail"] == "surut" and '"status": "approved"' in rows[-1]["before"]


class _Stream:
    """An open event stream read in a thread; ``ended`` is set when the server closes it."""

    def __init__(self, url: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        self.response = requests.get(f"{url}/api/v1/player/events", headers=headers, stream=True, timeout=(5, 60))
        assert self.response.status_code == 200
        self.lines: list[str] = []
        self.connected = threading.Event()
        self.ended = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                self.lines.append(line)
                if line.startswith(": connected"):
                    self.connected.set()
        except requests.RequestException:
            pass
        finally:
            self.ended.set()


def _signage(live: Any, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "signage", *args, "--data-dir", str(live.service.data_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ.copy(), check=False)


def test_revoking_a_display_ends_its_open_stream_at_once(live_scheduler: Any) -> None:
    live_scheduler.service.sse_keepalive_s = 120.0  # only a revocation can end the stream within the test
    token = enrol(live_scheduler, "desa-antibar", "RVK234")["token"]
    other = enrol(live_scheduler, "kantor-bupati", "RVL234")["token"]
    stream, bystander = _Stream(live_scheduler.url, token), _Stream(live_scheduler.url, other)
    assert stream.connected.wait(TIMEOUT_S) and bystander.connected.wait(TIMEOUT_S)
    revoked_at = time.monotonic()
    r = _admin_api(live_scheduler, "POST", "/displays/desa-antibar/revoke", "admin")
    assert r.status_code == 200 and r.json()["revoked"] == 1
    assert stream.ended.wait(STREAM_END_S), "the revoked display's stream stayed open"
    assert time.monotonic() - revoked_at < STREAM_END_S
    assert not bystander.ended.is_set()  # another display's stream is untouched
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        requests.get(f"{live_scheduler.url}/api/v1/player/events", headers=headers, timeout=TIMEOUT_S).status_code
        == 401
    )
    assert (
        requests.get(f"{live_scheduler.url}/api/v1/player/manifest", headers=headers, timeout=TIMEOUT_S).status_code
        == 401
    )
    assert _admin_api(live_scheduler, "POST", "/displays/desa-antibar/revoke", "editor").status_code == 403
    assert _admin_api(live_scheduler, "POST", "/displays/no-such/revoke", "admin").status_code == 404
    bystander.response.close()


def test_revoking_from_the_cli_ends_the_running_servers_stream(live_scheduler: Any) -> None:
    live_scheduler.service.sse_keepalive_s = 120.0
    token = enrol(live_scheduler, "kec-sungai-pinyuh", "RVC234")["token"]
    _manifest(live_scheduler, token)  # the token is now in the server's 30 s cache
    stream = _Stream(live_scheduler.url, token)
    assert stream.connected.wait(TIMEOUT_S)
    result = _signage(live_scheduler, "displays", "revoke", "kec-sungai-pinyuh")
    assert result.returncode == 0, result.stderr
    assert stream.ended.wait(STREAM_END_S), "the stream outlived a revocation made by the CLI"
    deadline = time.monotonic() + STREAM_END_S
    status = 200
    while status != 401 and time.monotonic() < deadline:
        headers = {"Authorization": f"Bearer {token}"}
        status = requests.get(
            f"{live_scheduler.url}/api/v1/player/manifest", headers=headers, timeout=TIMEOUT_S
        ).status_code
        time.sleep(0.2)
    assert status == 401


def _web_session(live: Any) -> requests.Session:
    client = WebClient(live.url)
    r = client.login("admin", live.service.demo_accounts.admin_password)
    assert r.status_code == 303 and "signage_session" in client.http.cookies
    return client.http


def test_huge_path_ints_are_refused_not_500(live_scheduler: Any) -> None:
    session = _web_session(live_scheduler)
    for path in ("/admin/announcements/99999999999999999999999/approve", "/admin/announcements/0/approve"):
        r = session.post(f"{live_scheduler.url}{path}", timeout=TIMEOUT_S)
        assert r.status_code == 422, (path, r.status_code, r.text)
        # the web admin answers with its error page, in the staff's language, naming the part of the address
        assert r.headers["content-type"].startswith("text/html") and "(announcement_id)" in r.text, r.text
        assert "Ada bagian alamat yang tidak sah" in r.text
    admin = ("admin", live_scheduler.service.demo_accounts.admin_password)
    for path in ("/api/v1/admin/announcements/99999999999999999999999/approve",
                 "/api/v1/admin/announcements/0/approve"):
        r = requests.post(f"{live_scheduler.url}{path}", auth=admin, timeout=TIMEOUT_S)
        assert r.status_code == 422, (path, r.status_code, r.text)  # the API: its one JSON error shape
        assert r.json()["ok"] is False and r.json()["field"] == "announcement_id"


def test_a_chunked_body_over_the_limit_is_413(live_scheduler: Any) -> None:
    host, port = live_scheduler.url.removeprefix("http://").split(":")
    chunk = b"x" * 1024
    request = (
        b"POST /api/v1/enrolments HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + (b"400\r\n" + chunk + b"\r\n") * 8  # 8 KiB against a 4 KiB limit
        + b"0\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=TIMEOUT_S) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:300]


def test_the_store_and_its_folder_are_private(live_scheduler: Any) -> None:
    data_dir = live_scheduler.service.data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("signage.db", "signage.db-wal", "signage.db-shm"):
        path = data_dir / name
        assert path.exists(), name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_existing_world_readable_stores_are_tightened_on_start(tmp_path: Any) -> None:
    from scheduler.store import open_store

    data_dir = tmp_path / "old"
    open_store(data_dir / "signage.db").conn.close()
    os.chmod(data_dir, 0o755)
    for path in data_dir.iterdir():
        os.chmod(path, 0o644)
    db = open_store(data_dir / "signage.db")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    db.conn.close()


def test_one_display_token_cannot_hold_event_streams_without_end(live_scheduler: Any) -> None:
    # The third review: each stream costs the server a socket and a queue; a token could open them in a loop.
    live_scheduler.service.sse_keepalive_s = 120.0
    token = enrol(live_scheduler, "desa-antibar", "SSE234")["token"]
    streams = [_Stream(live_scheduler.url, token) for _ in range(MAX_STREAMS_PER_DISPLAY + 2)]
    try:
        for stream in streams:
            assert stream.connected.wait(TIMEOUT_S)
        assert streams[0].ended.wait(TIMEOUT_S) and streams[1].ended.wait(TIMEOUT_S)  # the oldest two ended
        assert not any(stream.ended.is_set() for stream in streams[2:])  # the newest stay open
        deadline = time.monotonic() + TIMEOUT_S
        hub = live_scheduler.service.events
        while hub.open_streams("desa-antibar") > MAX_STREAMS_PER_DISPLAY and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.open_streams("desa-antibar") == MAX_STREAMS_PER_DISPLAY
    finally:
        live_scheduler.service.events.close("desa-antibar")  # the server ends them: no client waits on a read
        for stream in streams:
            stream.ended.wait(TIMEOUT_S)
            stream.response.close()
