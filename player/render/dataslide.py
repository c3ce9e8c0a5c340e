"""Native data slides: paints a :mod:`player.render.dataslide_layout` layout with QPainter, nothing more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from player.render.dataslide_layout import (
    Layout,
    Rect,
    layout_prayer,
    layout_stat,
    layout_strip,
    prayer_strip_parts,
    weather_strip_parts,
)
from player.render.visuals import FONT_FAMILY, Visual
from signage.clock import zone as kemenag_zone
from signage.dataslide import PrayerSlide, StatSlide, parse_prayer, parse_stat
from signage.manifest import Item
from signage.prayer import kemenag_times

ALIGN = {
    "left": Qt.AlignmentFlag.AlignLeft,
    "center": Qt.AlignmentFlag.AlignHCenter,
    "right": Qt.AlignmentFlag.AlignRight,
}


class QtMeasure:
    """Text widths with the fonts the slide is painted with (cached per size)."""

    def __init__(self, family: str = FONT_FAMILY) -> None:
        self.family = family
        self._metrics: dict[tuple[int, bool], QFontMetricsF] = {}

    def font(self, px: int, bold: bool) -> QFont:
        font = QFont(self.family)
        font.setPixelSize(max(1, px))
        font.setBold(bold)
        return font

    def __call__(self, text: str, px: int, bold: bool) -> float:
        key = (px, bold)
        if key not in self._metrics:
            self._metrics[key] = QFontMetricsF(self.font(px, bold))
        return self._metrics[key].horizontalAdvance(text)


def paint_layout(painter: QPainter, rect: QRectF, layout: Layout, measure: QtMeasure) -> None:
    painter.save()
    painter.translate(rect.topLeft())
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    for op in layout.ops:
        if isinstance(op, Rect):
            painter.fillRect(QRectF(op.x, op.y, op.w, op.h), QColor(op.color))
            continue
        painter.setFont(measure.font(op.px, op.bold))
        painter.setPen(QColor(op.color))
        flags = int(ALIGN[op.align] | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine)
        painter.drawText(QRectF(op.x, op.y, op.w, op.h), flags, op.text)
    painter.restore()


class CachedLayoutVisual(Visual):
    """A visual painted from a layout made once per zone size and ``key`` (checked each minute), not on every
    paint (a crossfade paints 30 times a second)."""

    frame_interval_ms = 60_000

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.measure = QtMeasure()
        self._cache: tuple[tuple[int, int, object], Layout] | None = None
        self.layouts_made = 0

    def key(self, now: datetime) -> object:
        """What, besides the zone size, makes a new layout."""
        raise NotImplementedError

    def make_layout(self, width: int, height: int, now: datetime) -> Layout:
        raise NotImplementedError

    def layout(self, width: int, height: int) -> Layout:
        now = self.clock()
        key = (width, height, self.key(now))
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self.make_layout(width, height, now))
            self.layouts_made += 1
        return self._cache[1]

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        if rect.width() < 8 or rect.height() < 8:
            return
        paint_layout(painter, rect, self.layout(int(rect.width()), int(rect.height())), self.measure)


def minute_of(moment: datetime) -> int:
    """Minutes since the epoch: layouts that show the time (to the minute) are re-made once per minute."""
    return int(moment.timestamp() // 60)


class DataSlideVisual(CachedLayoutVisual):
    """A ``stat`` item. Re-lays out when the zone size changes or the data turns stale (checked each minute)."""

    def __init__(self, slide: StatSlide, clock: Callable[[], datetime], timezone: str) -> None:
        super().__init__(clock)
        self.slide = slide
        self.timezone = timezone

    def key(self, now: datetime) -> object:
        return self.slide.is_stale(now)

    def make_layout(self, width: int, height: int, now: datetime) -> Layout:
        return layout_stat(self.slide, width, height, now, self.timezone, self.measure)


class PrayerVisual(CachedLayoutVisual):
    """Today's prayer times for the display's coordinates, computed on the player (no network).
    Laid out once per minute and zone size."""

    def __init__(self, slide: PrayerSlide, clock: Callable[[], datetime], timezone: str) -> None:
        super().__init__(clock)
        self.slide = slide
        self.timezone = timezone

    def key(self, now: datetime) -> object:
        return minute_of(now)

    def make_layout(self, width: int, height: int, now: datetime) -> Layout:
        local_day = now.astimezone(kemenag_zone(self.timezone)).date()
        day = kemenag_times(self.slide.latitude, self.slide.longitude, local_day, self.timezone)
        return layout_prayer(day, self.slide.place, width, height, now, self.timezone, self.measure)


class StripVisual(CachedLayoutVisual):
    """An overlay strip (prayer times, weather) whose parts depend on the time; re-laid out each minute
    (and when the zone's size changes)."""

    def __init__(self, parts: Callable[[datetime], list[tuple[str, str]]], clock: Callable[[], datetime]) -> None:
        super().__init__(clock)
        self.parts = parts

    def key(self, now: datetime) -> object:
        return minute_of(now)

    def make_layout(self, width: int, height: int, now: datetime) -> Layout:
        return layout_strip(self.parts(now), width, height, self.measure)


def prayer_strip(slide: PrayerSlide, clock: Callable[[], datetime], timezone: str) -> StripVisual:
    def parts(now: datetime) -> list[tuple[str, str]]:
        day = kemenag_times(slide.latitude, slide.longitude, now.astimezone(kemenag_zone(timezone)).date(), timezone)
        return prayer_strip_parts(day, slide.place, now)

    return StripVisual(parts, clock)


def weather_strip(slide: StatSlide, clock: Callable[[], datetime], timezone: str) -> StripVisual:
    return StripVisual(lambda now: weather_strip_parts(slide, now, timezone), clock)


def data_visual(item: Item, *, clock: Callable[[], datetime], timezone: str, overlay: bool) -> Visual:
    """The visual of a ``stat`` or ``prayer`` item: a full slide, or a one-line strip in an overlay zone.
    ValueError (naming the data field) when the item's data is malformed."""
    if item.type == "prayer":
        prayer = parse_prayer(item.data)
        return prayer_strip(prayer, clock, timezone) if overlay else PrayerVisual(prayer, clock, timezone)
    slide = parse_stat(item.data)
    if overlay and slide.slide == "weather":
        return weather_strip(slide, clock, timezone)
    return DataSlideVisual(slide, clock, timezone)
