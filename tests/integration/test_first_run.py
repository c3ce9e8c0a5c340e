"""A real installation from an empty data dir: `signage init`, serve refuses without it, fleet CLI and API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from tests_support import free_port

from signage.cli import cli

TIMEOUT_S = 10


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "signage", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_serve_refuses_an_empty_data_dir_and_creates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "kosong"
    result = run("scheduler", "serve", "--data-dir", str(data_dir), "--port", str(free_port()))
    assert result.returncode != 0
    assert "run `signage init" in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not data_dir.exists()


def test_init_prints_the_password_once_and_is_idempotent(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "s")
    first = CliRunner().invoke(cli, ["init", "--data-dir", data_dir])
    assert first.exit_code == 0, first.output
    password = next(line.split()[-1] for line in first.output.splitlines() if line.startswith("password:"))
    assert len(password) >= 12

    second = CliRunner().invoke(cli, ["init", "--data-dir", data_dir])
    assert second.exit_code == 0 and "already set up" in second.output
    assert password not in second.output

    from scheduler.auth import authenticate
    from scheduler.store import open_store

    db = open_store(Path(data_dir) / "signage.db")
    assert db.table("users").count == 1, "a second init must not add users"
    user = authenticate(db, "admin", password)
    assert user is not None and user["role"] == "admin" and user["must_change_password"] == 1
    assert db.table("signing_keys").count == 1
    db.conn.close()


def test_fleet_cli_from_an_empty_store(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "s")
    runner = CliRunner()

    def ok(*args: str) -> str:
        result = runner.invoke(cli, [*args, "--data-dir", data_dir])
        assert result.exit_code == 0, result.output
        return result.output

    ok("init")
    ok("groups", "add", "kec-sungai-pinyuh", "--name", "Kecamatan Sungai Pinyuh", "--kind", "kecamatan")
    ok("displays", "add", "led-pinyuh", "--name", "LED Sungai Pinyuh", "--width", "768", "--height", "432",
       "-g", "kec-sungai-pinyuh", "--lat", "0.35", "--lon", "108.95", "--hours", "06:00-22:00",
       "--capture", "0,0,768,432")  # fmt: skip
    assert "led-pinyuh" in ok("groups", "list")
    assert '"capture_w": 768' in ok("displays", "show", "led-pinyuh")
    ok("displays", "edit", "led-pinyuh", "--rotation", "180")
    assert '"rotation": 180' in ok("displays", "show", "led-pinyuh")

    bad = runner.invoke(cli, ["displays", "add", "led-b", "--name", "B", "--width", "99999", "--height", "10",
                              "--data-dir", data_dir])  # fmt: skip
    assert bad.exit_code != 0 and "width" in str(bad.exception or bad.output)
    assert "led-b" not in ok("displays", "list")


@pytest.fixture
def admin_auth(live_scheduler) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return ("admin", live_scheduler.service.demo_accounts.admin_password)


def test_admin_api_groups_and_displays(live_scheduler, admin_auth: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base = f"{live_scheduler.url}/api/v1/admin"
    r = requests.post(f"{base}/groups", json={"id": "desa-sejegi", "name": "Desa Sejegi", "kind": "desa"},
                      auth=admin_auth, timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 201, r.text
    body = {"id": "led-sejegi", "name": "LED Desa Sejegi", "width": 400, "height": 300, "groups": ["desa-sejegi"],
            "operating_hours": [{"days": ["mon", "tue"], "start": "06:00", "end": "18:00"}]}  # fmt: skip
    r = requests.post(f"{base}/displays", json=body, auth=admin_auth, timeout=TIMEOUT_S)
    assert r.status_code == 201, r.text
    assert r.json()["display"]["timezone"] == "Asia/Pontianak"

    r = requests.patch(f"{base}/displays/led-sejegi", json={"rotation": 90}, auth=admin_auth, timeout=TIMEOUT_S)
    assert r.status_code == 200 and r.json()["display"]["rotation"] == 90
    assert r.json()["manifest_version"] == 2

    # One error shape, naming the field.
    r = requests.patch(f"{base}/displays/led-sejegi", json={"timezone": "Jakarta"}, auth=admin_auth, timeout=TIMEOUT_S)
    assert r.status_code == 400 and r.json()["field"] == "timezone" and r.json()["ok"] is False
    r = requests.patch(f"{base}/displays/led-sejegi", json={"rotation": 45}, auth=admin_auth, timeout=TIMEOUT_S)
    assert r.status_code == 422 and r.json()["field"] == "rotation"
    r = requests.post(f"{base}/displays", json={**body, "groups": ["nope"]}, auth=admin_auth, timeout=TIMEOUT_S)
    assert r.status_code == 400 and r.json()["field"] == "groups"

    editor = ("editor", live_scheduler.service.demo_accounts.editor_password)
    r = requests.delete(f"{base}/displays/led-sejegi", auth=editor, timeout=TIMEOUT_S)
    assert r.status_code == 403
    r = requests.get(f"{base}/displays/led-sejegi", auth=editor, timeout=TIMEOUT_S)
    assert r.status_code == 200 and r.json()["display"]["has_player"] is False
    r = requests.delete(f"{base}/groups/desa-sejegi", auth=admin_auth, timeout=TIMEOUT_S)
    assert r.status_code == 200 and r.json()["republished"] == ["led-sejegi"]
    r = requests.delete(f"{base}/displays/led-sejegi", auth=admin_auth, timeout=TIMEOUT_S)
    assert r.status_code == 200
    r = requests.get(f"{base}/displays/led-sejegi", auth=admin_auth, timeout=TIMEOUT_S)
    assert r.status_code == 404 and r.json()["field"] == "display"
