"""The visual for one manifest item: shared by the live presenter and the preview renderer.

Videos are the exception: the live presenter plays them with a decoder
(:mod:`player.render.video`); the preview shows the frame at that moment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from player.render.dataslide import data_visual
from player.render.dataslide_layout import BG_DARK as DATA_BACKGROUND
from player.render.visuals import (
    ClockStripVisual,
    EmptyVisual,
    ImageVisual,
    SafeAreaVisual,
    SlateVisual,
    TextVisual,
    TickerVisual,
    Visual,
)
from signage.manifest import Item, MediaRef


@dataclass(frozen=True)
class ItemVisual:
    visual: Visual
    failure: str | None = None  # why the item's own content could not be shown (placeholder instead)


def item_text(item: Item) -> tuple[str, str]:
    """(title, body) for text-like items; data items are summarised as lines."""
    text = item.text or {}
    title = str(text.get("title") or item.title or "")
    body = str(text.get("body") or "")
    if not body and item.data:
        lines = []
        for key, value in item.data.items():
            shown = value if isinstance(value, str | int | float) else json.dumps(value)
            lines.append(f"{key}: {shown}")
        body = "\n".join(lines[:8])
    return title, body


def ticker_text(item: Item) -> str:
    """A ticker's line: data.items joined with bullets, else text body/title, else title."""
    data = item.data or {}
    entries = data.get("items")
    if isinstance(entries, list) and entries:
        return "   •   ".join(str(e) for e in entries)
    title, body = item_text(item)
    return " — ".join(part for part in (title, body) if part)


def placeholder_for(item: Item) -> Visual:
    title, body = item_text(item)
    return TextVisual(title or item.id, body)


def idle_visual(clock: Callable[[], datetime], timezone: str, language: str, *, overlay: bool) -> Visual:
    return EmptyVisual() if overlay else SlateVisual(clock, timezone, language)


def still_visual(
    item: Item,
    *,
    media_path: Callable[[MediaRef], Path],
    clock: Callable[[], datetime],
    timezone: str,
    language: str,
    overlay: bool,
    elapsed_s: Callable[[], float],
    safe_area: tuple[float, float] = (0.0, 0.0),
) -> ItemVisual:
    """The visual of any item but a video (whose media the caller decodes itself)."""
    if item.type == "image" and item.media is not None:
        path = media_path(item.media)
        if not path.is_file():
            return ItemVisual(placeholder_for(item), f"media {item.media.sha256[:12]} is not in the cache")
        image = QImage(str(path))
        if image.isNull():
            return ItemVisual(placeholder_for(item), f"image {item.media.sha256[:12]} cannot be decoded")
        return ItemVisual(ImageVisual(image))
    if item.type == "ticker":
        return ItemVisual(TickerVisual(ticker_text(item), elapsed_s))
    if item.type == "clock":
        if overlay:
            return ItemVisual(ClockStripVisual(clock, timezone, language))
        return ItemVisual(SlateVisual(clock, timezone, language))
    if (item.type == "stat" and item.data and "slide" in item.data) or (item.type == "prayer" and item.data):
        try:  # drawn natively: statistics, weather and prayer times (player/render/dataslide.py)
            visual = data_visual(item, clock=clock, timezone=timezone, overlay=overlay)
            if not overlay and any(safe_area):  # keep titles and the data's age out from under the strips
                visual = SafeAreaVisual(visual, *safe_area, QColor(DATA_BACKGROUND))
            return ItemVisual(visual)
        except ValueError as exc:
            return ItemVisual(placeholder_for(item), str(exc))
    return ItemVisual(placeholder_for(item))
