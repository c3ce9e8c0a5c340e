"""PlayerClock follows the monotonic clock and the server; the status file is atomic JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from player.clock import PlayerClock
from player.status import StatusFile


class Clocks:
    def __init__(self) -> None:
        self.wall_s = 1_800_000_000.0
        self.mono_s = 100.0


def test_clock_ignores_wall_jumps_and_follows_server():
    c = Clocks()
    clock = PlayerClock(lambda: c.wall_s, lambda: c.mono_s)
    start = clock()
    assert start == datetime.fromtimestamp(1_800_000_000, UTC)
    c.wall_s += 3600  # someone sets the PC clock an hour ahead
    c.mono_s += 10
    assert (clock() - start).total_seconds() == 10
    # the server says it is 120 s later than we think: re-anchor
    assert clock.correct(1_800_000_130.0, c.mono_s, c.wall_s)
    assert (clock() - start).total_seconds() == 130
    assert clock.offset_s == 130 - 3600  # server - local wall clock
    # sub-second noise from the Date header does not move the clock
    before = clock()
    assert not clock.correct(clock.epoch_s() + 0.4, c.mono_s, c.wall_s)
    assert clock() == before


def test_status_file_is_written_whole(tmp_path):
    status = StatusFile(tmp_path, lambda: datetime(2026, 11, 28, 3, 15, tzinfo=UTC))
    status.update(state="playing", manifest_version=3)
    status.write()
    data = json.loads((tmp_path / "status.json").read_text())
    assert data["state"] == "playing" and data["manifest_version"] == 3
    assert data["updated_at"] == "2026-11-28T03:15:00Z"
    assert set(data) == {"state", "display_id", "enrol_code", "manifest_version", "source",
                         "current", "last_sync_ok", "last_error", "clock_offset_s", "clock_fault", "warnings",
                         "updated_at"}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temp file left
