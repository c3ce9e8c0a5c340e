"""The status file ``data_dir/status.json``: what this player is doing now.

Written atomically on every item change and every few seconds, so a human,
a watchdog or the e2e test can read it at any moment. Shape::

    {"state": "enrolling"|"playing"|"slate"|"off", "display_id", "enrol_code",
     "manifest_version", "source": "manifest"|"last_good"|"slate",
     "current": {"zone", "item_id", "item_type", "title", "since"} | null,
     "emergency_items": [item ids of the emergency the main zone shows now],
     "last_sync_ok", "last_error", "clock_offset_s", "clock_fault", "clock_fault_code",
     "warnings": [str], "warning_codes": [{"code", "params"}] (the same, signage.reason_codes), "updated_at"}

A write that fails (full disk) is reported to :class:`player.fsutil.WriteFaults`
and retried at the next update.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from player.fsutil import WriteFaults
from signage.clock import format_utc
from signage.fsutil import atomic_write_json

log = logging.getLogger("player.status")

STATUS_FILE = "status.json"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else format_utc(moment)


class StatusFile:
    def __init__(self, data_dir: Path, wall_clock: Callable[[], datetime] | None = None,
                 faults: WriteFaults | None = None) -> None:
        self.path = Path(data_dir) / STATUS_FILE
        self.faults = faults or WriteFaults()
        self._now = wall_clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {
            "state": "slate",
            "display_id": None,
            "enrol_code": None,
            "manifest_version": None,
            "source": "slate",
            "current": None,
            "emergency_items": [],
            "last_sync_ok": None,
            "last_error": None,
            "clock_offset_s": 0.0,
            "clock_fault": None,
            "clock_fault_code": None,
            "warnings": [],
            "warning_codes": [],
            "updated_at": None,
        }

    def update(self, **values: Any) -> None:
        with self._lock:
            unknown = set(values) - set(self._data)
            if unknown:
                raise KeyError(f"unknown status field(s): {sorted(unknown)}")
            self._data.update(values)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._data)

    def write(self) -> None:
        with self._lock:
            self._data["updated_at"] = iso(self._now())
            data = copy.deepcopy(self._data)
        try:
            atomic_write_json(self.path, data, sync=False)
        except OSError as exc:
            self.faults.failed("status file", exc)
            return
        self.faults.ok("status file")
