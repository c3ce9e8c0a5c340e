"""Data slides end to end on the real scheduler: a template approved once, refreshed by good snapshots only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sources_support import approve_held, forget_poll_state
from tests_support import enrol, post_approve

from content.sources.config import checked
from content.sources.fakeopensid import FakeOpenSid
from scheduler.dataslides import displays_for_source
from scheduler.sources import review, save_source, snapshots
from scheduler.sources_jobs import SourcePoller

TIMEOUT_S = 10


@pytest.fixture
def fake() -> Iterator[FakeOpenSid]:
    server = FakeOpenSid("esensi").start()
    yield server
    server.stop()


def stat_items(live: Any, token: str) -> list[dict[str, Any]]:
    r = requests.get(f"{live.url}/api/v1/player/manifest", headers={"Authorization": f"Bearer {token}"},
                     timeout=TIMEOUT_S)  # fmt: skip
    r.raise_for_status()
    items = r.json()["manifest"]["items"].values()
    return [i for i in items if i["type"] == "stat"]


def test_template_approved_once_refreshed_by_good_data_only(live_scheduler: Any, fake: FakeOpenSid) -> None:
    live = live_scheduler
    service = live.service
    token = enrol(live, "desa-antibar", "DAT234")["token"]
    with service.lock:
        save_source(service.db, checked(id="desa-sungai-bakau", kind="opensid", url=fake.url, name="Desa Sungai Bakau",
                                        timeout_s=2, options={"categories": ["jenis-kelamin", "agama"]}))  # fmt: skip
    url = f"{live.url}/api/v1/admin/announcements"
    editor = ("editor", service.demo_accounts.editor_password)
    admin = ("admin", service.demo_accounts.admin_password)
    target = {"displays": ["desa-antibar"]}
    bad_body = json.dumps({"source": "nowhere"})
    bad = requests.post(url, json={"title": "Penduduk", "kind": "stat", "body": bad_body, "targets": target},
                        auth=editor, timeout=TIMEOUT_S)  # fmt: skip
    assert bad.status_code == 400 and bad.json()["field"] == "body.source"
    body = json.dumps({"source": "desa-sungai-bakau", "slide": "population"})
    created = requests.post(url, json={"title": "Jumlah Penduduk", "kind": "stat", "body": body, "targets": target},
                            auth=editor, timeout=TIMEOUT_S)  # fmt: skip
    assert created.status_code == 201, created.text
    ann_id = created.json()["announcement"]["id"]
    post_approve(f"{url}/{ann_id}/approve", auth=admin, timeout=TIMEOUT_S).raise_for_status()
    assert stat_items(live, token) == []  # approved, but no data yet: left out, not a blank slide

    poller = SourcePoller(service, tick_s=3600)
    poller.run_due()  # (or the app's own poller got there first: the result is the same)
    assert stat_items(live, token) == []  # the village's first data is held until an approver reads its labels
    with service.lock:
        assert approve_held(service.db, "desa-sungai-bakau", service.clock()) is not None
        reached = displays_for_source(service.db, "desa-sungai-bakau")
    service.publisher.publish(reached)
    [item] = stat_items(live, token)
    assert item["data"]["slide"] == "population"
    assert item["data"]["series"]["jenis-kelamin"]["total"] == 5861
    assert item["data"]["place"] == "Desa Sungai Bakau" and item["data"]["as_of"].startswith("2026-11-27T17:00")
    first_snapshot = item["data"]["snapshot"]
    # the village's feed article became a draft, not an on-air announcement
    with service.lock:
        drafts = list(service.db.table("announcements").rows_where("title = 'Posyandu Balita Dusun Parit Baru'"))
    assert [d["status"] for d in drafts] == ["draft"]
    assert "http" not in drafts[0]["body"] and drafts[0]["body"].endswith(")")  # no address on an LED: "(Sumber: ...)"

    # a x10 jump is held: the screen keeps the last good figures
    fake.scale = 10
    forget_poll_state(service, "desa-sungai-bakau")
    poller.run_due()
    with service.lock:
        held = snapshots(service.db, "desa-sungai-bakau", 1)[0]
    assert held["status"] == "held"
    [item] = stat_items(live, token)
    assert item["data"]["snapshot"] == first_snapshot and item["data"]["series"]["jenis-kelamin"]["total"] == 5861

    # the site fails: still the last good figures; no second draft of the same article
    fake.faults["/index.php/data-statistik/jenis-kelamin"] = "429"
    forget_poll_state(service, "desa-sungai-bakau")
    poller.run_due()
    with service.lock:
        assert "429" in (service.db.table("data_sources").get("desa-sungai-bakau")["last_error"] or "")
    [item] = stat_items(live, token)
    assert item["data"]["snapshot"] == first_snapshot

    # an approver accepts the held snapshot: it airs without re-approving the template
    with service.lock:
        review(service.db, held["id"], "approved", None, service.clock())
    poller.republish("desa-sungai-bakau")
    [item] = stat_items(live, token)
    assert item["data"]["snapshot"] == held["id"] and item["data"]["series"]["jenis-kelamin"]["total"] == 58610
    with service.lock:
        assert service.db.table("announcements").get(ann_id)["status"] == "approved"
        assert service.db.table("announcements").count_where("title = 'Posyandu Balita Dusun Parit Baru'") == 1


def test_prayer_template_needs_coordinates_and_reaches_the_manifest(live_scheduler: Any) -> None:
    live = live_scheduler
    token = enrol(live, "desa-antibar", "PRY234")["token"]
    url = f"{live.url}/api/v1/admin/announcements"
    editor = ("editor", live.service.demo_accounts.editor_password)
    admin = ("admin", live.service.demo_accounts.admin_password)
    target = {"displays": ["desa-antibar"]}
    bad = requests.post(url, json={"title": "Sholat", "kind": "stat", "targets": target,
                                   "body": json.dumps({"slide": "prayer", "lat": 200, "lon": 108.96})},
                        auth=editor, timeout=TIMEOUT_S)  # fmt: skip
    assert bad.status_code == 400 and bad.json()["field"] == "body.lat"
    body = json.dumps({"slide": "prayer", "lat": 0.3622, "lon": 108.9614, "place": "Mempawah"})
    ann_id = requests.post(url, json={"title": "Jadwal Sholat", "kind": "stat", "targets": target, "body": body},
                           auth=editor, timeout=TIMEOUT_S).json()["announcement"]["id"]  # fmt: skip
    post_approve(f"{url}/{ann_id}/approve", auth=admin, timeout=TIMEOUT_S).raise_for_status()
    r = requests.get(f"{live.url}/api/v1/player/manifest", headers={"Authorization": f"Bearer {token}"},
                     timeout=TIMEOUT_S)  # fmt: skip
    prayers = [i for i in r.json()["manifest"]["items"].values() if i["type"] == "prayer"]
    assert prayers and prayers[0]["data"] == {"lat": 0.3622, "lon": 108.9614, "place": "Mempawah"}


def test_kecamatan_aggregate_names_missing_villages(live_scheduler: Any) -> None:
    live = live_scheduler
    service = live.service
    token = enrol(live, "desa-antibar", "AGG234")["token"]
    villages = [FakeOpenSid("esensi").start(), FakeOpenSid("natra", scale=2).start()]
    try:
        with service.lock:
            for i, fake in enumerate(villages):
                save_source(service.db, checked(id=f"desa-{i}", kind="opensid", url=fake.url, name=f"Desa {i}",
                                                options={"categories": ["jenis-kelamin"], "feed": False}))  # fmt: skip
            save_source(service.db, checked(id="desa-sepi", kind="opensid", url="http://127.0.0.1:9", timeout_s=1,
                                            name="Desa Sepi"))  # fmt: skip
        SourcePoller(service, tick_s=3600).run_due()
        with service.lock:
            for i in range(len(villages)):
                assert approve_held(service.db, f"desa-{i}", service.clock()) is not None
        url = f"{live.url}/api/v1/admin/announcements"
        body = json.dumps({"sources": ["desa-0", "desa-1", "desa-sepi"], "slide": "population",
                           "place": "Kecamatan Mempawah Hilir"})  # fmt: skip
        created = requests.post(url, json={"title": "Penduduk Kecamatan", "kind": "stat", "body": body,
                                           "targets": {"displays": ["desa-antibar"]}},
                                auth=("editor", service.demo_accounts.editor_password), timeout=TIMEOUT_S)  # fmt: skip
        assert created.status_code == 201, created.text
        ann_id = created.json()["announcement"]["id"]
        post_approve(f"{url}/{ann_id}/approve", auth=("admin", service.demo_accounts.admin_password),
                      timeout=TIMEOUT_S).raise_for_status()  # fmt: skip
        [item] = stat_items(live, token)
        assert item["data"]["series"]["jenis-kelamin"]["total"] == 5861 * 3
        assert item["data"]["footnote"] == "Belum ada data: Desa Sepi"
        assert item["data"]["place"] == "Kecamatan Mempawah Hilir"
    finally:
        for fake in villages:
            fake.stop()
