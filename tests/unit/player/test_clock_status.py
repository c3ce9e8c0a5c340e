"""PlayerClock follows the monotonic clock and the server; the status file is atomic JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from player.clock import ClockFloorFile, PlayerClock
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


def test_clock_behind_its_floor_moves_up_and_reports_a_fault():
    c = Clocks()
    c.wall_s = 1_577_836_800.0  # 2020-01-01: a dead CMOS battery
    clock = PlayerClock(lambda: c.wall_s, lambda: c.mono_s)
    floor_s = 1_800_000_000.0
    assert clock.apply_floor(floor_s, "the newest signed manifest's generated_at")
    assert clock.epoch_s() == floor_s and "behind the newest signed manifest" in (clock.fault or "")
    assert clock.offset_s == floor_s - c.wall_s
    c.mono_s += 5
    assert clock.epoch_s() == floor_s + 5  # runs on from the floor
    assert not clock.apply_floor(floor_s, "again")  # already past it
    # the server's time wins over any floor, and a PC clock far off it stays a fault
    assert clock.correct(floor_s + 60, c.mono_s, c.wall_s)
    assert clock.server_corrected and "off the scheduler's" in (clock.fault or "")
    assert not clock.apply_floor(floor_s + 3600, "a later manifest")
    c.wall_s = floor_s + 61  # technician fixed the PC clock
    clock.correct(floor_s + 61, c.mono_s, c.wall_s)
    assert clock.fault is None


def test_clock_ahead_of_its_floor_is_left_alone():
    c = Clocks()
    clock = PlayerClock(lambda: c.wall_s, lambda: c.mono_s)
    assert not clock.apply_floor(c.wall_s - 86400, "yesterday")
    assert clock.fault is None and clock.epoch_s() == c.wall_s


def test_clock_floor_file_keeps_only_server_time(tmp_path):
    c = Clocks()
    clock = PlayerClock(lambda: c.wall_s, lambda: c.mono_s)
    floor = ClockFloorFile(tmp_path)
    assert floor.load() is None
    assert not floor.save(clock)  # never corrected by a server: not a floor
    clock.correct(1_800_000_500.0, c.mono_s, c.wall_s)
    assert floor.save(clock)
    assert floor.load() == pytest.approx(1_800_000_500.0)
    (tmp_path / "clock.json").write_text("{broken")
    assert floor.load() is None


def test_status_file_is_written_whole(tmp_path):
    status = StatusFile(tmp_path, lambda: datetime(2026, 11, 28, 3, 15, tzinfo=UTC))
    status.update(state="playing", manifest_version=3)
    status.write()
    data = json.loads((tmp_path / "status.json").read_text())
    assert data["state"] == "playing" and data["manifest_version"] == 3
    assert data["updated_at"] == "2026-11-28T03:15:00Z"
    assert set(data) == {"state", "display_id", "enrol_code", "manifest_version", "source",
                         "current", "emergency_items", "last_sync_ok", "last_error", "clock_offset_s", "clock_fault",
                         "clock_fault_code", "warnings", "warning_codes", "updated_at"}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temp file left
