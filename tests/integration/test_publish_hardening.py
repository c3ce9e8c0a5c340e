"""Issue 9 items 2, 8 and 10 (start-up): a bad stored rule cannot stop the scheduler, versions are never reused,
and start-up never rewrites schedules."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from tests_support import free_port

from scheduler.service import Service
from signage.config import SchedulerConfig

BAD_RULE = {"id": "beku", "item": "ann-1", "targets": {"displays": ["desa-antibar"]}, "rrule": "FREQ=DAILY;INTERVAL=0"}


def _serve(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "signage", "scheduler", "serve", "--data-dir", str(data_dir), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_listening(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the scheduler exited"
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the scheduler did not answer /api/v1 within {timeout_s} s")


def _displays(url: str, auth: tuple[str, str]) -> dict[str, dict[str, Any]]:
    body = requests.get(f"{url}/api/v1/admin/displays", auth=auth, timeout=10).json()
    return {d["id"]: d for d in body["displays"]}


def test_a_pathological_rule_in_the_db_never_makes_the_service_unbootable(demo_service: Any, tmp_path: Path) -> None:
    data_dir = demo_service.data_dir
    auth = ("admin", demo_service.demo_accounts.admin_password)
    before = {d: demo_service.publisher.latest(d).version for d in ("kantor-bupati", "desa-antibar")}
    demo_service.close()
    demo_service.db.conn.close()
    with sqlite3.connect(data_dir / "signage.db") as conn:  # as an old version or a hand edit would leave it
        conn.execute(
            "insert into rules (id, announcement_id, body, updated_at) values (?, null, ?, ?)",
            ("beku", json.dumps(BAD_RULE), "2026-11-30T00:00:00Z"),
        )
        conn.execute("update announcements set title = 'Pelayanan KTP-el (diubah)' where id = 1")  # all displays
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    proc = _serve(data_dir, port, log_path)
    try:
        _wait_listening(url, proc)
        deadline = time.monotonic() + 60
        while True:  # the start-up publish runs in the background
            displays = _displays(url, auth)
            if displays["kantor-bupati"]["manifest_version"] > before["kantor-bupati"]:
                break
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.3)
        bad = displays["desa-antibar"]
        assert bad["manifest_version"] == before["desa-antibar"]  # keeps its last good manifest
        assert [w["code"] for w in bad["warnings"]] == ["rule_invalid"] and bad["warnings"][0]["rule_id"] == "beku"
        assert "INTERVAL=0" in bad["warnings"][0]["message"]
        assert displays["kec-sungai-pinyuh"]["manifest_version"] is not None
        assert all(w["code"] != "rule_invalid" for w in displays["kec-sungai-pinyuh"]["warnings"])
        os.kill(proc.pid, signal.SIGKILL)  # kill -9, then boot again over the same store
        proc.wait(timeout=10)
        proc = _serve(data_dir, port, log_path)
        _wait_listening(url, proc)
        assert requests.get(f"{url}/api/v1/health", timeout=5).json()["ok"] is True
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_compile_over_budget_fails_only_that_publish_and_keeps_the_last_manifest(demo_service: Any) -> None:
    before = demo_service.publisher.latest("kantor-bupati")
    with demo_service.lock:
        demo_service.db.execute("update announcements set title = 'Judul baru' where id = 1")
    demo_service.publisher.compile_budget_s = -1.0  # every compile is over budget at its first check
    assert demo_service.publisher.publish_all() == []
    assert demo_service.publisher.latest("kantor-bupati").version == before.version
    codes = {w["code"] for w in demo_service.publisher.warnings["kantor-bupati"]}
    assert codes == {"compile_budget_exceeded"}
    demo_service.publisher.compile_budget_s = 20.0
    assert {p.display_id for p in demo_service.publisher.publish_all()} >= {"kantor-bupati"}


def _change_content(service: Any, title: str) -> None:
    with service.lock:
        service.db.execute("update announcements set title = ? where id = 1", [title])


def test_files_ahead_of_the_database_are_never_reissued(demo_service: Any, tmp_path: Path) -> None:
    publisher = demo_service.publisher
    latest = publisher.latest("kantor-bupati")
    folder = publisher.manifests_dir / "kantor-bupati"
    # a crash after writing version N+1 (maybe served) but before the database recorded it
    leftover = folder / f"{latest.version + 1}.json"
    leftover.write_bytes(b'{"crash": "left this behind"}')
    _change_content(demo_service, "Setelah crash")
    published = {p.display_id: p for p in publisher.publish_all()}
    assert published["kantor-bupati"].version == latest.version + 2
    assert leftover.read_bytes() == b'{"crash": "left this behind"}'  # never rewritten
    # the same with unchanged content: still goes past the file, so API and files agree again
    second = folder / f"{latest.version + 3}.json"
    second.write_bytes(b"also left behind")
    again = {p.display_id: p for p in publisher.publish(["kantor-bupati"])}
    assert again["kantor-bupati"].version == latest.version + 4 and second.read_bytes() == b"also left behind"


def test_the_static_tree_ahead_of_the_database_is_never_reissued(demo_service: Any, tmp_path: Path) -> None:
    publisher = demo_service.publisher
    publisher.static_dir = tmp_path / "static"
    latest = publisher.latest("kantor-bupati")
    static = publisher.static_dir / "displays" / "kantor-bupati" / "manifest.json"
    static.parent.mkdir(parents=True)
    static.write_text(json.dumps({"manifest": {"version": latest.version + 5}}))
    _change_content(demo_service, "Static di depan")
    published = {p.display_id: p for p in publisher.publish_all()}
    assert published["kantor-bupati"].version == latest.version + 6
    assert json.loads(static.read_text())["manifest"]["version"] == latest.version + 6


def test_start_up_never_rewrites_schedules(demo_service: Any) -> None:
    friday_night = {"id": "jumat-malam", "item": "ann-1", "targets": {"groups": ["kabupaten"]}, "days": ["fri"],
                    "dayparts": [{"start": "19:00", "end": "23:00"}]}  # fmt: skip
    with demo_service.lock, demo_service.db.atomic():
        demo_service.db.table("rules").delete_where("id = 'ann-1'")
        demo_service.db.table("rules").insert(
            {"id": "jumat-malam", "announcement_id": None, "body": json.dumps(friday_night), "updated_at": "x"}
        )
        before = sorted((r["id"], r["body"]) for r in demo_service.db.table("rules").rows)
    data_dir = demo_service.data_dir
    demo_service.close()
    reopened = Service(SchedulerConfig(data_dir=str(data_dir)))
    try:
        after = sorted((r["id"], r["body"]) for r in reopened.db.table("rules").rows)
        assert after == before  # no default ann-1 rule recreated over the imported one
    finally:
        reopened.close()
