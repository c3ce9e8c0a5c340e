"""CAP alerts on the real scheduler: emergency vs interrupt, approval switch, Update and Cancel, expiry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from fake_cap import FakeCapFeed, cap_document
from sse_support import SSEClient
from tests_support import enrol

from content.sources.config import checked
from scheduler.sources import save_source
from scheduler.sources_jobs import SourcePoller
from scheduler.store import dumps, loads

TIMEOUT_S = 10
AREAS = {"Mempawah": ["kabupaten"], "Kapuas Hulu": ["kapuas-hulu"]}


@pytest.fixture
def feed() -> Iterator[FakeCapFeed]:
    server = FakeCapFeed()
    yield server
    server.stop()


def make_due(service: Any, source_id: str) -> None:
    with service.lock:
        row = service.db.table("data_sources").get(source_id)
        state = loads(row["state"], {})
        state["next_due_at"] = None
        service.db.table("data_sources").update(source_id, {"state": dumps(state)})


def segments(live: Any, token: str) -> list[tuple[str, str]]:
    r = requests.get(f"{live.url}/api/v1/player/manifest", headers={"Authorization": f"Bearer {token}"},
                     timeout=TIMEOUT_S)  # fmt: skip
    manifest = r.json()["manifest"]
    out = []
    for seg in manifest["timeline"]:
        for item_id in seg["loop"]:
            out.append((seg["layer"], manifest["items"][item_id]["title"]))
    return out


def alerts_table(service: Any) -> dict[str, dict[str, Any]]:
    query = "created_by in (select id from users where username like 'sistem-peringatan%')"
    with service.lock:
        return {a["title"]: a for a in service.db.table("announcements").rows_where(query)}


def wib(delta: timedelta) -> str:
    """An instant relative to now, written as BMKG writes CAP times (+07:00)."""
    return (datetime.now(UTC) + delta).astimezone(timezone(timedelta(hours=7))).replace(microsecond=0).isoformat()


def utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_emergency_airs_automatically_when_switched_on(live_scheduler: Any, feed: FakeCapFeed) -> None:
    live, service = live_scheduler, live_scheduler.service
    token = enrol(live, "desa-antibar", "CAP234")["token"]  # groups: kabupaten, ...
    with service.lock:
        save_source(service.db, checked(id="bmkg", kind="cap", url=feed.url, timeout_s=2, poll_interval_s=60,
                                        options={"areas": AREAS, "auto_air": True}))  # fmt: skip
    times = {"effective": wib(timedelta(minutes=-5)), "expires": wib(timedelta(hours=2))}
    feed.publish("CKB001", cap_document("CKB001", **times))  # Severe + Immediate in Mempawah: emergency
    feed.publish("CKB002", cap_document("CKB002", severity="Moderate", urgency="Expected", headline="Hujan Sedang",
                                        description="Hujan sedang di Kab. Mempawah.", **times))  # fmt: skip
    feed.publish("CKH003", cap_document("CKH003", description="Hujan lebat di Kab. Kapuas Hulu.",
                                        area="Kapuas Hulu", headline="Kapuas Hulu", **times))  # fmt: skip
    stream = SSEClient(f"{live.url}/api/v1/player/events", token)
    assert stream.next()[1] == "manifest"  # the catch-up on connect
    poller = SourcePoller(service, tick_s=3600)
    poller.run_due()
    _, kind, data = stream.next()  # the system-approved emergency is pushed, signed, before its manifest
    pushed = json.loads(data)["message"]
    assert kind == "emergency" and pushed["kind"] == "emergency" and "signature" in json.loads(data)
    assert stream.next()[1] == "manifest"
    announcements = alerts_table(service)
    emergency = announcements["Hujan Lebat disertai Petir di Kalimantan Barat"]
    assert emergency["layer"] == "emergency" and emergency["status"] == "approved"
    assert pushed["item_id"] == f"ann-{emergency['id']}"
    assert emergency["ends_at"] == utc(times["expires"])  # honours CAP expires
    on_air = segments(live, token)
    assert ("emergency", "Hujan Lebat disertai Petir di Kalimantan Barat") in on_air
    drafts = [a for a in announcements.values() if a["status"] == "draft"]
    assert [d["layer"] for d in drafts] == ["interrupt"]  # the Moderate one waits for an approver
    assert len(announcements) == 2  # Kapuas Hulu is not ours (no such group here)

    # BMKG cancels the emergency: it leaves the screen
    feed.publish("CKB004", cap_document("CKB004", msg_type="Cancel", **times,
                                        references="bmkg@bmkg.go.id,CKB001,2026-11-28T09:45:00+07:00"))  # fmt: skip
    make_due(service, "bmkg")
    poller.run_due()
    _, kind, data = stream.next()
    assert kind == "emergency" and json.loads(data)["message"]["kind"] == "cancel"  # off the screens at once
    stream.close()
    with service.lock:
        assert service.db.table("announcements").get(emergency["id"])["status"] == "archived"
    assert not [s for s in segments(live, token) if s[0] == "emergency"]


def test_without_the_switch_an_emergency_waits_for_an_approver(live_scheduler: Any, feed: FakeCapFeed) -> None:
    live, service = live_scheduler, live_scheduler.service
    token = enrol(live, "desa-antibar", "CAP345")["token"]
    with service.lock:
        save_source(service.db, checked(id="bmkg", kind="cap", url=feed.url, timeout_s=2,
                                        options={"areas": AREAS}))  # fmt: skip
    times = {"effective": wib(timedelta(minutes=-5)), "expires": wib(timedelta(hours=2))}
    feed.publish("CKB010", cap_document("CKB010", **times))
    poller = SourcePoller(service, tick_s=3600)
    poller.run_due()
    [draft] = alerts_table(service).values()
    assert draft["status"] == "draft" and draft["layer"] == "emergency"
    with service.lock:
        assert service.db.table("emergency_pushes").count == 0  # nothing unapproved is ever pushed
    assert not [s for s in segments(live, token) if s[0] == "emergency"]
    # an Update replaces it: the old draft is archived, the new one is a draft again
    later = wib(timedelta(hours=3))
    feed.publish("CKB011", cap_document("CKB011", msg_type="Update", effective=times["effective"], expires=later,
                                        references="bmkg@bmkg.go.id,CKB010,2026-11-28T09:45:00+07:00"))  # fmt: skip
    make_due(service, "bmkg")
    poller.run_due()
    with service.lock:
        rows = list(service.db.table("announcements").rows_where("id >= ?", [draft["id"]], order_by="id"))
    assert [(r["status"], r["ends_at"]) for r in rows] == [("archived", draft["ends_at"]), ("draft", utc(later))]
