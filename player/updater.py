"""The player's side of updates over the air, as the app uses it (GUI thread + one worker thread).

:class:`UpdateService` polls :class:`player.update.UpdateEngine` on a worker thread every
``interval_s``; the app calls :meth:`UpdateService.mark_healthy` once it has synced and painted
(writes ``health.json`` for the launcher) and :meth:`UpdateService.switch_now` at every item
boundary: when a verified release is installed it writes ``next.json`` and returns True, and
the app exits with :data:`player.release_state.EXIT_SWITCH` so the launcher starts that version.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from player.fsutil import WriteFaults
from player.release_state import request_switch, write_health
from player.update import UpdateEngine
from player.worker import WorkerThread

log = logging.getLogger("player.release")

#: The first offer is asked for this long after start (let the manifest sync go first).
FIRST_POLL_DELAY_S = 3.0


class UpdateService:
    def __init__(self, data_dir: Path, interval_s: float, faults: WriteFaults | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.faults = faults if faults is not None else WriteFaults()  # a full disk is logged once, not per try
        self.interval_s = interval_s
        self.engine: UpdateEngine | None = None
        self.switching = False
        self._healthy_written = False
        self._worker = WorkerThread("player-update", self._run)

    def start(self, engine: UpdateEngine) -> None:
        if self._worker.running:
            return
        self.engine = engine
        engine.healthy = self._healthy_written
        self._worker.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._worker.stop(timeout_s)

    def report(self) -> dict[str, Any] | None:
        return self.engine.report() if self.engine is not None else None

    def mark_healthy(self, version: str) -> None:
        """This process synced and painted: tell the launcher (once)."""
        if self._healthy_written:
            return
        try:
            write_health(self.data_dir, version)
        except OSError as exc:
            self.faults.failed("health.json", exc)
            return
        self.faults.ok("health.json")
        self._healthy_written = True
        if self.engine is not None:
            self.engine.healthy = True
        log.info("player %s healthy (synced and painted)", version)

    def switch_now(self) -> bool:
        """At an item boundary: True when the app must exit so the launcher starts the installed release."""
        engine = self.engine
        if self.switching:
            return True
        if engine is None or engine.ready_version is None or not engine.can_switch:
            return False
        try:
            request_switch(self.data_dir, engine.ready_version)
        except OSError as exc:
            log.warning("cannot request the switch to release %s: %s", engine.ready_version, exc)
            return False
        self.switching = True
        log.info("switching to release %s at this item boundary", engine.ready_version)
        return True

    def _run(self) -> None:
        wake, stopping = self._worker.wake, self._worker.stopping
        wake.wait(FIRST_POLL_DELAY_S)
        while not stopping.is_set():
            wake.clear()
            engine = self.engine
            assert engine is not None
            try:
                engine.poll(should_stop=stopping.is_set)
            except Exception:  # a bug must not kill the update thread
                log.exception("update check failed unexpectedly")
            wake.wait(self.interval_s)
