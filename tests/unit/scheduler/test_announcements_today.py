"""Whether an approved announcement's schedule gives it time today (scheduler.announcements.today_states)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from scheduler.announcements import today_states
from scheduler.store import open_store

TUESDAY = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10.00 WIB


def test_days_of_the_week_and_dates_decide_today(tmp_path: Path) -> None:
    db = open_store(tmp_path / "s.db")
    rules = {
        1: {"days": ["mon", "wed", "fri"]},
        2: {"days": ["tue"]},
        3: {},
        4: {"dayparts": [{"start": "23:00", "end": "23:30"}]},  # later today: still today
        5: {"valid_from": "2026-12-02T00:00:00", "valid_until": "2026-12-09T00:00:00"},
    }
    for n, extra in rules.items():
        body = {"id": f"ann-{n}", "item": f"ann-{n}", "targets": {"groups": ["kabupaten"]}, **extra}
        db.table("rules").insert({"id": f"ann-{n}", "announcement_id": n, "body": json.dumps(body),
                                  "updated_at": "2026-12-01T00:00:00Z"})  # fmt: skip
    rows = [{"id": n} for n in (*rules, 6)]  # 6: no stored rule (not published yet): not claimed either way
    assert today_states(db, rows, TUESDAY, "Asia/Pontianak") == {1: "not_today", 4: "later_today", 5: "not_today"}
    assert today_states(db, [], TUESDAY, "Asia/Pontianak") == {}


def test_hours_of_today_decide_whether_it_is_on_now_later_or_done(tmp_path: Path) -> None:
    """Found by the fourth review's Chromium walk: a Mon-Fri 07:00-10:00 announcement approved at 12.40 on a
    Tuesday was badged 'Tayang' although its hours that day were over."""
    db = open_store(tmp_path / "s.db")
    rules = {
        1: {"dayparts": [{"start": "07:00", "end": "09:00"}]},  # over at 10.00 WIB
        2: {"dayparts": [{"start": "09:00", "end": "11:00"}]},  # on now
        3: {"dayparts": [{"start": "17:00", "end": "21:00"}]},  # still to come
        4: {"dayparts": [{"start": "22:00", "end": "02:00"}]},  # past midnight: from 22.00 today
        5: {"days": ["mon"]},
        6: {},
    }
    for n, extra in rules.items():
        body = {"id": f"ann-{n}", "item": f"ann-{n}", "targets": {"groups": ["kabupaten"]}, **extra}
        db.table("rules").insert({"id": f"ann-{n}", "announcement_id": n, "body": json.dumps(body),
                                  "updated_at": "2026-12-01T00:00:00Z"})  # fmt: skip
    states = today_states(db, [{"id": n} for n in rules], TUESDAY, "Asia/Pontianak")
    assert states == {1: "done_today", 3: "later_today", 4: "later_today", 5: "not_today"}, states
