"""A day's contact sheet: one tile per timeline entry of the main zone, in order.

An *entry* is an item's first play within a run of one segment's loop (a
loop of five posters from 07.00 to 11.00 is five tiles, each labelled with
its first start and how often it repeats), or a state change (screen off,
slate). Tiles are frames of the real renderer, scaled down.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from player.preview.frames import FrameRenderer
from player.render.presenter import TRANSITION_MS
from player.runner import Cue
from player.texts import text
from signage.clock import zone as tz_zone
from signage.manifest import Manifest
from signage.timefmt import format_date_long, format_time

MAX_TILES = 400
TILE_W = 320
LABEL_H = 44
COLUMNS = 5
GAP = 8
HEADER_H = 56
#: The tile shows its item this far in (past the crossfade, at most half the item).
TILE_INTO_S = TRANSITION_MS / 1000 + 0.6


@dataclass
class Entry:
    start: datetime
    until: datetime
    state: str  # playing | off | slate
    item_id: str | None
    title: str
    layer_why: str
    plays: int = 1

    def frame_at(self) -> datetime:
        span_s = (self.until - self.start).total_seconds()
        return self.start + timedelta(seconds=min(TILE_INTO_S, span_s / 2))


def day_bounds(manifest: Manifest, day: date) -> tuple[datetime, datetime]:
    tz = tz_zone(manifest.timezone)
    start = datetime.combine(day, time(0, 0), tz)
    return start, datetime.combine(day + timedelta(days=1), time(0, 0), tz)


def day_manifest(manifest: Manifest, start: datetime, end: datetime) -> Manifest:
    """``manifest`` with only the segments that touch [start, end) (decisions then stay cheap)."""
    return replace(manifest, timeline=tuple(s for s in manifest.timeline if s.end > start and s.start < end))


def entries_of_day(renderer: FrameRenderer, day: date, limit: int = MAX_TILES) -> tuple[list[Entry], bool]:
    """The day's entries in order, and whether more than ``limit`` existed."""
    start, end = day_bounds(renderer.manifest, day)
    narrowed = FrameRenderer(day_manifest(renderer.manifest, start, end), renderer.media_path,
                             renderer.language, renderer.stills)
    entries: list[Entry] = []
    run_key: tuple[object, ...] | None = None
    run: dict[str, Entry] = {}
    moment = start
    truncated = False
    while moment < end:
        cue = narrowed.main_cue(moment)
        until = min(cue.until or end, end)
        if until <= moment:
            until = moment + timedelta(seconds=1)
        key = (cue.state, cue.loop or (cue.item.id if cue.item else None), cue.why)
        if key != run_key:
            run_key, run = key, {}
        item_key = cue.item.id if cue.item is not None else cue.state
        if item_key in run:
            run[item_key].plays += 1
            run[item_key].until = until
        elif len(entries) >= limit:
            truncated = True
            break
        else:
            entry = _entry(cue, moment, until)
            run[item_key] = entry
            entries.append(entry)
        moment = until
    return entries, truncated


def _entry(cue: Cue, moment: datetime, until: datetime) -> Entry:
    title = ""
    if cue.item is not None:
        title = cue.item.title or (cue.item.text or {}).get("title") or cue.item.id
    return Entry(moment, until, cue.state, cue.item.id if cue.item else None, str(title), cue.why)


def contact_sheet(
    renderer: FrameRenderer, day: date, language: str = "id", title: str | None = None
) -> tuple[QImage, list[Entry]]:
    """The day's sheet; ``title`` heads it (the display's name; default its id)."""
    entries, truncated = entries_of_day(renderer, day)
    width, height = renderer.size
    tile_h = max(1, round(TILE_W * height / width))
    rows = max(1, -(-len(entries) // COLUMNS))
    sheet_w = COLUMNS * TILE_W + (COLUMNS + 1) * GAP
    sheet_h = HEADER_H + rows * (tile_h + LABEL_H + GAP) + GAP + (30 if truncated else 0)
    sheet = QImage(sheet_w, sheet_h, QImage.Format.Format_RGB32)
    sheet.fill(QColor("#eef1f5"))
    painter = QPainter(sheet)
    try:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        start, day_end = day_bounds(renderer.manifest, day)
        header = QFont("DejaVu Sans")
        header.setPixelSize(22)
        header.setBold(True)
        painter.setFont(header)
        painter.setPen(QColor("#0b3d6e"))
        painter.drawText(QRectF(GAP, 0, sheet_w - 2 * GAP, HEADER_H), int(Qt.AlignmentFlag.AlignVCenter),
                         f"{title or renderer.manifest.display_id} · "
                         f"{format_date_long(start, renderer.manifest.timezone, language)} · "
                         f"{len(entries)} {text(language, 'sheet_entries')}")
        label = QFont("DejaVu Sans")
        label.setPixelSize(14)
        for index, entry in enumerate(entries):
            col, row = index % COLUMNS, index // COLUMNS
            x = GAP + col * (TILE_W + GAP)
            y = HEADER_H + row * (tile_h + LABEL_H + GAP)
            frame = renderer.frame(entry.frame_at())
            painter.drawImage(QRectF(x, y, TILE_W, tile_h), frame)
            painter.fillRect(QRectF(x, y + tile_h, TILE_W, LABEL_H), QColor("#ffffff"))
            painter.setFont(label)
            painter.setPen(QColor("#102030"))
            when = format_time(entry.start, renderer.manifest.timezone, language)
            if entry.plays > 1:
                until = format_time(entry.until, renderer.manifest.timezone, language)
                if entry.until >= day_end:  # the run lasts to midnight: "24.00", not "00.00"
                    until = "24.00" + until[5:] if language == "id" else "24:00" + until[5:]
                when = f"{when.rsplit(' ', 1)[0]}–{until}"
            name = entry.title if entry.state == "playing" else text(language, f"sheet_{entry.state}")
            repeat = f" · {entry.plays}×" if entry.plays > 1 else ""
            painter.drawText(QRectF(x + 6, y + tile_h + 2, TILE_W - 12, LABEL_H - 4),
                             int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap),
                             f"{when}{repeat}\n{name}")
        if truncated:
            painter.drawText(QRectF(GAP, sheet_h - 30, sheet_w, 30), int(Qt.AlignmentFlag.AlignVCenter),
                             text(language, "sheet_truncated", n=str(MAX_TILES)))
    finally:
        painter.end()
    return sheet, entries
