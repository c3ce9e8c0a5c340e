"""Periodic PNG screenshots of the canvas (``QWidget.grab()``), written atomically.

A failed write (full disk) is reported to :class:`player.fsutil.WriteFaults`
(logged once) and tried again at the next capture.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, QTimer, Slot
from PySide6.QtWidgets import QWidget

from player.fsutil import WriteFaults
from signage.fsutil import atomic_write_bytes

log = logging.getLogger("player.screenshot")

#: Delay after an item change before the screenshot (let the first frame arrive).
AFTER_CHANGE_MS = 700


class Screenshotter(QObject):
    def __init__(self, widget: QWidget, path: Path, interval_s: float,
                 parent: QObject | None = None, *, faults: WriteFaults | None = None) -> None:
        super().__init__(parent)
        self.faults = faults or WriteFaults()
        self.widget = widget
        self.path = Path(path)
        self.count = 0
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(interval_s * 1000)))
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(AFTER_CHANGE_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self.capture)
        self._soon.timeout.connect(self.capture)

    def start(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.faults.failed("screenshot", exc)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._soon.stop()

    @Slot()
    def capture_soon(self) -> None:
        self._soon.start()

    @Slot()
    def capture(self) -> None:
        # A slot must not return a value: PySide6 mis-counts references to a
        # returned bool when a signal invokes it (interpreter crash at exit).
        self.capture_now()

    def capture_now(self) -> bool:
        """Write the screenshot now; False (and a log line) if that failed."""
        image = self.widget.grab().toImage()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # PNG into memory first: QImage.save to a file reports no error on a full disk (an empty file)
        if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
            log.warning("cannot encode the screenshot as PNG")
            return False
        try:
            atomic_write_bytes(self.path, bytes(buffer.data().data()), sync=False)
        except OSError as exc:
            self.faults.failed("screenshot", exc)
            return False
        self.faults.ok("screenshot")
        self.count += 1
        return True
