"""ZonePresenter: turns runner cues into visuals for one zone.

Owns the lifetime of video decoders: a new clip is painted on top of a still
of the previous visual until its first frame arrives (no black flash), and the
previous decoder is released at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from player.render.video import VideoSource, VideoVisual
from player.render.visuals import (
    BlackVisual,
    EnrolVisual,
    ImageVisual,
    SlateVisual,
    TextVisual,
    Visual,
)
from player.runner import Cue
from signage.manifest import Item, MediaRef

log = logging.getLogger("player.render")


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


class ZonePresenter(QObject):
    changed = Signal()
    videoFailed = Signal(str, str)  # item id, message

    def __init__(
        self,
        zone_id: str,
        media_path: Callable[[MediaRef], Path],
        clock: Callable[[], datetime],
        timezone: str,
        language: str = "id",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.zone_id = zone_id
        self.media_path = media_path
        self.clock = clock
        self.timezone = timezone
        self.language = language
        self.visual: Visual = SlateVisual(clock, timezone, language)
        self.cue: Cue | None = None

    @property
    def video(self) -> VideoSource | None:
        return self.visual.source if isinstance(self.visual, VideoVisual) else None

    def show_enrolment(self, code: str, server: str, status: str) -> None:
        self.cue = None
        self._set_visual(EnrolVisual(code, server, status, self.language))

    def show_slate(self) -> None:
        self.cue = None
        self._set_visual(SlateVisual(self.clock, self.timezone, self.language))

    def show_cue(self, cue: Cue) -> None:
        self.cue = cue
        if cue.state == "off":
            self._set_visual(BlackVisual())
        elif cue.item is None:
            self._set_visual(SlateVisual(self.clock, self.timezone, self.language))
        else:
            self._set_visual(self._visual_for(cue))

    def tick(self) -> None:
        """Once a second: repaint animated visuals (clocks)."""
        if self.visual.animated:
            self.changed.emit()

    def shutdown(self) -> None:
        if self.video is not None:
            self.video.release()
        self.visual = BlackVisual()

    def _visual_for(self, cue: Cue) -> Visual:
        item = cue.item
        assert item is not None
        title, body = item_text(item)
        placeholder = TextVisual(title or item.id, body)
        if item.type == "image" and item.media is not None:
            path = self.media_path(item.media)
            image = QImage(str(path))
            if image.isNull():
                log.warning("image item %s cannot be decoded (%s); showing its title",
                            item.id, path.name[:12])
                return placeholder
            return ImageVisual(image)
        if item.type == "video" and item.media is not None:
            offset_s = 0.0
            if cue.start is not None:
                offset_s = max(0.0, (self.clock() - cue.start).total_seconds())
            source = VideoSource(self.media_path(item.media), item.duration_s, offset_s, self)
            return VideoVisual(source, underlay=self._underlay(), placeholder=placeholder)
        if item.type == "clock":
            return SlateVisual(self.clock, self.timezone, self.language)
        return placeholder

    def _underlay(self) -> Visual | None:
        """What to paint under a new clip until its first frame: a still of the old one."""
        old = self.visual
        if isinstance(old, VideoVisual):
            if old.source.last_frame is not None:
                return ImageVisual(old.source.last_frame)
            return old.underlay or old.placeholder
        return old

    def _set_visual(self, visual: Visual) -> None:
        old_source = self.video
        self.visual = visual
        if old_source is not None:
            old_source.release()
        if isinstance(visual, VideoVisual):
            source = visual.source
            source.frameChanged.connect(self.changed)
            source.failed.connect(self._on_video_failed)
            source.start()
        self.changed.emit()

    @Slot(str)
    def _on_video_failed(self, message: str) -> None:
        item_id = self.cue.item.id if self.cue and self.cue.item else "?"
        self.videoFailed.emit(item_id, message)
