"""A small publish reads only the approved announcements naming its displays or their groups, and gets
exactly what reading them all gave (real demo store)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import scheduler.publish as publish_module
from scheduler.store import loads


def _reached(snapshot: Any) -> dict[str, list[int]]:
    return {display_id: [a["id"] for a in anns] for display_id, anns in snapshot.announcements_by_display.items()}


def test_the_filtered_snapshot_equals_the_full_scan(demo_service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    publisher = demo_service.publisher
    db = demo_service.db
    displays = [row["id"] for row in db.table("displays").rows]
    approved = [row for row in db.table("announcements").rows_where("status = 'approved'")]
    assert len(displays) >= 3 and approved
    # one announcement naming a display directly, one naming no group the displays are in
    db.table("announcements").update(approved[0]["id"], {"targets": json.dumps({"displays": [displays[1]]})})
    db.table("announcements").update(approved[-1]["id"], {"targets": '{"groups": ["nowhere"]}'})
    for batch in ([displays[0]], [displays[1]], displays[:2], displays):
        filtered = _reached(publisher._snapshot(sorted(batch)))
        monkeypatch.setattr(publish_module, "SNAPSHOT_FILTER_MAX_DISPLAYS", 0)
        full = _reached(publisher._snapshot(sorted(batch)))
        monkeypatch.undo()
        assert filtered == full
    one = _reached(publisher._snapshot([displays[1]]))[displays[1]]
    assert approved[0]["id"] in one and approved[-1]["id"] not in one
    groups = loads(db.table("displays").get(displays[0])["groups"], [])
    assert groups  # the demo's displays are in groups, so the group path is exercised too
