"""The officers' preview window: pick a display and a time, scrub a day, play at 1x/10x/60x.

Logic lives in :class:`PreviewController` (a QObject: the display, the
simulated instant, the speed; it renders frames with :class:`FrameRenderer`);
the widgets only render what it emits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDateTime, QObject, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from player.preview.frames import FrameRenderer
from player.preview.sheet import Entry, day_bounds, day_manifest, entries_of_day
from player.preview.source import PreviewSource
from signage.clock import zone
from signage.errors import UserError
from signage.manifest import Segment, layer_rank
from signage.timefmt import format_long

log = logging.getLogger("player.preview")

TICK_MS = 100
SPEEDS = (1, 10, 60)
DAY_S = 86_400
LABELS = {
    "id": {"display": "Layar", "time": "Waktu", "pause": "Jeda", "now": "Sekarang", "because": "Tayang karena",
           "off": "Layar mati (di luar jam operasional)", "slate": "Slate bawaan (tidak ada jadwal)",
           "title": "Pratinjau Videotron Kabupaten Mempawah", "none": "Belum ada layar dengan manifes."},
    "en": {"display": "Display", "time": "Time", "pause": "Pause", "now": "Now", "because": "Playing because",
           "off": "Screen off (outside operating hours)", "slate": "Built-in slate (nothing scheduled)",
           "title": "Mempawah Videotron Preview", "none": "No display has a manifest yet."},
}


class PreviewController(QObject):
    frameChanged = Signal(QImage)
    explained = Signal(str)
    dayChanged = Signal(object)  # list[Entry]
    momentChanged = Signal(object)  # datetime

    def __init__(self, source: PreviewSource, language: str = "id", now: Callable[[], datetime] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.language = language
        self.now = now or (lambda: datetime.now(UTC))
        self.renderer: FrameRenderer | None = None
        self.moment = self.now()
        self.speed = 0
        self.entries: list[Entry] = []
        self._day: date | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._last_tick_s = time.monotonic()
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self._on_timer)

    @property
    def timezone(self) -> str:
        return self.renderer.manifest.timezone if self.renderer else "Asia/Pontianak"

    def select_display(self, display_id: str) -> None:
        manifest = self.source.manifest(display_id)
        self.renderer = FrameRenderer(manifest, self.source.media_path, self.language)
        self._day = None
        self.seek(self.moment)

    def seek(self, moment: datetime) -> None:
        self.moment = moment
        if self.renderer is None:
            return
        day = moment.astimezone(zone(self.timezone)).date()
        if day != self._day:
            self._day = day
            self.entries, _truncated = entries_of_day(self.renderer, day)
            self.dayChanged.emit(self.entries)
        self.frameChanged.emit(self.renderer.frame(moment))
        self.explained.emit(self.explain(moment))
        self.momentChanged.emit(moment)

    def seek_seconds_of_day(self, seconds: int) -> None:
        if self._day is None:
            return
        start, _end = day_bounds(self.renderer.manifest, self._day) if self.renderer else (self.moment, self.moment)
        self.seek(start + timedelta(seconds=seconds))

    def explain(self, moment: datetime) -> str:
        assert self.renderer is not None
        labels = LABELS.get(self.language, LABELS["id"])
        cue = self.renderer.main_cue(moment)
        when = format_long(moment, self.timezone, self.language)
        if cue.item is not None:
            title = cue.item.title or cue.item.id
            return f"{when} — {title}. {labels['because']}: {cue.why}"
        return f"{when} — {labels.get(cue.state, cue.state)}"

    def play(self, speed: int) -> None:
        self.speed = speed
        self._last_tick_s = time.monotonic()
        if speed:
            self._timer.start()
        else:
            self._timer.stop()

    def advance(self, real_s: float) -> None:
        """Move simulated time by ``real_s`` real seconds at the current speed."""
        if self.speed:
            self.seek(self.moment + timedelta(seconds=real_s * self.speed))

    @Slot()
    def _on_timer(self) -> None:
        now_s = time.monotonic()
        elapsed_s, self._last_tick_s = now_s - self._last_tick_s, now_s
        self.advance(elapsed_s)


class FrameView(QWidget):
    """Paints the last frame, scaled to fit, on neutral grey."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    @Slot(QImage)
    def show_frame(self, image: QImage) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#3a4250"))
        if self.image is not None and not self.image.isNull():
            scale = min(self.width() / self.image.width(), self.height() / self.image.height())
            w, h = self.image.width() * scale, self.image.height() * scale
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h), self.image)
        painter.end()


LAYER_COLOURS = {"emergency": "#c62828", "interrupt": "#e08a1e", "normal": "#2f6db3", "fallback": "#5f7f99",
                 "overlay": "#7b4bb0", "off": "#111111"}


class TimelineStrip(QWidget):
    """The day's main-zone segments coloured by layer; the one playing now outlined in yellow; a red line at
    the current instant; click to seek."""

    seekRequested = Signal(int)  # seconds of the day

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segments: list[Segment] = []
        self.day_start: datetime | None = None
        self.position_s = 0.0
        self.current: Segment | None = None
        self.setMinimumHeight(36)

    def set_segments(self, segments: list[Segment], day_start: datetime) -> None:
        self.segments, self.day_start = segments, day_start
        self.update()

    def set_position(self, seconds: float, current: Segment | None) -> None:
        self.position_s, self.current = seconds, current
        self.update()

    def _x(self, moment: datetime) -> float:
        assert self.day_start is not None
        seconds = min(max(0.0, (moment - self.day_start).total_seconds()), DAY_S)
        return seconds / DAY_S * self.width()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#dde3ea"))
        if self.day_start is not None:
            for segment in sorted(self.segments, key=lambda s: -layer_rank(s.layer)):
                x0, x1 = self._x(segment.start), self._x(segment.end)
                painter.fillRect(QRectF(x0, 6, max(1.0, x1 - x0), self.height() - 12),
                                 QColor(LAYER_COLOURS.get(segment.layer, "#2f6db3")))
            if self.current is not None:
                x0, x1 = self._x(self.current.start), self._x(self.current.end)
                painter.setPen(QColor("#f2c230"))
                painter.drawRect(QRectF(x0, 2, max(2.0, x1 - x0), self.height() - 4))
        x = self.position_s / DAY_S * self.width()
        painter.fillRect(QRectF(x - 1, 0, 3, self.height()), QColor("#d02020"))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.seekRequested.emit(int(event.position().x() / max(1, self.width()) * DAY_S))


class PreviewWindow(QWidget):
    def __init__(self, controller: PreviewController, language: str = "id") -> None:
        super().__init__()
        self.controller = controller
        labels = LABELS.get(language, LABELS["id"])
        self.setWindowTitle(labels["title"])
        self.displays = QComboBox()
        self.when = QDateTimeEdit()
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.when.setCalendarPopup(True)
        self.now_button = QPushButton(labels["now"])
        self.speed_buttons = {0: QPushButton(labels["pause"])}
        for speed in SPEEDS:
            self.speed_buttons[speed] = QPushButton(f"{speed}×")
        self.view = FrameView()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, DAY_S - 1)
        self.strip = TimelineStrip()
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        display_label = QLabel(labels["display"])
        display_label.setBuddy(self.displays)
        time_label = QLabel(labels["time"])
        time_label.setBuddy(self.when)
        top = QHBoxLayout()
        for widget in (display_label, self.displays, time_label, self.when, self.now_button,
                       *self.speed_buttons.values()):
            top.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.strip)
        layout.addWidget(self.slider)
        layout.addWidget(self.explanation)
        self._syncing = False
        for info in controller.source.displays():
            self.displays.addItem(f"{info.name} ({info.id})" if info.name != info.id else info.id, info.id)
        if self.displays.count() == 0:
            self.explanation.setText(labels["none"])
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.controller.frameChanged.connect(self.view.show_frame)
        self.controller.explained.connect(self.explanation.setText)
        self.controller.dayChanged.connect(self._on_day)
        self.controller.momentChanged.connect(self._on_moment)
        self.displays.currentIndexChanged.connect(self._on_display)
        self.slider.valueChanged.connect(self._on_slider)
        self.strip.seekRequested.connect(self.slider.setValue)
        self.when.dateTimeChanged.connect(self._on_when)
        self.now_button.clicked.connect(lambda: self.controller.seek(self.controller.now()))
        for speed, button in self.speed_buttons.items():
            button.clicked.connect(lambda _checked=False, s=speed: self.controller.play(s))

    def start(self, display_id: str | None) -> None:
        index = self.displays.findData(display_id) if display_id else 0
        if display_id and index < 0:
            raise UserError(f"display {display_id!r} has no published manifest", field="display")
        if self.displays.count():
            if index == self.displays.currentIndex():
                self._on_display(index)
            self.displays.setCurrentIndex(max(0, index))

    @Slot(int)
    def _on_display(self, index: int) -> None:
        display_id = self.displays.itemData(index)
        if display_id:
            self.controller.select_display(str(display_id))

    @Slot(int)
    def _on_slider(self, value: int) -> None:
        if not self._syncing:
            self.controller.seek_seconds_of_day(value)

    @Slot(QDateTime)
    def _on_when(self, value: QDateTime) -> None:
        if self._syncing:
            return
        local = value.toPython()
        assert isinstance(local, datetime)
        self.controller.seek(local.replace(tzinfo=zone(self.controller.timezone)))

    def _on_day(self, entries: list[Entry]) -> None:
        renderer = self.controller.renderer
        if renderer is not None:
            day = self.controller.moment.astimezone(zone(self.controller.timezone)).date()
            start, end = day_bounds(renderer.manifest, day)
            segments = [s for s in day_manifest(renderer.manifest, start, end).timeline if s.zone == "main"]
            self.strip.set_segments(segments, start)

    def _on_moment(self, moment: datetime) -> None:
        local = moment.astimezone(zone(self.controller.timezone))
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        self._syncing = True
        try:
            self.slider.setValue(seconds)
            self.when.setDateTime(QDateTime(local.year, local.month, local.day, local.hour, local.minute, local.second))
        finally:
            self._syncing = False
        renderer = self.controller.renderer
        hit = renderer.manifest.play_at(moment, "main") if renderer is not None else None
        self.strip.set_position(seconds + local.microsecond / 1e6, hit[0] if hit else None)


def run_window(source: PreviewSource, display_id: str | None, language: str) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = PreviewController(source, language)
    window = PreviewWindow(controller, language)
    window.resize(1100, 760)
    window.start(display_id)
    window.show()
    return app.exec()
