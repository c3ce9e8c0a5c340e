"""A schedule computed by hand from docs/schedule.md against the real scheduler's manifest and `signage preview --at`.

An announcement's window is stored in UTC; its recurrence must still count from the display's local date.
The display is moved to Asia/Jayapura (WIT, UTC+9): Monday 06:00 WIT is Sunday 21:00 UTC.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from tests_support import latest_manifest

from player.runner import decide_at
from scheduler.actions import approve_and_publish, create_announcement_action
from signage.clock import format_utc, parse_utc, zone
from signage.manifest import parse_manifest

pytestmark = pytest.mark.slow

DISPLAY = "kec-sungai-pinyuh"
WIT = zone("Asia/Jayapura")


def _at(day: Any, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WIT)


def test_weekly_announcement_from_a_monday_morning_plays_on_local_mondays(demo_service: Any, tmp_path: Any) -> None:
    service = demo_service
    service.db.table("displays").update(DISPLAY, {"timezone": "Asia/Jayapura", "operating_hours": "[]"})
    people = {row["username"]: row for row in service.db.table("users").rows}
    today = service.clock().astimezone(WIT).date()
    monday = today + timedelta(days=2 + (7 - (today + timedelta(days=2)).weekday()) % 7)  # 2..8 days ahead
    assert monday.weekday() == 0
    starts = _at(monday, 6)  # Sunday 21:00 UTC
    row = create_announcement_action(service, {
        "title": "Kerja bakti Senin", "body": "Setiap Senin pukul 08.00 WIT.", "kind": "text", "layer": "emergency",
        "duration_s": 20, "targets": {"displays": [DISPLAY], "groups": []}, "starts_at": format_utc(starts),
        "schedule": {"rrule": "FREQ=WEEKLY", "dayparts": [{"start": "08:00", "end": "09:00"}]},
    }, people["editor"])  # fmt: skip
    approve_and_publish(service, row["id"], people["admin"])
    manifest = latest_manifest(service, DISPLAY)
    assert manifest["timezone"] == "Asia/Jayapura"

    # By hand: the horizon is 14 days from today's 00:00 WIT; the rule is valid from Monday 06:00 WIT and recurs
    # weekly from that local Monday (not from the UTC date, a Sunday), 08:00-09:00 WIT = 23:00-24:00 UTC the
    # day before. Monday is 2..8 days ahead, so the Mondays inside the horizon are monday and maybe monday + 7.
    h1 = parse_utc(manifest["valid_until"])  # generated_at is the publish instant
    assert h1 == _at(today, 0) + timedelta(days=14)
    mondays = [d for d in (monday, monday + timedelta(days=7)) if _at(d, 9) <= h1]
    expected = [(format_utc(_at(d, 8)), format_utc(_at(d, 9))) for d in mondays]
    got = [(s["start"], s["end"]) for s in manifest["timeline"] if s["layer"] == "emergency"]
    assert got == expected
    assert all(parse_utc(start).astimezone(WIT).weekday() == 0 for start, _ in got)

    # what is on screen, by the function `signage preview --at` and the preview API use
    parsed = parse_manifest(manifest)
    title = f"ann-{row['id']}"
    on = decide_at(parsed, _at(monday, 8, 30))
    assert on.item is not None and on.item.id == title and on.layer == "emergency"
    assert decide_at(parsed, _at(monday, 8, 0)).layer == "emergency"  # from its exact second
    assert decide_at(parsed, _at(monday, 9, 0)).layer != "emergency"  # the end is exclusive
    sunday = monday - timedelta(days=1)
    assert decide_at(parsed, _at(sunday, 8, 30)).layer != "emergency"

    out = tmp_path / "senin.png"
    done = subprocess.run(
        [sys.executable, "-m", "signage", "preview", "--data-dir", str(service.data_dir), "--display", DISPLAY,
         "--at", f"{monday.isoformat()} 08:30", "-o", str(out)],
        capture_output=True, text=True, timeout=180, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    at_utc = _at(monday, 8, 30).astimezone(UTC)
    assert f"{DISPLAY} at {at_utc:%Y-%m-%d %H:%M:%S}Z shows Kerja bakti Senin (emergency {title})" in done.stdout
