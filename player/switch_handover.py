"""The old player's half of a never-black update switch (see :mod:`player.switch_bridge`).

At the item boundary where it switches, the player saves what its window shows now
(``switch-frame.png`` + ``switch-frame.json``), keeps showing it, and exits with
:data:`player.release_state.EXIT_SWITCH` once the launcher's bridge window reports that it is
shown, or after :data:`player.switch_bridge.BRIDGE_WAIT_S` if no bridge comes. Under a launcher
that does not set :data:`player.switch_bridge.BRIDGE_ENV` (an older one) it exits at once.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QBuffer, QCoreApplication, QIODevice, QObject, QTimer, Slot
from PySide6.QtWidgets import QWidget

from player import switch_bridge
from player.release_state import EXIT_SWITCH
from signage.fsutil import atomic_write_bytes

log = logging.getLogger("player.release")

POLL_MS = 50


class SwitchHandover(QObject):
    def __init__(self, data_dir: Path, window: QWidget, parent: QObject | None = None,
                 wait_s: float = switch_bridge.BRIDGE_WAIT_S) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.window = window
        self.wait_s = wait_s
        self.started_s: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._check)

    @property
    def started(self) -> bool:
        return self.started_s is not None

    def begin(self) -> None:
        """Save the frame and wait for the bridge (idempotent)."""
        if self.started:
            return
        self.started_s = time.monotonic()
        if os.environ.get(switch_bridge.BRIDGE_ENV) != "1":
            log.info("switch: this launcher shows no bridge window; exiting at once")
            self._exit()
        elif self._save_frame():
            log.info("switch: last frame saved; waiting for the launcher's bridge window")
            self._timer.start()
        else:
            self._exit()

    def _save_frame(self) -> bool:
        ready = switch_bridge.path(self.data_dir, switch_bridge.READY_JSON)
        ready.unlink(missing_ok=True)
        image = self.window.grab().toImage()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
            log.warning("switch: cannot encode the last frame; switching without a bridge")
            return False
        geometry = self.window.geometry()
        try:
            atomic_write_bytes(switch_bridge.path(self.data_dir, switch_bridge.FRAME_PNG),
                               bytes(buffer.data().data()), sync=False)
            switch_bridge.write_json(switch_bridge.path(self.data_dir, switch_bridge.FRAME_JSON), {
                "geometry": [geometry.x(), geometry.y(), geometry.width(), geometry.height()],
                "fullscreen": self.window.isFullScreen(),
            })
        except OSError as exc:
            log.warning("switch: cannot save the last frame (%s); switching without a bridge", exc)
            return False
        return True

    @Slot()
    def _check(self) -> None:
        if switch_bridge.read_json(switch_bridge.path(self.data_dir, switch_bridge.READY_JSON)) is not None:
            log.info("switch: the bridge window shows the last frame; exiting for the new version")
            self._exit()
        elif self.started_s is not None and time.monotonic() - self.started_s > self.wait_s:
            log.warning("switch: no bridge window after %.0f s; exiting anyway", self.wait_s)
            self._exit()

    def _exit(self) -> None:
        self._timer.stop()
        QCoreApplication.exit(EXIT_SWITCH)
