"""The English texts the player's own code writes into its heartbeat (clock faults, disk write faults) are the
ones the scheduler recognises and translates (signage.reason_codes.legacy_reason): a reworded text here would
reach staff untranslated, so this fails first."""

from __future__ import annotations

from player.clock import PlayerClock
from player.fsutil import WriteFaults
from signage.reason_codes import legacy_reason


def test_clock_faults_read_back_as_codes_with_their_seconds() -> None:
    clock = PlayerClock(wall_s=lambda: 1_000_000.0, monotonic_s=lambda: 50.0)
    assert clock.correct(1_000_420.0, 50.0, 1_000_000.0)
    assert clock.fault is not None and legacy_reason(f"clock: {clock.fault}") == ("clock_offset", {"offset_s": 420})
    assert clock.fault_code == {"code": "clock_offset", "params": {"offset_s": 420}}  # what the heartbeat sends
    behind = PlayerClock(wall_s=lambda: 1_000_000.0, monotonic_s=lambda: 50.0)
    assert behind.apply_floor(1_003_600.0, "the newest signed manifest's generated_at")
    assert behind.fault is not None and legacy_reason(behind.fault) == ("clock_behind", {"behind_s": 3600})
    assert behind.fault_code == {"code": "clock_behind", "params": {"behind_s": 3600}}


def test_disk_write_faults_read_back_as_codes_naming_what() -> None:
    faults = WriteFaults()
    faults.failed("play log", OSError(28, "No space left on device"))
    faults.failed("emergency.json", OSError(30, "Read-only file system"))
    assert [legacy_reason(w) for w in faults.warnings()] == [("cannot_write", {"what": "emergency.json"}),
                                                             ("cannot_write", {"what": "play log"})]  # fmt: skip
    assert [c for _, c in faults.coded_warnings()] == [{"code": "cannot_write", "params": {"what": "emergency.json"}},
                                                       {"code": "cannot_write", "params": {"what": "play log"}}]
