"""ZonePresenter: turns runner cues into visuals for one zone.

* Owns the video decoders: a new clip is painted over a still of the previous
  visual until its first frame arrives, and the next clip can be preloaded
  (paused on its first frame) while the current item plays.
* Crossfades between visuals (``transition_ms``), except to/from black.
* Reports an item that cannot be shown (``itemFailed``) so the runner skips it;
  meanwhile the zone shows the item's title, never nothing.
* Drives repaints of animated visuals (clock every second, ticker ~30 fps).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from player.render.items import idle_visual, placeholder_for, still_visual
from player.render.video import VideoSource, VideoVisual
from player.render.visuals import (
    BlackVisual,
    CrossfadeVisual,
    EmptyVisual,
    EnrolVisual,
    ImageVisual,
    Visual,
)
from player.runner import Cue
from signage.manifest import Item, MediaRef

log = logging.getLogger("player.render")

TRANSITION_MS = 400
FADE_FRAME_MS = 33


class ZonePresenter(QObject):
    changed = Signal()
    itemFailed = Signal(str, str)  # item id, reason
    _failure = Signal(str, str)  # queued, so a failure never re-enters the runner

    def __init__(
        self,
        zone_id: str,
        media_path: Callable[[MediaRef], Path],
        clock: Callable[[], datetime],
        timezone: str,
        language: str = "id",
        *,
        overlay: bool = False,
        transition_ms: int = TRANSITION_MS,
        monotonic_s: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.zone_id = zone_id
        self.media_path = media_path
        self.clock = clock
        self.timezone = timezone
        self.language = language
        self.overlay = overlay
        self.transition_ms = transition_ms
        self.monotonic_s = monotonic_s
        self.cue: Cue | None = None
        self.safe_area: tuple[float, float] = (0.0, 0.0)  # strips over this zone (top, bottom), see compose
        self.target: Visual = self._idle_visual()
        self._fade: CrossfadeVisual | None = None
        self._fade_start_s = 0.0
        self._preloaded: tuple[tuple[str, str], VideoSource] | None = None
        self._frame_timer = QTimer(self)
        self._frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._frame_timer.timeout.connect(self._on_frame_tick)
        self._failure.connect(self.itemFailed, Qt.ConnectionType.QueuedConnection)

    # -- what is painted ---------------------------------------------------

    @property
    def visual(self) -> Visual:
        return self._fade if self._fade is not None else self.target

    @property
    def video(self) -> VideoSource | None:
        return self.target.source if isinstance(self.target, VideoVisual) else None

    @property
    def fading(self) -> bool:
        return self._fade is not None

    # -- commands ------------------------------------------------------------

    def show_enrolment(self, code: str, server: str, status: str) -> None:
        self.cue = None
        self._set_visual(EnrolVisual(code, server, status, self.language), fade=False)

    def show_slate(self) -> None:
        self.cue = None
        self._set_visual(self._idle_visual())

    def show_cue(self, cue: Cue) -> None:
        self.cue = cue
        if cue.state == "off":
            self._set_visual(EmptyVisual() if self.overlay else BlackVisual(), fade=False)
        elif cue.item is None:
            self._set_visual(self._idle_visual())
        else:
            self._set_visual(self._visual_for(cue))

    def take_over(self, previous: ZonePresenter) -> None:
        """Start from a still of what ``previous`` shows (a rebuilt presenter must not flash)."""
        self.cue = previous.cue
        self.target = previous._still_of(previous.target)
        self.changed.emit()

    def preload(self, cue: Cue | None) -> None:
        """Open the next cue's clip now, paused on its first frame."""
        item = cue.item if cue is not None else None
        if item is None or item.type != "video" or item.media is None:
            return
        key = (item.id, item.media.sha256)
        if self._preloaded is not None:
            if self._preloaded[0] == key:
                return
            self._preloaded[1].release()
        source = VideoSource(self.media_path(item.media), item.duration_s, 0.0, self)
        source.prime()
        self._preloaded = (key, source)
        log.debug("preloading video item %s", item.id)

    def shutdown(self) -> None:
        self._frame_timer.stop()
        if self.video is not None:
            self.video.release()
        if self._preloaded is not None:
            self._preloaded[1].release()
            self._preloaded = None
        self._fade = None
        self.target = BlackVisual()

    # -- internals -----------------------------------------------------------

    def _idle_visual(self) -> Visual:
        return idle_visual(self.clock, self.timezone, self.language, overlay=self.overlay)

    def _fail(self, item: Item, reason: str) -> None:
        log.warning("item %s (%s) cannot be shown: %s", item.id, item.type, reason)
        self._failure.emit(item.id, reason)

    def _visual_for(self, cue: Cue) -> Visual:
        item = cue.item
        assert item is not None
        if item.type == "video" and item.media is not None:
            return self._video_visual(cue, item)
        start_s = self.monotonic_s()
        made = still_visual(item, media_path=self.media_path, clock=self.clock, timezone=self.timezone,
                            language=self.language, overlay=self.overlay,
                            elapsed_s=lambda: self.monotonic_s() - start_s, safe_area=self.safe_area)
        if made.failure is not None:
            self._fail(item, made.failure)
        return made.visual

    def _video_visual(self, cue: Cue, item: Item) -> Visual:
        assert item.media is not None
        placeholder = placeholder_for(item)
        path = self.media_path(item.media)
        if not path.is_file():
            self._fail(item, f"media {item.media.sha256[:12]} is not in the cache")
            return placeholder
        offset_s = 0.0
        if cue.start is not None:
            offset_s = max(0.0, (self.clock() - cue.start).total_seconds())
        source = self._take_preloaded(item)
        if source is None:
            source = VideoSource(path, item.duration_s, offset_s, self)
        else:
            source.start_offset_s = offset_s
        underlay = None if source.has_frame else self._still_of(self.target)
        return VideoVisual(source, underlay=underlay, placeholder=placeholder)

    def _take_preloaded(self, item: Item) -> VideoSource | None:
        if self._preloaded is None or item.media is None:
            return None
        key, source = self._preloaded
        self._preloaded = None
        if key == (item.id, item.media.sha256):
            return source
        source.release()
        return None

    def _still_of(self, visual: Visual) -> Visual:
        """A visual that keeps showing ``visual`` after its decoder is released."""
        if isinstance(visual, CrossfadeVisual):
            visual = visual.new
        if isinstance(visual, VideoVisual):
            if visual.source.last_frame is not None:
                return ImageVisual(visual.source.last_frame)
            return visual.underlay or visual.placeholder or BlackVisual()
        return visual

    def _set_visual(self, visual: Visual, *, fade: bool = True) -> None:
        old = self.target
        old_source = self.video
        fade = (
            fade
            and self.transition_ms > 0
            and not isinstance(old, BlackVisual | EmptyVisual | EnrolVisual)
            and not isinstance(visual, BlackVisual | EmptyVisual)
        )
        if fade:
            self._fade = CrossfadeVisual(self._still_of(old), visual, self._fade_progress)
            self._fade_start_s = self.monotonic_s()
        else:
            self._fade = None
        self.target = visual
        if old_source is not None:
            old_source.release()
        if isinstance(visual, VideoVisual):
            source = visual.source
            source.frameChanged.connect(self.changed)
            source.failed.connect(self._on_video_failed)
            source.begin()
        self._arm_frame_timer()
        self.changed.emit()

    def _fade_progress(self) -> float:
        return (self.monotonic_s() - self._fade_start_s) * 1000 / max(1, self.transition_ms)

    def _arm_frame_timer(self) -> None:
        intervals = [self.target.frame_interval_ms]
        if self._fade is not None:
            intervals.append(FADE_FRAME_MS)
        active = [i for i in intervals if i > 0]
        if not active:
            self._frame_timer.stop()
        elif self._frame_timer.interval() != min(active) or not self._frame_timer.isActive():
            self._frame_timer.start(min(active))

    @Slot()
    def _on_frame_tick(self) -> None:
        if self._fade is not None and self._fade_progress() >= 1.0:
            self._fade = None
            self._arm_frame_timer()
        self.changed.emit()

    @Slot(str)
    def _on_video_failed(self, message: str) -> None:
        item = self.cue.item if self.cue is not None else None
        if item is not None:
            self._fail(item, f"video failed: {message}")
