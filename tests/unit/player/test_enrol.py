"""Enrolment against a fixture server: code, POST, poll pending -> approved, identity saved."""

from __future__ import annotations

import hashlib
import json
import random
import stat
from pathlib import Path
from typing import Any

from player.enrol import (
    CODE_ALPHABET,
    Enroller,
    display_code,
    generate_code,
    is_valid_code,
    load_pending_code,
)
from player.identity import load_identity


def test_code_shape():
    rng = random.Random(1)
    codes = {generate_code(rng.choice) for _ in range(200)}
    assert all(len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("".join(codes)) & set("01IO")
    assert display_code("ABCDEF") == "ABC-DEF"
    assert is_valid_code("ABC234") and not is_valid_code("ABC10O")


def approve_after(server: Any, helpers: Any, code: str, signing_key: Any, pending: int) -> None:
    state = {"polls": 0}
    approved = {
        "ok": True,
        "status": "approved",
        "display_id": helpers.DISPLAY_ID,
        "token": helpers.TOKEN,
        "public_keys": {signing_key.key_id: signing_key.public_text},
        "manifest_url": f"{server.url}/api/v1/player/manifest",
    }

    def poll(record: dict[str, Any]) -> Any:
        state["polls"] += 1
        if state["polls"] <= pending:
            return helpers.enrol_route(signing_key, {"ok": True, "status": "pending"})(record)
        if state["polls"] == pending + 1:
            return helpers.enrol_route(signing_key, approved)(record)
        return helpers.Route(410, b'{"ok": false, "status": 410, "error": "gone"}')

    server.set("POST", "/api/v1/enrolments", helpers.enrol_route(signing_key, {"ok": True, "status": "pending"}, 202))
    server.set("POST", f"/api/v1/enrolments/{code}/collect", poll)


def test_enrolment_flow(qtbot, server, helpers, signing_key, data_dir: Path):
    enroller = Enroller(data_dir, server.url, "videotron-alun-alun", poll_interval_s=0.05)
    code = enroller.code
    approve_after(server, helpers, code, signing_key, pending=2)
    statuses: list[str] = []
    enroller.statusChanged.connect(lambda key, detail: statuses.append(key))
    with qtbot.waitSignal(enroller.enrolled, timeout=5000) as blocker:
        enroller.start()
    enroller.stop()
    identity = blocker.args[0]
    assert identity.display_id == helpers.DISPLAY_ID
    assert identity.manifest_url == f"{server.url}/api/v1/player/manifest"
    assert "enrol_pending" in statuses
    posted = server.hits("POST", "/api/v1/enrolments")
    assert len(posted) == 1
    request = json.loads(posted[0]["body"])
    assert request["code"] == code and request["name"] == "videotron-alun-alun"
    # the secret itself goes only to the collect endpoint; the request carries its hash
    collects = [json.loads(hit["body"]) for hit in server.hits("POST", f"/api/v1/enrolments/{code}/collect")]
    secret = collects[0]["secret"]
    assert len(secret) >= 32 and secret not in posted[0]["body"].decode()
    assert request["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert len({c["nonce"] for c in collects}) == len(collects)  # a fresh nonce each time
    saved = load_identity(data_dir)
    assert saved == identity
    assert stat.S_IMODE((data_dir / "identity.json").stat().st_mode) == 0o600
    assert load_pending_code(data_dir) is None  # the pending code file is gone


def test_enrolment_retries_while_server_is_down(qtbot, server, helpers, signing_key, data_dir):
    enroller = Enroller(data_dir, server.url, "x", poll_interval_s=0.05)
    server.set("POST", "/api/v1/enrolments", helpers.Route(503, b'{"error": "starting"}'))
    offline: list[str] = []
    enroller.statusChanged.connect(lambda key, detail: offline.append(detail))
    enroller.start()
    qtbot.waitUntil(lambda: len(offline) >= 2, timeout=3000)
    assert "HTTP 503" in offline[0]
    approve_after(server, helpers, enroller.code, signing_key, pending=0)
    with qtbot.waitSignal(enroller.enrolled, timeout=5000):
        pass
    enroller.stop()


def test_forgotten_code_starts_over(qtbot, server, helpers, signing_key, data_dir):
    enroller = Enroller(data_dir, server.url, "x", poll_interval_s=0.05)
    old = enroller.code
    server.set("POST", "/api/v1/enrolments", helpers.enrol_route(signing_key, {"ok": True, "status": "pending"}, 202))
    with qtbot.waitSignal(enroller.codeChanged, timeout=5000) as blocker:
        enroller.start()  # POST /enrolments/OLD/collect -> 404: a new code
    new = blocker.args[0]
    enroller.stop()
    assert new != old and is_valid_code(new)
    assert load_pending_code(data_dir) == enroller.code


def test_pending_code_survives_restart(data_dir):
    first = Enroller(data_dir, "http://127.0.0.1:9")
    first.start()
    first.stop()
    assert Enroller(data_dir, "http://127.0.0.1:9").code == first.code


def test_pending_secret_is_private_and_survives_restart(data_dir):
    first = Enroller(data_dir, "http://127.0.0.1:9")
    first.start()
    first.stop()
    assert stat.S_IMODE((data_dir / "enrolment.json").stat().st_mode) == 0o600
    again = Enroller(data_dir, "http://127.0.0.1:9")
    assert again.pending == first.pending and len(first.pending.secret) >= 32


def test_pinned_player_refuses_a_server_with_another_key(qtbot, server, helpers, signing_key, data_dir):
    from signage.enrolproof import fingerprint
    from signage.signing import SigningKey

    pinned = SigningKey.generate()
    enroller = Enroller(data_dir, server.url, "x", poll_interval_s=0.05, server_key=fingerprint(pinned.public_key))
    approve_after(server, helpers, enroller.code, signing_key, pending=0)  # the server signs with another key
    details: list[tuple[str, str]] = []
    enroller.statusChanged.connect(lambda key, detail: details.append((key, detail)))
    enroller.start()
    qtbot.waitUntil(lambda: bool(details), timeout=5000)
    enroller.stop()
    key, detail = details[0]
    assert key == "enrol_wrong_server"
    assert f"pinned to key {pinned.key_id}" in detail and signing_key.key_id in detail
    assert not server.hits("POST", f"/api/v1/enrolments/{enroller.code}/collect")  # the secret was never sent
    assert load_identity(data_dir) is None


def test_pinned_player_enrols_with_its_server(qtbot, server, helpers, signing_key, data_dir):
    enroller = Enroller(data_dir, server.url, "x", poll_interval_s=0.05, server_key=signing_key.key_id)
    approve_after(server, helpers, enroller.code, signing_key, pending=1)
    with qtbot.waitSignal(enroller.enrolled, timeout=5000):
        enroller.start()
    enroller.stop()
