"""The canvas: the one widget. It paints each zone's visual, nothing else.

``paint_count`` counts painted frames (the render watchdog reads it) and
``painted`` is emitted after each one; ``painted_at_s`` is the renderer's frame
clock: ``time.monotonic()`` when the last frame was painted. With ``frame_probe``
set, each frame is first painted into a QImage that is handed to the probe
(a frame log for tests and benchmarks; it reads ``painted_at_s`` for the
frame's time), then shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from player.render.compose import logical_size, paint_zones, shown_zones
from player.render.presenter import ZonePresenter
from signage.manifest import Zone

WINDOW_TITLE = "Mempawah Signage"
MAIN_ZONE = Zone("main", 0.0, 0.0, 1.0, 1.0, 0)


class CanvasWidget(QWidget):
    painted = Signal()

    def __init__(self, rotation: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rotation = rotation
        self.setWindowTitle(WINDOW_TITLE)
        self.setCursor(Qt.CursorShape.BlankCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAutoFillBackground(False)
        self._zones: list[tuple[Zone, ZonePresenter]] = []
        self.paint_count = 0
        self.painted_at_s = 0.0  # monotonic seconds at the start of the last paint
        self.frame_probe: Callable[[QImage], None] | None = None

    def set_zones(self, zones: list[tuple[Zone, ZonePresenter]]) -> None:
        self._zones = sorted(zones, key=lambda pair: pair[0].z)
        self.update()

    def logical_size(self) -> tuple[int, int]:
        return logical_size(self.width(), self.height(), self.rotation)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.painted_at_s = time.monotonic()
        if self.frame_probe is None:
            painter = QPainter(self)
            self.paint_into(painter)
        else:
            frame = QImage(self.size(), QImage.Format.Format_RGB32)
            self.paint_into(QPainter(frame))
            painter = QPainter(self)
            painter.drawImage(0, 0, frame)
            painter.end()
            self.frame_probe(frame)
        self.paint_count += 1
        self.painted.emit()

    def paint_into(self, painter: QPainter) -> None:
        """Paint every zone with ``painter`` (ended afterwards); the preview paints the same way."""
        main = next((presenter for zone, presenter in self._zones if zone.id == "main"), None)
        main_layer = main.cue.layer if main is not None and main.cue is not None else None
        paint_zones(painter, self.width(), self.height(), self.rotation,
                    [(zone, presenter.visual) for zone, presenter in shown_zones(self._zones, main_layer)])
