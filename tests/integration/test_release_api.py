"""Releases on the real scheduler (uvicorn on loopback): add, offer per group, the signed offer a display
gets, the wheel with Range, refusals in the one error shape, and the update state from heartbeats."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from procs import env, signage
from tests_support import enrol

from scheduler.releases import add_release
from signage.canonical import canonical_json
from signage.errors import UserError
from signage.release import verify_release
from signage.release_build import describe_wheel
from signage.signing import public_key_from_text

TIMEOUT_S = 10
DISPLAY = "desa-antibar"


def _built(tmp_path: Path, version: str, payload: bytes = b"") -> Path:
    """A wheel-named file and its release.json, as `signage release build` leaves them."""
    folder = tmp_path / f"rel-{version}"
    folder.mkdir()
    wheel = folder / f"mempawah_signage-{version}-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04" + version.encode() * 1000 + payload)
    release = describe_wheel(wheel, min_compatible="0.1.0", max_compatible=None, created_at="2026-11-30T11:00:00Z")
    (folder / "release.json").write_bytes(canonical_json(release.to_dict()))
    return folder / "release.json"


def _admin(live: Any) -> tuple[str, str]:
    return ("admin", live.service.demo_accounts.admin_password)


def _group(live: Any, group: str, displays: list[str]) -> None:
    admin = _admin(live)
    requests.post(f"{live.url}/api/v1/admin/groups", json={"id": group, "name": group, "kind": "tag"},
                  auth=admin, timeout=TIMEOUT_S).raise_for_status()
    for display in displays:
        current = requests.get(f"{live.url}/api/v1/admin/displays/{display}", auth=admin,
                               timeout=TIMEOUT_S).json()["display"]["groups"]
        requests.patch(f"{live.url}/api/v1/admin/displays/{display}", json={"groups": [*current, group]},
                       auth=admin, timeout=TIMEOUT_S).raise_for_status()


def test_offers_are_signed_per_group_highest_version_wins_and_the_wheel_resumes(live_scheduler: Any,
                                                                                 tmp_path: Path) -> None:
    live = live_scheduler
    token = enrol(live, DISPLAY, "REL234")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    offer_url = f"{live.url}/api/v1/player/release"
    assert requests.get(offer_url, headers=auth, timeout=TIMEOUT_S).status_code == 204  # nothing offered
    assert requests.get(offer_url, timeout=TIMEOUT_S).status_code == 401

    for version in ("0.5.0", "0.6.0"):
        add_release(live.service, _built(tmp_path, version))
    _group(live, "rilis-a", [DISPLAY])
    _group(live, "rilis-b", [DISPLAY])
    admin = _admin(live)
    for group, version in (("rilis-a", "0.5.0"), ("rilis-b", "0.6.0")):
        r = requests.post(f"{live.url}/api/v1/admin/releases/offers", json={"group": group, "version": version},
                          auth=admin, timeout=TIMEOUT_S)
        assert r.status_code == 200, r.text

    r = requests.get(offer_url, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 200
    keys = {k: public_key_from_text(v) for k, v in live.service.keyring.public_keys().items()}
    release = verify_release(r.content, keys)
    assert release.version == "0.6.0"  # the highest over the display's groups
    wheel = tmp_path / "rel-0.6.0" / release.filename
    file_url = f"{live.url}/api/v1/player/{release.url}"
    whole = requests.get(file_url, headers=auth, timeout=TIMEOUT_S)
    assert whole.status_code == 200 and whole.content == wheel.read_bytes()
    part = requests.get(file_url, headers={**auth, "Range": "bytes=100-"}, timeout=TIMEOUT_S)
    assert part.status_code == 206 and part.content == wheel.read_bytes()[100:]
    bad_range = requests.get(file_url, headers={**auth, "Range": f"bytes={release.size + 5}-"}, timeout=TIMEOUT_S)
    assert bad_range.status_code == 416 and bad_range.json()["ok"] is False
    missing = requests.get(f"{live.url}/api/v1/player/release-files/{'0' * 64}", headers=auth, timeout=TIMEOUT_S)
    assert missing.status_code == 404 and missing.json()["field"] == "sha256"

    listing = requests.get(f"{live.url}/api/v1/admin/releases", auth=admin, timeout=TIMEOUT_S).json()
    assert [r["version"] for r in listing["releases"]] == ["0.6.0", "0.5.0"]
    assert "envelope" not in listing["releases"][0]
    r = requests.delete(f"{live.url}/api/v1/admin/releases/offers/rilis-b", auth=admin, timeout=TIMEOUT_S)
    assert r.status_code == 200
    again = verify_release(requests.get(offer_url, headers=auth, timeout=TIMEOUT_S).content, keys)
    assert again.version == "0.5.0"
    audit = [row["action"] for row in live.service.db.table("audit_log").rows_where("action like 'release_%'")]
    assert audit.count("release_add") == 2 and audit.count("release_offer") == 2 and "release_withdraw" in audit


def test_bad_offers_and_bad_releases_are_refused_naming_the_field(live_scheduler: Any, tmp_path: Path) -> None:
    live = live_scheduler
    admin = _admin(live)
    add_release(live.service, _built(tmp_path, "0.7.0"))
    _group(live, "rilis-c", [])
    url = f"{live.url}/api/v1/admin/releases/offers"
    r = requests.post(url, json={"group": "rilis-c", "version": "9.9.9"}, auth=admin, timeout=TIMEOUT_S)
    assert r.status_code == 400 and r.json()["field"] == "version" and "signage release add" in r.json()["error"]
    r = requests.post(url, json={"group": "tidak-ada", "version": "0.7.0"}, auth=admin, timeout=TIMEOUT_S)
    assert r.status_code == 404 and r.json()["field"] == "group"
    editor = ("editor", live.service.demo_accounts.editor_password)
    r = requests.post(url, json={"group": "rilis-c", "version": "0.7.0"}, auth=editor, timeout=TIMEOUT_S)
    assert r.status_code == 403 and r.json()["ok"] is False
    assert not list(live.service.db.table("release_offers").rows)

    # a wheel that does not match its manifest, a second wheel under a used version, a malformed manifest
    manifest = _built(tmp_path, "0.8.0")
    data = json.loads(manifest.read_text())
    wheel = manifest.parent / data["filename"]
    wheel.write_bytes(wheel.read_bytes() + b"x")
    with pytest.raises(UserError) as caught:
        add_release(live.service, manifest)
    assert caught.value.field == "sha256"
    (tmp_path / "again").mkdir()
    other = _built(tmp_path / "again", "0.7.0", payload=b"different")
    with pytest.raises(UserError, match="already exists with another wheel"):
        add_release(live.service, other)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**data, "size": -1}))
    done = subprocess.run([*signage("release", "add", str(broken), "--data-dir", str(live.service.data_dir))],
                          capture_output=True, text=True, env=env(), timeout=120, check=False)
    assert done.returncode == 2 and "size must be a whole number of bytes" in done.stderr
    assert {r["version"] for r in live.service.db.table("releases").rows} == {"0.7.0"}
    assert not (live.service.data_dir / "releases" / data["sha256"]).exists()


def test_heartbeats_carry_the_update_state_to_the_fleet(live_scheduler: Any) -> None:
    live = live_scheduler
    token = enrol(live, DISPLAY, "UPS234")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{live.url}/api/v1/player/heartbeat"
    beat = {"status": "playing", "app_version": "0.1.0",
            "update": {"state": "rolled_back", "version": "0.2.0", "detail": "exited with status 1 3 times"}}
    assert requests.post(url, json=beat, headers=auth, timeout=TIMEOUT_S).status_code == 200
    row = next(live.service.db.table("display_status").rows_where("display_id = ?", [DISPLAY]))
    assert (row["update_state"], row["update_version"], row["update_detail"]) == (
        "rolled_back", "0.2.0", "exited with status 1 3 times")
    wrong = dict(beat, update={"state": "exploded", "version": "0.2.0"})
    r = requests.post(url, json=wrong, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 422 and "update" in (r.json()["field"] or "")
    older_player = {"status": "playing", "app_version": "0.1.0"}  # a player without updates: columns cleared
    assert requests.post(url, json=older_player, headers=auth, timeout=TIMEOUT_S).status_code == 200
    row = next(live.service.db.table("display_status").rows_where("display_id = ?", [DISPLAY]))
    assert row["update_state"] is None and row["app_version"] == "0.1.0"
