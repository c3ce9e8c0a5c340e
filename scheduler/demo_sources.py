"""The demo's live data: a loopback fake OpenSID village feeding approved data slides and a prayer slide."""

from __future__ import annotations

import json
from typing import Any

from content.sources.config import checked
from content.sources.fakeopensid import FakeOpenSid
from scheduler.announcements import approve_announcement, create_announcement
from scheduler.service import Service
from scheduler.sources import poll_now, review, save_source

SOURCE_ID = "desa-sungai-bakau"
TEMPLATES: list[tuple[str, dict[str, Any]]] = [
    ("Jumlah Penduduk", {"slide": "population"}),
    ("Piramida Penduduk", {"slide": "age"}),
    ("Pekerjaan Penduduk", {"slide": "bars", "series": "pekerjaan"}),
    ("Pendidikan dalam KK", {"slide": "bars", "series": "pendidikan-dalam-kk"}),
    ("Agama", {"slide": "bars", "series": "agama"}),
    ("Penerima Bantuan", {"slide": "bars", "series": "bantuan-penduduk"}),
    ("Penduduk per Dusun", {"slide": "dusun"}),
]
MEMPAWAH: dict[str, Any] = {"lat": 0.3622, "lon": 108.9614, "place": "Mempawah"}


def seed_data_sources(service: Service) -> FakeOpenSid:
    """Start the fake village site (keep the returned server running), add it as a source, fetch once,
    and add approved data-slide templates for every display. The caller stops the server."""
    fake = FakeOpenSid("esensi").start()
    now = service.clock()
    with service.lock:
        db = service.db
        save_source(db, checked(id=SOURCE_ID, kind="opensid", url=fake.url, name="Desa Sungai Bakau",
                                poll_interval_s=300, options={"feed": False}))  # fmt: skip
        _result, snapshot_id = poll_now(db, SOURCE_ID, now)
        admin = next(db.table("users").rows_where("username = 'admin'"))
        if snapshot_id is not None:  # a source's first data is held until an approver has read its labels
            review(db, snapshot_id, "approved", admin["id"], now)
        editor = next(db.table("users").rows_where("username = 'editor'"))
        targets = {"groups": ["kabupaten"]}
        for title, spec in [*TEMPLATES, ("Jadwal Sholat", {"slide": "prayer", **MEMPAWAH})]:
            body = json.dumps({"source": SOURCE_ID, **spec} if spec["slide"] != "prayer" else spec)
            ann_id = create_announcement(db, {"title": title, "kind": "stat", "body": body, "targets": targets,
                                              "duration_s": 10}, editor["id"], now)  # fmt: skip
            approve_announcement(db, ann_id, admin, now)
    service.publisher.publish_all()
    return fake
