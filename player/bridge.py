"""``python -m player.bridge``: the window that covers an update switch with the old player's last frame.

Started by the launcher (:mod:`player.switch_bridge`) while the old player still shows that frame:
a frameless window on the player's geometry (or fullscreen) painting the image scaled to fit.
After its first paint it writes ``--shot`` (a grab of itself: what the viewer sees) and then
``--ready`` (``{"pid", "at_mono_s"}``); it closes on SIGTERM/SIGINT or after ``--max-s``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QApplication, QWidget

from signage.fsutil import atomic_write_bytes

log = logging.getLogger("player.bridge")


class BridgeWindow(QWidget):
    def __init__(self, image: QImage, ready: Path, shot: Path | None) -> None:
        super().__init__()
        self.image = image
        self.ready = ready
        self.shot = shot
        self.reported = False
        self.setWindowTitle("Mempawah signage")
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.BlankCursor)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if not self.image.isNull():
            scaled = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(self.rect().center())
            painter.drawImage(target, self.image)
        painter.end()
        if not self.reported:
            self.reported = True
            QTimer.singleShot(0, self._report)  # after this frame is done

    def _report(self) -> None:
        if self.shot is not None:
            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            if self.grab().toImage().save(buffer, "PNG"):  # type: ignore[call-overload]
                try:
                    atomic_write_bytes(self.shot, bytes(buffer.data().data()), sync=False)
                except OSError as exc:
                    log.warning("bridge: cannot write %s: %s", self.shot, exc)
        document = {"pid": os.getpid(), "at_mono_s": time.monotonic()}
        atomic_write_bytes(self.ready, json.dumps(document).encode() + b"\n", sync=False)
        log.info("bridge shown (%dx%d)", self.width(), self.height())


def parse_geometry(text: str) -> tuple[int, int, int, int]:
    parts = [int(p) for p in text.split(",")]
    if len(parts) != 4:
        raise ValueError(f"--geometry {text!r}: want X,Y,WIDTH,HEIGHT")
    return parts[0], parts[1], parts[2], parts[3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m player.bridge", description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, type=Path)
    parser.add_argument("--geometry", default="0,0,0,0", help="X,Y,WIDTH,HEIGHT of the player window")
    parser.add_argument("--fullscreen", action="store_true")
    parser.add_argument("--ready", required=True, type=Path)
    parser.add_argument("--shot", type=Path, default=None)
    parser.add_argument("--max-s", type=float, default=120.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    x, y, width, height = parse_geometry(args.geometry)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    image = QImage(str(args.image))
    if image.isNull():
        log.warning("bridge: cannot read %s; covering the switch with black", args.image)
    window = BridgeWindow(image, args.ready, args.shot)
    if width > 0 and height > 0:
        window.setGeometry(x, y, width, height)
    elif not image.isNull():
        window.resize(image.size())
    for name in ("SIGTERM", "SIGINT"):
        signal.signal(getattr(signal, name), lambda *_: app.quit())
    ticker = QTimer()  # let Python run its signal handlers while Qt waits
    ticker.timeout.connect(lambda: None)
    ticker.start(100)
    QTimer.singleShot(int(args.max_s * 1000), app.quit)
    if args.fullscreen:
        window.showFullScreen()
    else:
        window.show()
    code = app.exec()
    window.close()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
