"""The demo's data sources: a fake village feeds approved data slides on the demo displays."""

from __future__ import annotations

import json
from typing import Any

from scheduler.demo_sources import SOURCE_ID, TEMPLATES, seed_data_sources
from scheduler.sources import last_good
from signage.dataslide import parse_prayer, parse_stat


def test_demo_displays_get_live_data_slides(demo_service: Any) -> None:
    village = seed_data_sources(demo_service)
    try:
        with demo_service.lock:
            good = last_good(demo_service.db, SOURCE_ID)
            status = demo_service.db.table("snapshots").get(good[0])["status"] if good else None
        assert status == "approved"  # its first data, held until read (the demo's admin approved it)
        published = demo_service.publisher.latest("kantor-bupati")
        assert published is not None
        items = json.loads(published.body)["manifest"]["items"].values()
        stats = [parse_stat(i["data"]) for i in items if i["type"] == "stat"]
        assert sorted(s.slide for s in stats) == sorted(spec["slide"] for _, spec in TEMPLATES)
        assert all(s.place == "Desa Sungai Bakau" and s.as_of is not None for s in stats)
        [prayer] = [parse_prayer(i["data"]) for i in items if i["type"] == "prayer"]
        assert prayer.place == "Mempawah"
    finally:
        village.stop()
