"""Intake at scale over real HTTP: group-committed heartbeats and play events, no per-request count,
backpressure in the one error shape, and retention that folds old events without changing reports."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests
from procs import wait_for
from tests_support import enrol, hold_writer
from web_support import logged_in

from scheduler import proof_of_play
from scheduler.intake import IntakeWriter
from signage.clock import format_utc

TIMEOUT_S = 30


def _event(started: str, seconds: int, item: str = "ann-1", result: str = "played") -> dict[str, Any]:
    from signage.clock import parse_utc

    ended = format_utc(parse_utc(started) + timedelta(seconds=seconds))
    return {"id": str(uuid.uuid4()), "item_id": item, "started_at": started, "ended_at": ended,
            "duration_ms": seconds * 1000, "result": result}  # fmt: skip


def test_play_events_and_heartbeats_run_no_count_query(live_scheduler: Any) -> None:
    """Regression: each POST used to run two ``count(*)`` over the whole play table under the global lock."""
    live = live_scheduler
    auth = {"Authorization": f"Bearer {enrol(live, 'desa-antibar', 'CNT234')['token']}"}
    statements: list[str] = []
    live.service.db.conn.set_trace_callback(lambda sql: _record(statements, sql))
    writer = live.service.intake
    writer.close()  # a fresh writer whose connection is traced too
    live.service.intake = IntakeWriter(writer.path, connect=lambda: _traced(writer, statements))
    now = format_utc(live.service.clock() - timedelta(minutes=5))
    batch = {"events": [_event(now, 10, f"ann-{i}") for i in range(3)]}
    url = f"{live.url}/api/v1/player/play-events"
    assert requests.post(url, json=batch, headers=auth, timeout=TIMEOUT_S).json()["accepted"] == 3
    again = requests.post(url, json=batch, headers=auth, timeout=TIMEOUT_S).json()
    assert (again["accepted"], again["duplicates"]) == (0, 3)  # dedupe by the event id's unique key
    r = requests.post(f"{live.url}/api/v1/player/heartbeat", json={"status": "playing"}, headers=auth,
                      timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 200, r.text
    live.service.db.conn.set_trace_callback(None)
    assert any("play_events" in s for s in statements)  # the trace did see the writes
    assert [s for s in statements if "count(" in s.lower()] == []


def _traced(writer: IntakeWriter, statements: list[str]) -> Any:
    conn = writer._default_connect()
    conn.set_trace_callback(lambda sql: _record(statements, sql))
    return conn


def _record(statements: list[str], sql: str) -> None:
    """Statements run for requests; the server's periodic loops (asyncio's worker threads) are not requests."""
    if not threading.current_thread().name.startswith("asyncio_"):
        statements.append(sql)


def test_heartbeat_is_answered_after_its_commit_and_a_full_queue_answers_503(live_scheduler: Any) -> None:
    live = live_scheduler
    auth = {"Authorization": f"Bearer {enrol(live, 'kantor-bupati', 'GRP234')['token']}"}
    live.service.intake.close()
    live.service.intake = IntakeWriter(live.service.intake.path, queue_limit=10)
    release = hold_writer(live.service.intake, TIMEOUT_S)
    answers: list[requests.Response] = []
    url = f"{live.url}/api/v1/player/heartbeat"
    sender = threading.Thread(
        target=lambda: answers.append(requests.post(url, json={"status": "slate"}, headers=auth, timeout=TIMEOUT_S))
    )
    sender.start()
    time.sleep(0.5)
    assert answers == [] and live.service.db["display_status"].count_where("display_id = 'kantor-bupati'") == 0
    for _ in range(9):  # fill the queue behind the waiting heartbeat
        live.service.intake.submit(lambda db: None)
    r = requests.post(url, json={"status": "playing"}, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.json() == {"ok": False, "status": 503, "error": "the scheduler is busy writing; send again later",
                        "field": None}  # fmt: skip
    release.set()
    sender.join(TIMEOUT_S)
    assert answers and answers[0].status_code == 200, answers
    assert live.service.db["display_status"].get("kantor-bupati")["status"] == "slate"


def test_retention_folds_old_events_into_totals_and_reports_stay_the_same(live_scheduler: Any) -> None:
    live = live_scheduler
    auth = {"Authorization": f"Bearer {enrol(live, 'desa-antibar', 'RET234')['token']}"}
    events = [
        _event("2026-11-27T16:59:50Z", 10, "ann-1"),  # 23:59:50 WIB on the 27th
        _event("2026-11-27T17:00:00Z", 15, "ann-1"),  # 00:00 WIB on the 28th
        _event("2026-11-27T17:30:00Z", 20, "ann-1"),
        _event("2026-11-28T03:10:00Z", 12, "ann-2"),
        _event("2026-11-28T03:20:00Z", 0, "ann-2", result="skipped"),
    ]
    url = f"{live.url}/api/v1/player/play-events"
    r = requests.post(url, json={"events": events}, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 200 and r.json()["accepted"] == 5, r.text
    web = logged_in(live, "admin")
    query = {"start": "2026-11-26", "end": "2026-11-29", "display": "desa-antibar"}
    before_csv = web.get("/admin/reports.csv", params=query).text
    before_tables = _tables(web.get("/admin/reports", params=query).text)
    assert "2026-11-27,desa-antibar" in before_csv and "2026-11-28,desa-antibar" in before_csv
    now = live.service.clock()
    retention = timedelta(days=live.service.config.play_retention_days)
    assert proof_of_play.prune(live.service.intake.run, now - retention) == 0  # all were received just now
    assert proof_of_play.prune(live.service.intake.run, now + timedelta(minutes=1), chunk_rows=2) == 5
    db = live.service.db
    assert db["play_events"].count_where("display_id = 'desa-antibar'") == 0
    totals = {(r["item_id"], r["hour_utc"]): (r["plays"], r["played_ms"], r["skipped"])
              for r in db["play_totals"].rows_where("display_id = 'desa-antibar'")}  # fmt: skip
    assert totals == {
        ("ann-1", "2026-11-27T16:00:00Z"): (1, 10000, 0),
        ("ann-1", "2026-11-27T17:00:00Z"): (2, 35000, 0),
        ("ann-2", "2026-11-28T03:00:00Z"): (1, 12000, 1),
    }
    assert web.get("/admin/reports.csv", params=query).text == before_csv
    assert _tables(web.get("/admin/reports", params=query).text) == before_tables  # the Laporan page too


def _tables(html: str) -> list[str]:
    tables = re.findall(r"<table.*?</table>", html, flags=re.S)
    assert tables, "no table on the report page"
    return tables


@pytest.fixture
def aged_plays(demo_service: Any) -> list[str]:
    """Raw plays received 100 days ago (past the 90-day retention), stored before the server starts."""
    old = format_utc(demo_service.clock() - timedelta(days=100))
    ids = [str(uuid.uuid4()) for _ in range(3)]
    demo_service.db["play_events"].insert_all(
        {"id": i, "display_id": "desa-antibar", "item_id": "ann-1", "started_at": old, "ended_at": old,
         "duration_ms": 10000, "result": "played", "reason": "", "received_at": old} for i in ids
    )  # fmt: skip
    return ids


def test_the_server_folds_plays_past_the_retention_on_its_own(aged_plays: list[str], live_scheduler: Any) -> None:
    db = live_scheduler.service.db
    marks = ",".join("?" * len(aged_plays))
    wait_for(lambda: db.execute(f"select count(*) from play_events where id in ({marks})", aged_plays).fetchone()[0]
             == 0, TIMEOUT_S, "the retention loop to fold the old plays")  # fmt: skip
    totals = list(db["play_totals"].rows_where("display_id = 'desa-antibar' and item_id = 'ann-1'"))
    assert sum(r["plays"] for r in totals) == 3 and sum(r["played_ms"] for r in totals) == 30000
