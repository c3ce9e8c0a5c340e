"""Compose one frame: every zone's visual, clipped to its rectangle, rotated for the panel.

The player's canvas and the preview renderer both paint through
:func:`paint_zones`, so a preview is the same pixels as the screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from player.render.visuals import Visual
from signage.manifest import Zone

T = TypeVar("T")


def logical_size(out_w: int, out_h: int, rotation: int) -> tuple[int, int]:
    """The content's size for an output of ``out_w`` x ``out_h`` turned by ``rotation`` degrees."""
    return (out_h, out_w) if rotation in (90, 270) else (out_w, out_h)




def strip_insets(zones: Iterable[Zone]) -> tuple[float, float]:
    """(top, bottom) fractions of the screen covered by strips drawn over the main zone (clock, ticker...)."""
    top = bottom = 0.0
    for zone in zones:
        if zone.id == "main" or zone.h >= 0.5:
            continue  # the main zone itself, or a side column
        if zone.y <= 0.05:
            top = max(top, zone.y + zone.h)
        if zone.y + zone.h >= 0.95:
            bottom = max(bottom, 1.0 - zone.y)
    return top, bottom


def shown_zones(zones: Iterable[tuple[Zone, T]], main_layer: str | None) -> list[tuple[Zone, T]]:
    """Every zone, except that an emergency in the main zone takes the whole screen (no ticker, no clock)."""
    if main_layer == "emergency":
        return [(zone, value) for zone, value in zones if zone.id == "main"]
    return list(zones)


def covers_screen(zone: Zone) -> bool:
    return zone.x <= 0 and zone.y <= 0 and zone.x + zone.w >= 1 and zone.y + zone.h >= 1


def paint_zones(
    painter: QPainter, out_w: int, out_h: int, rotation: int, zones: Iterable[tuple[Zone, Visual]]
) -> None:
    """Paint ``zones`` (lowest ``z`` first) with ``painter``, then end it.

    The frame is cleared to black first, unless a visual whose ``opaque`` is true
    covers the whole screen (a playing video: that saves a full-screen fill per
    video frame); visuals without that attribute count as not opaque.
    """
    try:
        ordered = sorted(zones, key=lambda pair: pair[0].z)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if not any(covers_screen(zone) and getattr(visual, "opaque", False) for zone, visual in ordered):
            painter.fillRect(QRectF(0, 0, out_w, out_h), QColor("#000000"))
        width, height = logical_size(out_w, out_h, rotation)
        if rotation:
            painter.translate(out_w / 2, out_h / 2)
            painter.rotate(rotation)
            painter.translate(-width / 2, -height / 2)
        for zone, visual in ordered:
            rect = QRectF(zone.x * width, zone.y * height, zone.w * width, zone.h * height)
            painter.save()
            painter.setClipRect(rect)
            visual.paint(painter, rect)
            painter.restore()
    finally:
        painter.end()


def render_image(out_w: int, out_h: int, rotation: int, zones: Iterable[tuple[Zone, Visual]]) -> QImage:
    """A new RGB32 image of ``out_w`` x ``out_h`` with ``zones`` painted into it."""
    image = QImage(out_w, out_h, QImage.Format.Format_RGB32)
    paint_zones(QPainter(image), out_w, out_h, rotation, zones)
    return image
