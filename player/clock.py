"""The timeline clock: server time, advanced by the monotonic clock.

``PlayerClock()`` is callable and returns an aware UTC datetime, like any
``signage.clock.Clock``. It is anchored on (wall time, monotonic time) and only
moves with ``time.monotonic``, so an NTP step or a technician changing the PC
clock does not make the runner jump. Each sync passes the server's ``Date``
header to :meth:`PlayerClock.correct`; small differences (the header has
one-second resolution) are ignored so item boundaries do not jitter.

A PC whose clock is far in the past (dead CMOS battery: 2020) and no network
would otherwise play the slate forever, since no manifest covers 2020. So the
clock has a *floor*: a moment known to have passed — the newest signed
manifest's ``generated_at`` and the last server-corrected time, which
:class:`ClockFloorFile` keeps in ``data_dir/clock.json``. Below the floor the
clock is re-anchored on it (:meth:`PlayerClock.apply_floor`) and
:attr:`PlayerClock.fault` says so; the heartbeat reports it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from player.diskwriter import DiskWriter
from player.fsutil import WriteFaults, atomic_write_json
from signage.clock import format_utc
from signage.reason_codes import coded

log = logging.getLogger("player.clock")

#: Corrections smaller than this are ignored (Date has 1 s resolution).
CORRECTION_THRESHOLD_S = 1.5
#: The PC wall clock further than this from the scheduler's is reported as a clock fault.
CLOCK_FAULT_S = 300.0
CLOCK_FILE = "clock.json"
#: The last server-corrected time is saved at most this often (plus at every correction).
FLOOR_SAVE_INTERVAL_S = 600.0


class PlayerClock:
    def __init__(
        self,
        wall_s: Callable[[], float] = time.time,
        monotonic_s: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall_s = wall_s
        self._monotonic_s = monotonic_s
        self._anchor_epoch_s = wall_s()
        self._anchor_mono_s = monotonic_s()
        self.offset_s = 0.0  # last measured server time - local wall time
        #: True once a server ``Date`` anchored the clock.
        self.server_corrected = False
        #: Why the PC clock is not trusted (None: no fault seen).
        self.fault: str | None = None
        #: The same as ``{"code", "params"}`` (signage.reason_codes) for the heartbeat.
        self.fault_code: dict[str, Any] | None = None
        #: True while the time comes from a floor, not from the server.
        self.floored = False
        #: Server time minus this clock at the last correction.
        self.last_drift_s = 0.0

    def wall_s(self) -> float:
        """The PC's wall clock, as this clock reads it (injectable for tests)."""
        return self._wall_s()

    def epoch_s(self) -> float:
        return self._anchor_epoch_s + (self._monotonic_s() - self._anchor_mono_s)

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.epoch_s(), UTC)

    def apply_floor(self, floor_epoch_s: float, source: str) -> bool:
        """Move the clock up to ``floor_epoch_s`` if it is behind it; True if it moved.

        ``source`` names where the floor comes from (for the log and the fault).
        A clock already corrected by the server is never moved by a floor.
        """
        if self.server_corrected:
            return False
        now_mono_s = self._monotonic_s()
        ours_s = self._anchor_epoch_s + (now_mono_s - self._anchor_mono_s)
        if ours_s >= floor_epoch_s:
            return False
        behind_s = floor_epoch_s - ours_s
        self.fault = (f"PC clock {format_utc(datetime.fromtimestamp(ours_s, UTC))} is {behind_s:.0f} s behind "
                      f"{source} ({format_utc(datetime.fromtimestamp(floor_epoch_s, UTC))}); using that as the time")
        self.fault_code = coded("clock_behind", {"behind_s": round(behind_s)})
        log.warning("clock fault: %s", self.fault)
        self._anchor_epoch_s = floor_epoch_s
        self._anchor_mono_s = now_mono_s
        self.offset_s = floor_epoch_s - self._wall_s()
        self.floored = True
        return True

    def correct(self, server_epoch_s: float, at_monotonic_s: float, local_epoch_s: float) -> bool:
        """Re-anchor on the server's time measured at ``at_monotonic_s``.

        ``local_epoch_s`` is the local wall clock at the same instant; it only
        feeds the reported ``offset_s`` and :attr:`fault`. Returns True if the clock moved.
        """
        self.offset_s = server_epoch_s - local_epoch_s
        self.server_corrected = True
        self.floored = False
        if abs(self.offset_s) > CLOCK_FAULT_S:
            self.fault = f"PC clock is {self.offset_s:+.0f} s off the scheduler's; playing on the scheduler's time"
            self.fault_code = coded("clock_offset", {"offset_s": round(self.offset_s)})
        else:
            self.fault = None
            self.fault_code = None
        ours_s = self._anchor_epoch_s + (at_monotonic_s - self._anchor_mono_s)
        drift_s = server_epoch_s - ours_s
        self.last_drift_s = drift_s
        if abs(drift_s) < CORRECTION_THRESHOLD_S:
            return False
        log.info("clock corrected by %+.1f s (server - local wall clock = %+.1f s)",
                 drift_s, self.offset_s)
        self._anchor_epoch_s = server_epoch_s
        self._anchor_mono_s = at_monotonic_s
        return True


class ClockFloorFile:
    """``data_dir/clock.json``: the last server-corrected time, a floor for the next start.

    With a :class:`player.diskwriter.DiskWriter` the write (and its fsync) runs on the writer thread.
    """

    def __init__(self, data_dir: Path, faults: WriteFaults | None = None, writer: DiskWriter | None = None) -> None:
        self.path = Path(data_dir) / CLOCK_FILE
        self.faults = faults or WriteFaults()
        self.writer = writer
        self._saved_mono_s: float | None = None

    def load(self) -> float | None:
        """The saved epoch seconds, or None (missing or unreadable file)."""
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))["server_time_epoch_s"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring %s: %s", self.path, exc)
            return None
        return float(value) if isinstance(value, int | float) else None

    def save(self, clock: PlayerClock, *, force: bool = False) -> bool:
        """Save the clock's time if it is server-corrected (at most every 10 min unless ``force``).

        True if a write was made (with a writer: handed to it)."""
        if not clock.server_corrected:
            return False
        now_mono_s = time.monotonic()
        if not force and self._saved_mono_s is not None and now_mono_s - self._saved_mono_s < FLOOR_SAVE_INTERVAL_S:
            return False
        epoch_s = clock.epoch_s()
        self._saved_mono_s = now_mono_s
        if self.writer is not None:
            self.writer.submit(f"clock floor {self.path}", lambda: self._write(epoch_s))
            return True
        return self._write(epoch_s)

    def _write(self, epoch_s: float) -> bool:
        try:
            atomic_write_json(self.path, {"server_time_epoch_s": epoch_s,
                                          "server_time": format_utc(datetime.fromtimestamp(epoch_s, UTC))})
        except OSError as exc:
            self.faults.failed("clock floor file", exc)
            self._saved_mono_s = None  # try again at the next sync
            return False
        self.faults.ok("clock floor file")
        return True
