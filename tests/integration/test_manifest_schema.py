"""Manifest schema 2 (the compact timeline) over real HTTP: only to a player that says it reads it."""

from __future__ import annotations

from typing import Any

import requests
from tests_support import enrol

from signage.manifest import SCHEMA, SCHEMA_V2, parse_manifest
from signage.signing import public_key_from_text, verify_envelope

TIMEOUT_S = 10


def _manifest(live: Any, auth: dict[str, str], keys: dict[str, Any]) -> dict[str, Any]:
    r = requests.get(f"{live.url}/api/v1/player/manifest", headers=auth, timeout=TIMEOUT_S)
    r.raise_for_status()
    body: dict[str, Any] = verify_envelope(r.content, keys)
    return body


def _heartbeat(live: Any, auth: dict[str, str], **extra: Any) -> None:
    r = requests.post(
        f"{live.url}/api/v1/player/heartbeat",
        json={"status": "playing", "app_version": "0.1.0", **extra},
        headers=auth,
        timeout=TIMEOUT_S,
    )
    assert r.status_code == 200, r.text


def test_a_player_gets_schema_2_once_it_says_it_reads_it_and_schema_1_when_an_old_one_is_back(
    live_scheduler: Any,
) -> None:
    identity = enrol(live_scheduler, "kantor-bupati", "SCH234")
    auth = {"Authorization": f"Bearer {identity['token']}"}
    keys = {k: public_key_from_text(v) for k, v in identity["public_keys"].items()}
    first = _manifest(live_scheduler, auth, keys)
    assert first["schema"] == SCHEMA and isinstance(first["timeline"], list)  # nothing reported yet: schema 1

    _heartbeat(live_scheduler, auth)  # an older player: no manifest_schemas
    assert _manifest(live_scheduler, auth, keys)["version"] == first["version"]  # nothing to change

    _heartbeat(live_scheduler, auth, manifest_schemas=[1, 2, 7])  # 7: a schema this scheduler does not know
    compact = _manifest(live_scheduler, auth, keys)
    assert compact["schema"] == SCHEMA_V2 and compact["version"] > first["version"]
    assert set(compact["timeline"]) == {"start", "items", "loops", "labels", "runs"}
    assert live_scheduler.service.db["displays"].get("kantor-bupati")["manifest_schema"] == 2
    # the same content in the other form: the same segments, items and everything else
    old, new = parse_manifest(first), parse_manifest(compact)
    assert new.timeline == old.timeline and new.timeline
    assert {k: v for k, v in compact.items() if k not in ("schema", "timeline", "version", "generated_at")} == {
        k: v for k, v in first.items() if k not in ("schema", "timeline", "version", "generated_at")
    }

    _heartbeat(live_scheduler, auth, manifest_schemas=[1, 2])  # unchanged: no republish
    assert _manifest(live_scheduler, auth, keys)["version"] == compact["version"]

    _heartbeat(live_scheduler, auth)  # an old player put back: schema 1 again, never a manifest it refuses
    back = _manifest(live_scheduler, auth, keys)
    assert back["schema"] == SCHEMA and back["version"] > compact["version"]
    assert parse_manifest(back).timeline == old.timeline

    # A token alternating what it reads (the third security review: a manifest version per heartbeat): a move
    # up comes at most once per interval; a move down (a player that cannot read what it has) never waits.
    tracker = live_scheduler.service.manifest_schemas
    for _ in range(3):
        _heartbeat(live_scheduler, auth, manifest_schemas=[1, 2])
    held = _manifest(live_scheduler, auth, keys)
    assert held["schema"] == SCHEMA and held["version"] == back["version"]  # still one it reads: no new version
    tracker.upgrade_interval_s = 0.0  # the interval has passed
    _heartbeat(live_scheduler, auth, manifest_schemas=[1, 2])
    assert _manifest(live_scheduler, auth, keys)["schema"] == SCHEMA_V2


def test_manifest_schemas_in_a_heartbeat_are_checked(live_scheduler: Any) -> None:
    identity = enrol(live_scheduler, "desa-antibar", "SCH345")
    auth = {"Authorization": f"Bearer {identity['token']}"}
    for bad, field in (([0], "manifest_schemas[0]"), (["2"], "manifest_schemas[0]"), ([1] * 17, "manifest_schemas")):
        r = requests.post(
            f"{live_scheduler.url}/api/v1/player/heartbeat",
            json={"manifest_schemas": bad},
            headers=auth,
            timeout=TIMEOUT_S,
        )
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert live_scheduler.service.db["displays"].get("desa-antibar")["manifest_schema"] is None
