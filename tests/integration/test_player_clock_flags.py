"""Item 6, scheduler side: play events with impossible times are flagged, not stored silently;
the heartbeat's ``clock_fault`` is kept in the display's status."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import requests
from tests_support import enrol

from signage.clock import format_utc

TIMEOUT_S = 10


def event(started: Any, seconds: int = 10) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "item_id": "ann-1", "started_at": format_utc(started),
            "ended_at": format_utc(started + timedelta(seconds=seconds)), "duration_ms": seconds * 1000}


def test_play_events_from_the_future_or_before_enrolment_are_flagged(live_scheduler: Any) -> None:
    live = live_scheduler
    token = enrol(live, "desa-antibar", "FLG234")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    now = live.service.clock()
    good = event(now - timedelta(seconds=30), 20)
    future = event(now + timedelta(days=3))
    before = event(now - timedelta(days=400))  # a PC clock in last year's
    r = requests.post(f"{live.url}/api/v1/player/play-events", json={"events": [good, future, before]},
                      headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 3 and body["flagged"] == {"future": 1, "before_enrolment": 1}, body
    flags = {row["id"]: row["clock_flag"] for row in live.service.db["play_events"].rows}
    assert flags == {good["id"]: None, future["id"]: "future", before["id"]: "before_enrolment"}


def test_heartbeat_clock_fault_is_stored(live_scheduler: Any) -> None:
    live = live_scheduler
    token = enrol(live, "kantor-bupati", "CLK234")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    fault = "PC clock 2020-01-01T08:00:00Z is 217000000 s behind the newest signed manifest's generated_at"
    r = requests.post(f"{live.url}/api/v1/player/heartbeat", json={"status": "playing", "clock_fault": fault},
                      headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 200, r.text
    assert live.service.db["display_status"].get("kantor-bupati")["clock_fault"] == fault
    r = requests.post(f"{live.url}/api/v1/player/heartbeat", json={"clock_fault": "x" * 501},
                      headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 422 and r.json()["field"] == "clock_fault"
