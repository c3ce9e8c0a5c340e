"""Proof of play queue: record, survive a power cut, aggregate without loss, upload idempotently;
heartbeat document = the server's model."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from player.health import heartbeat_payload, heartbeat_status
from player.playlog import PlayLog, to_event
from player.report import Reporter
from signage.apimodels import Heartbeat, PlayEvent, PlayEventBatch


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "playlog.sqlite"


def test_plays_are_recorded_with_wall_and_monotonic_times(log_path, helpers):
    plays = PlayLog(log_path, "dsp-1")
    t0 = helpers.T0
    plays.start("a", sha256="ab" * 32, started_at=t0, mono_s=100.0)
    plays.start("b", sha256=None, started_at=t0 + timedelta(seconds=10), mono_s=110.0)
    plays.skipped("b", "image cannot be decoded", at=t0 + timedelta(seconds=10.5), mono_s=110.5)
    plays.skipped("c", "media not in the cache", at=t0 + timedelta(seconds=11), mono_s=111.0)
    rows = plays.rows()
    assert [(r["item_id"], r["result"]) for r in rows] == [("a", "played"), ("b", "skipped"), ("c", "skipped")]
    a = rows[0]
    assert a["started_at"] == "2026-11-28T03:00:00.000Z" and a["ended_at"] == "2026-11-28T03:00:10.000Z"
    assert a["start_mono_s"] == 100.0 and a["end_mono_s"] == 110.0 and a["duration_ms"] == 10_000
    assert a["display_id"] == "dsp-1" and a["sha256"] == "ab" * 32
    assert rows[1]["reason"] == "image cannot be decoded" and rows[1]["duration_ms"] == 500
    mode = sqlite3.connect(log_path).execute("pragma journal_mode").fetchone()[0]
    assert mode == "wal"
    for row in rows:
        PlayEvent.model_validate(to_event(row))


def test_open_play_survives_a_power_cut_at_its_last_checkpoint(log_path, helpers):
    plays = PlayLog(log_path, "dsp-1")
    plays.start("a", sha256=None, started_at=helpers.T0, mono_s=50.0)
    plays.checkpoint(at=helpers.T0 + timedelta(seconds=6), mono_s=56.0)
    # power cut: no finish(), no close()
    again = PlayLog(log_path, "dsp-1")
    (row,) = again.rows()
    assert row["ended_at"] == "2026-11-28T03:00:06.000Z"
    assert row["reason"] == "interrupted" and row["duration_ms"] == 6000
    PlayEvent.model_validate(to_event(row))


def test_weeks_offline_are_aggregated_per_item_and_hour_not_dropped(log_path, helpers):
    plays = PlayLog(log_path, "dsp-1", max_rows=100)
    t = helpers.T0
    mono = 0.0
    for n in range(600):  # 600 plays of 10 s over 100 minutes, three items
        plays.start(f"item-{n % 3}", sha256=None, started_at=t, mono_s=mono)
        t += timedelta(seconds=10)
        mono += 10
    plays.finish(ended_at=t, mono_s=mono)
    assert plays.count() == 600
    plays.compact()
    rows = plays.rows()
    assert len(rows) <= 100
    assert sum(r["count"] for r in rows) == 600  # every play is still counted
    aggregates = [r for r in rows if r["count"] > 1]
    assert aggregates and all(r["reason"].startswith("aggregate: ") for r in aggregates)
    for item in ("item-0", "item-1", "item-2"):
        assert sum(r["count"] for r in rows if r["item_id"] == item) == 200
    events = [to_event(r) for r in rows]
    PlayEventBatch.model_validate({"events": events})
    assert all(e["result"] == "played" for e in events)


def test_upload_deletes_only_after_2xx(log_path, helpers, server):
    plays = PlayLog(log_path, "dsp-1")
    for n in range(7):
        plays.start(f"i{n}", sha256=None, started_at=helpers.T0 + timedelta(seconds=n), mono_s=float(n))
    plays.finish(ended_at=helpers.T0 + timedelta(seconds=8), mono_s=8.0)
    url = server.url + "/api/v1/player/play-events"
    server.set("POST", "/api/v1/player/play-events", helpers.Route(500, b'{"ok": false, "error": "boom"}'))
    assert plays.upload(requests.Session(), url, "tok", batch=3) == 0
    assert plays.count() == 7
    server.set_json("POST", "/api/v1/player/play-events", {"ok": True, "accepted": 3})
    assert plays.upload(requests.Session(), url, "tok", batch=3) == 7
    assert plays.count() == 0
    posts = server.hits("POST", "/api/v1/player/play-events")
    assert [len(json.loads(p["body"])["events"]) for p in posts] == [3, 3, 3, 1]
    assert posts[-1]["headers"]["Authorization"] == "Bearer tok"
    # the failed batch and the first accepted one carried the same UUIDs (server is idempotent)
    assert json.loads(posts[0]["body"]) == json.loads(posts[1]["body"])


def test_open_play_is_not_uploaded(log_path, helpers, server):
    plays = PlayLog(log_path, "dsp-1")
    plays.start("now", sha256=None, started_at=helpers.T0, mono_s=0.0)
    server.set_json("POST", "/api/v1/player/play-events", {"ok": True})
    assert plays.upload(requests.Session(), server.url + "/api/v1/player/play-events", "tok") == 0
    assert plays.count() == 1


def test_heartbeat_payload_matches_the_server_model(tmp_path: Path):
    status: dict[str, Any] = {"state": "playing", "source": "last_good", "manifest_version": 4,
                              "current": {"item_id": "ann-3"}, "clock_offset_s": -0.25, "emergency_items": ["ann-3"],
                              "warnings": ["manifest past its horizon, playing last good"]}
    payload = heartbeat_payload(status, ["ab" * 32], tmp_path, screenshot_png_b64=None)
    assert set(payload) == set(Heartbeat.model_fields)
    model = Heartbeat.model_validate(payload)
    assert model.status == "last_good" and model.current_item == "ann-3" and model.cache == ["ab" * 32]
    assert model.emergency_items == ["ann-3"]  # the emergency acknowledgement
    assert model.free_disk_bytes and model.memory_rss_bytes and model.memory_rss_bytes > 10_000_000
    assert model.warnings == ["manifest past its horizon, playing last good"]
    assert model.warning_codes == [] and model.clock_fault_code is None  # no codes in the status: none sent
    status.update(warnings=["cannot write play log: full", "low disk: 5 bytes free in /d"],
                  warning_codes=[{"code": "cannot_write", "params": {"what": "play log"}},
                                 {"code": "low_disk", "params": {"free_bytes": 5}}],
                  clock_fault="PC clock is +420 s off the scheduler's; playing on the scheduler's time",
                  clock_fault_code={"code": "clock_offset", "params": {"offset_s": 420}})  # fmt: skip
    model = Heartbeat.model_validate(heartbeat_payload(status, [], tmp_path))
    assert [(c.code, c.params) for c in model.warning_codes] == [("cannot_write", {"what": "play log"}),
                                                                 ("low_disk", {"free_bytes": 5})]  # fmt: skip
    assert model.clock_fault_code is not None and model.clock_fault_code.params == {"offset_s": 420}
    cases = {("enrolling", "slate"): "enrolling", ("off", "manifest"): "off", ("slate", "slate"): "slate",
             ("playing", "local"): "local_folder", ("playing", "manifest"): "playing"}
    for (state, source), expected in cases.items():
        assert heartbeat_status({"state": state, "source": source}) == expected


def test_reporter_sends_heartbeat_then_uploads(log_path, helpers, server, tmp_path):
    plays = PlayLog(log_path, "dsp-1")
    plays.start("a", sha256=None, started_at=helpers.T0, mono_s=0.0)
    plays.finish(ended_at=helpers.T0 + timedelta(seconds=3), mono_s=3.0)
    server.set_json("POST", "/api/v1/player/heartbeat", {"ok": True})
    server.set_json("POST", "/api/v1/player/play-events", {"ok": True})
    reporter = Reporter(server.url, "tok", lambda: heartbeat_payload({"state": "playing"}, [], tmp_path),
                        playlog=plays)
    reporter.send_now("aGVsbG8=")
    assert reporter.report_once()
    (beat,) = server.hits("POST", "/api/v1/player/heartbeat")
    body = json.loads(beat["body"])
    assert body["screenshot_png_b64"] == "aGVsbG8=" and body["status"] == "playing"
    assert reporter.events_sent == 1 and plays.count() == 0
    assert reporter.report_once()
    assert json.loads(server.hits("POST", "/api/v1/player/heartbeat")[1]["body"])["screenshot_png_b64"] is None


def test_restamp_moves_only_this_runs_plays_including_the_open_one(log_path, helpers):
    t0 = helpers.T0
    old = PlayLog(log_path, "dsp-1")
    old.start("from-before", sha256=None, started_at=t0, mono_s=1.0)
    old.finish(ended_at=t0 + timedelta(seconds=5), mono_s=6.0)
    old.close()
    plays = PlayLog(log_path, "dsp-1")
    plays.start("a", sha256=None, started_at=t0, mono_s=10.0)
    plays.start("b", sha256=None, started_at=t0 + timedelta(seconds=10), mono_s=20.0)  # open
    assert plays.restamp(3600.5) == 2
    plays.checkpoint(at=t0 + timedelta(seconds=12), mono_s=22.0)
    rows = {r["item_id"]: r for r in plays.rows()}
    assert rows["from-before"]["started_at"] == "2026-11-28T03:00:00.000Z"  # another run: untouched
    assert rows["a"]["started_at"] == "2026-11-28T04:00:00.500Z"
    assert rows["a"]["ended_at"] == "2026-11-28T04:00:10.500Z"
    assert rows["b"]["started_at"] == "2026-11-28T04:00:10.500Z" and rows["b"]["ended_at"] is None
    plays.finish(ended_at=t0 + timedelta(seconds=3620.5), mono_s=30.0)
    assert {r["item_id"]: r for r in plays.rows()}["b"]["ended_at"] == "2026-11-28T04:00:20.500Z"
