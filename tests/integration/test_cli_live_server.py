"""A CLI command run while `signage scheduler serve` is up is not undone by the running server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests
from procs import DISPLAY_ID, env, make_store, signage, start_scheduler, stop, wait_for
from tests_support import enrol_at, free_port, post_approve

from signage.signing import public_key_from_text, verify_envelope

pytestmark = [pytest.mark.slow]

TIMEOUT_S = 10


def _manifest(base: str, token: str) -> dict:  # type: ignore[type-arg]
    r = requests.get(f"{base}/api/v1/player/manifest", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_keys_rotate_from_the_cli_is_followed_by_the_running_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "scheduler"
    passwords = make_store(data_dir)
    admin, editor = ("admin", passwords["admin"]), ("editor", passwords["editor"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_scheduler(data_dir, port, tmp_path / "scheduler.log")
    try:
        token = enrol_at(base, admin, DISPLAY_ID, "KEY234", TIMEOUT_S)["token"]
        before = _manifest(base, token)
        old_key = before["signature"]["key_id"]

        rotate = subprocess.run(
            signage("keys", "rotate", "--data-dir", str(data_dir)), env=env(), capture_output=True, text=True,
            timeout=120,
        )
        assert rotate.returncode == 0, rotate.stderr
        # the running server follows within a second: it names the new key and serves what the CLI re-signed
        keys = wait_for(
            lambda: (k := requests.get(f"{base}/api/v1/keys", timeout=TIMEOUT_S).json())["active"] != old_key and k,
            10, "the server to report the rotated key",
        )
        new_key = keys["active"]
        assert new_key in rotate.stdout
        served = _manifest(base, token)
        assert served["signature"]["key_id"] == new_key
        assert served["manifest"]["version"] > before["manifest"]["version"]

        # ... and its own next publish (an approval) is signed with the rotated key, not the old one
        r = requests.post(
            f"{base}/api/v1/admin/announcements", auth=editor, timeout=TIMEOUT_S,
            json={"title": "Kerja bakti", "body": "Minggu pagi", "targets": {"displays": [DISPLAY_ID]}},
        )
        assert r.status_code == 201, r.text
        ann_id = r.json()["announcement"]["id"]
        r = post_approve(f"{base}/api/v1/admin/announcements/{ann_id}/approve", auth=admin, timeout=TIMEOUT_S)
        assert r.status_code == 200, r.text
        after = _manifest(base, token)
        assert after["manifest"]["version"] > served["manifest"]["version"]
        assert f"ann-{ann_id}" in after["manifest"]["items"]
        assert after["signature"]["key_id"] == new_key
        trusted = {new_key: public_key_from_text(keys["keys"][new_key])}
        verify_envelope(json.dumps(after).encode(), trusted)
    finally:
        stop(server)
