"""Heartbeat, proof of play, SSE push and key rotation over real HTTP on loopback."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from PIL import Image
from sse_support import SSEClient
from tests_support import enrol, post_approve

from signage.clock import format_utc
from signage.signing import public_key_from_text, verify_envelope

TIMEOUT_S = 10


def _new_announcement(live: Any, display_id: str, title: str, layer: str = "normal", **extra: Any) -> int:
    editor = ("editor", live.service.demo_accounts.editor_password)
    r = requests.post(
        f"{live.url}/api/v1/admin/announcements",
        json={"title": title, "layer": layer, "targets": {"displays": [display_id]}, **extra},
        auth=editor,
        timeout=TIMEOUT_S,
    )
    r.raise_for_status()
    return int(r.json()["announcement"]["id"])


def _approve(live: Any, ann_id: int) -> requests.Response:
    admin = ("admin", live.service.demo_accounts.admin_password)
    return post_approve(f"{live.url}/api/v1/admin/announcements/{ann_id}/approve", auth=admin, timeout=TIMEOUT_S)


def test_sse_pushes_manifest_and_emergency_and_replays_after_reconnect(live_scheduler: Any) -> None:
    live_scheduler.service.sse_keepalive_s = 0.5
    token = enrol(live_scheduler, "kec-sungai-pinyuh", "SSE234")["token"]
    url = f"{live_scheduler.url}/api/v1/player/events"
    client = SSEClient(url, token)
    try:
        _, kind, data = client.next()
        assert kind == "manifest" and '"version"' in data  # catch-up on connect
        # an emergency for the next ten minutes (afterwards the normal loop, which the next edit changes)
        until = format_utc(datetime.now(UTC) + timedelta(minutes=10))
        ann_id = _new_announcement(live_scheduler, "kec-sungai-pinyuh", "Siaga Banjir", "emergency", ends_at=until)
        clicked = time.monotonic()
        assert _approve(live_scheduler, ann_id).ok
        event_id, kind, data = client.next()  # the signed emergency first, then the manifest behind it
        latency_s = time.monotonic() - clicked
        assert kind == "emergency" and event_id and latency_s < 1.0
        assert json.loads(data)["message"]["item_id"] == f"ann-{ann_id}"
        _, kind, data = client.next()
        assert kind == "manifest" and '"version"' in data
        time.sleep(1.2)
        assert any("keep-alive" in c for c in client.comments)
    finally:
        client.close()
    # While disconnected, another approval happens; reconnecting with Last-Event-ID replays it.
    other = _new_announcement(live_scheduler, "kec-sungai-pinyuh", "Kerja bakti")
    assert _approve(live_scheduler, other).ok
    again = SSEClient(url, token, last_event_id=event_id)
    try:
        kinds = [again.next()[1], again.next()[1]]
        assert kinds == ["manifest", "manifest"]  # what came after event_id, in order
    finally:
        again.close()
    assert requests.get(url, timeout=TIMEOUT_S).status_code == 401


def test_play_events_are_idempotent(live_scheduler: Any) -> None:
    token = enrol(live_scheduler, "desa-antibar", "PLY234")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{live_scheduler.url}/api/v1/player/play-events"
    batch = {
        "events": [
            {
                "id": str(uuid.uuid4()),
                "item_id": f"ann-{i}",
                "started_at": "2026-11-28T03:00:00Z",
                "ended_at": "2026-11-28T03:00:10Z",
                "duration_ms": 10000,
            }
            for i in range(5)
        ]
    }
    first = requests.post(url, json=batch, headers=auth, timeout=TIMEOUT_S).json()
    assert (first["accepted"], first["duplicates"]) == (5, 0)
    again = requests.post(url, json=batch, headers=auth, timeout=TIMEOUT_S).json()
    assert (again["accepted"], again["duplicates"]) == (0, 5)
    assert live_scheduler.service.db["play_events"].count == 5
    bad = dict(batch["events"][0], id="not-a-uuid")
    r = requests.post(url, json={"events": [bad]}, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 422 and r.json()["field"] == "events[0].id"
    bad = dict(batch["events"][0], id=str(uuid.uuid4()), started_at="kemarin")
    r = requests.post(url, json={"events": [bad]}, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 400 and r.json()["field"] == "events[0].started_at"
    assert live_scheduler.service.db["play_events"].count == 5


def test_heartbeat_feeds_fleet_health_and_limits_size(live_scheduler: Any) -> None:
    identity = enrol(live_scheduler, "kantor-bupati", "HBT234")
    auth = {"Authorization": f"Bearer {identity['token']}"}
    admin = ("admin", live_scheduler.service.demo_accounts.admin_password)
    fleet_url = f"{live_scheduler.url}/api/v1/admin/fleet"
    before = {d["display_id"]: d for d in requests.get(fleet_url, auth=admin, timeout=TIMEOUT_S).json()["displays"]}
    assert before["kantor-bupati"]["online"] is False and before["kantor-bupati"]["last_seen"] is None
    manifest = requests.get(f"{live_scheduler.url}/api/v1/player/manifest", headers=auth, timeout=TIMEOUT_S)
    keys = {k: public_key_from_text(v) for k, v in identity["public_keys"].items()}
    body = verify_envelope(manifest.content, keys)
    media = sorted({i["media"]["sha256"] for i in body["items"].values() if i.get("media")})
    png = io.BytesIO()
    Image.new("RGB", (32, 18), (10, 80, 160)).save(png, "PNG")
    heartbeat = {
        "status": "playing",
        "manifest_version": body["version"],
        "current_item": "ann-1",
        "cache": media[:1],
        "free_disk_bytes": 10**10,
        "memory_rss_bytes": 2 * 10**8,
        "clock_offset_s": -0.4,
        "app_version": "0.1.0",
        "screenshot_png_b64": base64.b64encode(png.getvalue()).decode(),
    }
    r = requests.post(f"{live_scheduler.url}/api/v1/player/heartbeat", json=heartbeat, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 200, r.text
    after = {d["display_id"]: d for d in requests.get(fleet_url, auth=admin, timeout=TIMEOUT_S).json()["displays"]}
    health = after["kantor-bupati"]
    assert health["online"] is True and health["version_lag"] == 0
    assert health["missing_media"] == media[1:]
    assert health["offline_coverage_until"] == body["valid_until"]
    stored = live_scheduler.service.db["screenshots"].get("kantor-bupati")
    assert stored["png"] == png.getvalue()
    huge = dict(heartbeat, warnings=["x" * 400] * 10, screenshot_png_b64="A" * 3_000_000)
    r = requests.post(f"{live_scheduler.url}/api/v1/player/heartbeat", json=huge, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 413 and r.json()["ok"] is False
    r = requests.post(
        f"{live_scheduler.url}/api/v1/player/heartbeat", json={"cache": ["xyz"]}, headers=auth, timeout=TIMEOUT_S
    )
    assert r.status_code == 422 and r.json()["field"] == "cache[0]"


def test_heartbeat_clock_fault_is_kept_with_the_warnings(live_scheduler: Any) -> None:
    from signage.apimodels import Heartbeat

    identity = enrol(live_scheduler, "desa-antibar", "CLK234")
    body = Heartbeat(clock_fault="PC clock before the manifest's generated_at", warnings=["disk low"])
    r = requests.post(
        f"{live_scheduler.url}/api/v1/player/heartbeat",
        json=body.model_dump(mode="json"),
        headers={"Authorization": f"Bearer {identity['token']}"},
        timeout=TIMEOUT_S,
    )
    assert r.status_code == 200, r.text
    row = live_scheduler.service.db["display_status"].get("desa-antibar")
    assert json.loads(row["warnings"]) == ["clock: PC clock before the manifest's generated_at", "disk low"]


def test_key_rotation_is_accepted_through_the_old_keys_introduction(live_scheduler: Any) -> None:
    identity = enrol(live_scheduler, "kantor-bupati", "KEY234")
    auth = {"Authorization": f"Bearer {identity['token']}"}
    old_keys = {k: public_key_from_text(v) for k, v in identity["public_keys"].items()}
    admin = ("admin", live_scheduler.service.demo_accounts.admin_password)
    r = requests.post(f"{live_scheduler.url}/api/v1/admin/keys/rotate", auth=admin, timeout=TIMEOUT_S)
    assert r.status_code == 200 and r.json()["key_id"] not in old_keys
    manifest = requests.get(f"{live_scheduler.url}/api/v1/player/manifest", headers=auth, timeout=TIMEOUT_S)
    body = verify_envelope(manifest.content, old_keys)  # trusted only through the introduction
    assert body["key_id"] == r.json()["key_id"]
    editor = ("editor", live_scheduler.service.demo_accounts.editor_password)
    assert (
        requests.post(f"{live_scheduler.url}/api/v1/admin/keys/rotate", auth=editor, timeout=TIMEOUT_S).status_code
        == 403
    )
