"""Visuals: what one zone paints. Plain classes; no timers, no I/O in paint().

Each visual has ``paint(painter, rect)`` and ``frame_interval_ms`` (0 for a
still picture, 1000 for a clock, ~33 for a scrolling ticker). Colours: text on dark blue, slate on government green,
enrolment on slate blue; black only for ``off`` and letterboxing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QLinearGradient, QPainter

from player.texts import text
from signage.timefmt import format_date_long, format_long, format_time

FONT_FAMILY = "DejaVu Sans"
MONO_FAMILY = "DejaVu Sans Mono"
TEXT_BG = QColor("#0b2f6b")
SLATE_TOP = QColor("#0f6b45")
SLATE_BOTTOM = QColor("#08402a")
ENROL_BG = QColor("#17324d")
ACCENT = QColor("#f2c230")
WHITE = QColor("#ffffff")
#: Aspect ratios closer than this fill the zone (stretch); otherwise letterbox.
FILL_ASPECT_TOLERANCE = 0.03

WRAP = int(Qt.TextFlag.TextWordWrap)
CENTER = int(Qt.AlignmentFlag.AlignCenter)


def fitted_font(
    content: str,
    rect: QRectF,
    *,
    family: str = FONT_FAMILY,
    bold: bool = False,
    max_px: int = 400,
    min_px: int = 8,
    flags: int = CENTER | WRAP,
) -> QFont:
    """The largest font (binary search on pixel size) that fits ``content`` in ``rect``."""
    font = QFont(family)
    font.setBold(bold)
    low, high = min_px, max(min_px, min(max_px, int(rect.height())))
    best = low
    while low <= high:
        mid = (low + high) // 2
        font.setPixelSize(mid)
        bounds = QFontMetricsF(font).boundingRect(rect, flags, content)
        if bounds.width() <= rect.width() and bounds.height() <= rect.height():
            best = mid
            low = mid + 1
        else:
            high = mid - 1
    font.setPixelSize(best)
    return font


def draw_fitted(
    painter: QPainter,
    rect: QRectF,
    content: str,
    *,
    color: QColor = WHITE,
    max_px: int = 400,
    bold: bool = False,
    family: str = FONT_FAMILY,
    flags: int = CENTER | WRAP,
) -> None:
    if not content or rect.width() < 4 or rect.height() < 4:
        return
    font = fitted_font(content, rect, family=family, bold=bold, max_px=max_px, flags=flags)
    painter.setFont(font)
    painter.setPen(color)
    painter.drawText(rect, flags, content)


def inset(rect: QRectF, fraction: float) -> QRectF:
    dx, dy = rect.width() * fraction, rect.height() * fraction
    return rect.adjusted(dx, dy, -dx, -dy)


def band(rect: QRectF, top: float, bottom: float) -> QRectF:
    """The horizontal band between fractions ``top`` and ``bottom`` of ``rect``."""
    return QRectF(rect.x(), rect.y() + rect.height() * top, rect.width(),
                  rect.height() * (bottom - top))


class Visual:
    frame_interval_ms = 0

    @property
    def opaque(self) -> bool:
        """True when paint() covers every pixel of its rect with opaque colour (nothing to clear under it)."""
        return False

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        raise NotImplementedError


class BlackVisual(Visual):
    """Outside operating hours: the only black screen allowed."""

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, Qt.GlobalColor.black)


def fitted_size(src_w: int, src_h: int, zone: QSize) -> QSize:
    """The size a ``src_w`` x ``src_h`` picture is shown at in ``zone``: fill if the aspect matches, else letterbox."""
    if src_w <= 0 or src_h <= 0 or zone.isEmpty():
        return QSize(0, 0)
    if abs((src_w / src_h) / (zone.width() / zone.height()) - 1) <= FILL_ASPECT_TOLERANCE:
        return QSize(zone)
    return QSize(src_w, src_h).scaled(zone, Qt.AspectRatioMode.KeepAspectRatio)


def draw_centred(painter: QPainter, rect: QRectF, picture: QImage) -> None:
    """Draw ``picture`` (already at its shown size) centred in ``rect``, black bars around it if smaller."""
    if picture.size() != rect.size().toSize():
        painter.fillRect(rect, Qt.GlobalColor.black)
    x = rect.x() + (rect.width() - picture.width()) / 2
    y = rect.y() + (rect.height() - picture.height()) / 2
    painter.drawImage(round(x), round(y), picture)


class ImageFitter:
    """Scales an image to a zone once per size: fill if the aspect matches, else letterbox."""

    def __init__(self) -> None:
        self._key: tuple[int, QSize] | None = None
        self._scaled: QImage | None = None

    def paint(self, painter: QPainter, rect: QRectF, image: QImage) -> None:
        if image.isNull() or rect.isEmpty():
            return
        size = rect.size().toSize()
        key = (image.cacheKey(), size)
        if key != self._key or self._scaled is None:
            shown = fitted_size(image.width(), image.height(), size)
            self._scaled = image.scaled(shown, Qt.AspectRatioMode.IgnoreAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation)
            self._key = key
        draw_centred(painter, rect, self._scaled)


class ImageVisual(Visual):
    def __init__(self, image: QImage) -> None:
        self.image = image
        self._fitter = ImageFitter()

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        self._fitter.paint(painter, rect, self.image)


class TextVisual(Visual):
    """Large, high-contrast, auto-fitted: white on dark blue."""

    def __init__(self, title: str, body: str = "") -> None:
        self.title = title.strip()
        self.body = body.strip()

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, TEXT_BG)
        inner = inset(rect, 0.05)
        if self.title and self.body:
            title_rect = band(inner, 0.0, 0.3)
            draw_fitted(painter, title_rect, self.title, color=ACCENT, bold=True)
            painter.fillRect(band(inner, 0.32, 0.33), ACCENT)
            draw_fitted(painter, band(inner, 0.36, 1.0), self.body)
        else:
            draw_fitted(painter, inner, self.title or self.body, bold=bool(self.title))


class SlateVisual(Visual):
    """Built-in slate: government name, Indonesian date and time, on green."""

    frame_interval_ms = 1000

    def __init__(self, clock: Callable[[], datetime], timezone: str, language: str = "id") -> None:
        self.clock = clock
        self.timezone = timezone
        self.language = language

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        gradient = QLinearGradient(rect.topLeft(), rect.bottomLeft())
        gradient.setColorAt(0.0, SLATE_TOP)
        gradient.setColorAt(1.0, SLATE_BOTTOM)
        painter.fillRect(rect, gradient)
        inner = inset(rect, 0.05)
        now = self.clock()
        draw_fitted(painter, band(inner, 0.0, 0.25), text(self.language, "government"),
                    bold=True)
        painter.fillRect(band(inner, 0.28, 0.29), ACCENT)
        draw_fitted(painter, band(inner, 0.34, 0.55),
                    format_date_long(now, self.timezone, self.language))
        draw_fitted(painter, band(inner, 0.58, 1.0),
                    format_time(now, self.timezone, self.language), color=ACCENT, bold=True)


class EnrolVisual(Visual):
    """The enrolment screen: the code huge, the scheduler address and the status."""

    def __init__(self, code: str, server: str, status: str, language: str = "id") -> None:
        self.code = code  # already formatted, e.g. "ABC-DEF"
        self.server = server
        self.status = status
        self.language = language

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, ENROL_BG)
        inner = inset(rect, 0.05)
        lang = self.language
        draw_fitted(painter, band(inner, 0.0, 0.14), text(lang, "enrol_heading"), bold=True)
        draw_fitted(painter, band(inner, 0.16, 0.62), self.code, color=ACCENT, bold=True,
                    family=MONO_FAMILY)
        draw_fitted(painter, band(inner, 0.64, 0.74), text(lang, "enrol_hint"))
        server_line = text(lang, "enrol_server", server=self.server)
        draw_fitted(painter, band(inner, 0.76, 0.86), server_line)
        draw_fitted(painter, band(inner, 0.88, 1.0), self.status, color=ACCENT)


class EmptyVisual(Visual):
    """An overlay zone with nothing to show: paints nothing (the main zone shows through)."""

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        return


class ClockStripVisual(Visual):
    """The clock zone: ``10.15 WIB`` large over ``Sabtu, 28 November 2026``; in a long thin strip one line,
    ``Sabtu, 28 November 2026 · 10.15 WIB``."""

    frame_interval_ms = 1000

    def __init__(self, clock: Callable[[], datetime], timezone: str, language: str = "id") -> None:
        self.clock = clock
        self.timezone = timezone
        self.language = language

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, TEXT_BG)
        painter.fillRect(QRectF(rect.x(), rect.y(), rect.width(), max(2.0, rect.height() * 0.06)),
                         ACCENT)
        moment = self.clock()
        if rect.width() > rect.height() * 8:  # a long, thin strip: one line
            draw_fitted(painter, inset(rect, 0.12), format_long(moment, self.timezone, self.language),
                        bold=True, flags=CENTER)
            return
        # a corner box: the time large, the date below it
        inner = inset(rect, 0.08)
        draw_fitted(painter, band(inner, 0.04, 0.62), format_time(moment, self.timezone, self.language),
                    bold=True, flags=CENTER)
        draw_fitted(painter, band(inner, 0.64, 1.0), format_date_long(moment, self.timezone, self.language),
                    color=ACCENT, flags=CENTER)


class TickerVisual(Visual):
    """Right-to-left scrolling text; position is a function of elapsed time."""

    frame_interval_ms = 33
    SEPARATOR = "   •   "

    def __init__(self, content: str, elapsed_s: Callable[[], float]) -> None:
        self.content = " ".join(content.split())
        self.elapsed_s = elapsed_s
        self._font_key: tuple[int, str] | None = None
        self._font = QFont(FONT_FAMILY)
        self._text_w = 0.0

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor("#101828"))
        if not self.content or rect.height() < 4:
            return
        px = max(8, int(rect.height() * 0.6))
        key = (px, self.content)
        if key != self._font_key:
            self._font = QFont(FONT_FAMILY)
            self._font.setBold(True)
            self._font.setPixelSize(px)
            self._text_w = QFontMetricsF(self._font).horizontalAdvance(
                self.content + self.SEPARATOR)
            self._font_key = key
        speed_px_s = max(60.0, rect.height() * 1.6)
        travel = self._text_w + rect.width()
        x = rect.right() - (self.elapsed_s() * speed_px_s) % travel
        painter.setFont(self._font)
        painter.setPen(WHITE)
        flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        while x < rect.right():
            painter.drawText(QRectF(x, rect.y(), self._text_w + 4, rect.height()), flags,
                             self.content + self.SEPARATOR)
            x += self._text_w


class CrossfadeVisual(Visual):
    """Paints ``old`` and, on top, ``new`` with opacity ``progress()`` (0..1)."""

    frame_interval_ms = 33

    def __init__(self, old: Visual, new: Visual, progress: Callable[[], float]) -> None:
        self.old = old
        self.new = new
        self.progress = progress

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        amount = min(1.0, max(0.0, self.progress()))
        if amount < 1.0:
            self.old.paint(painter, rect)
        painter.save()
        painter.setOpacity(amount)
        self.new.paint(painter, rect)
        painter.restore()


class SafeAreaVisual(Visual):
    """Paints ``inner`` between the strips drawn over the zone (their bands filled with ``background``)."""

    def __init__(self, inner: Visual, top: float, bottom: float, background: QColor) -> None:
        self.inner = inner
        self.top = top
        self.bottom = bottom
        self.background = background
        self.frame_interval_ms = inner.frame_interval_ms

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, self.background)
        self.inner.paint(painter, rect.adjusted(0, rect.height() * self.top, 0, -rect.height() * self.bottom))
