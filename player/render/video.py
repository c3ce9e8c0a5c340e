"""Video decoding: QMediaPlayer -> QVideoSink -> last good frame, converted when painted.

A decoded frame is kept as it arrives (YUV, no conversion); the canvas paints
it through :meth:`VideoSource.image_at`, which converts only the frames that
are painted, straight to the zone's size (libswscale, see
:mod:`player.render.frameconvert`; ``QVideoFrame.toImage()`` + a smooth scale
when that cannot). The FFmpeg backend sends an empty frame at end of media
(and on stop); those are ignored, so the zone keeps showing the last good frame
instead of black. The clip loops when its item lasts longer than the clip. No
audio output is attached: LED videotrons run silent.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QImage, QPainter
from PySide6.QtMultimedia import QMediaPlayer, QtVideo, QVideoFrame, QVideoFrameFormat, QVideoSink

from player.render.frameconvert import FrameConverter
from player.render.visuals import TEXT_BG, Visual, draw_centred, fitted_size

log = logging.getLogger("player.video")

#: Loop only when the item outlasts the clip by more than this.
LOOP_MARGIN_S = 0.5


def _display_size(frame: QVideoFrame) -> tuple[int, int]:
    """The frame's width and height as shown: swapped when its surface format turns it by 90 or 270 degrees."""
    if frame.surfaceFormat().rotation() in (QtVideo.Rotation.Clockwise90, QtVideo.Rotation.Clockwise270):
        return frame.height(), frame.width()
    return frame.width(), frame.height()


class VideoSource(QObject):
    frameChanged = Signal()
    failed = Signal(str)
    firstFrame = Signal()

    def __init__(
        self,
        path: Path,
        item_duration_s: float,
        start_offset_s: float = 0.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.item_duration_s = item_duration_s
        self.start_offset_s = start_offset_s
        self._frame: QVideoFrame | None = None  # the last good decoded frame, until frozen
        self._still: QImage | None = None  # that frame at its own size, converted on demand
        self._shown: tuple[int, QSize, QImage] | None = None  # (frame number, size, image) last painted
        self._converter = FrameConverter()
        self.frames_seen = 0
        self.frozen = False
        self.ended = False
        self.primed = False
        self._player = QMediaPlayer(self)
        self._sink = QVideoSink(self)
        self._player.setVideoSink(self._sink)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._sink.videoFrameChanged.connect(self._on_frame)
        self._player.durationChanged.connect(self._on_duration)
        self._player.errorOccurred.connect(self._on_error)
        self._player.mediaStatusChanged.connect(self._on_status)

    def prime(self) -> None:
        """Open the clip paused, so its first frame is decoded before it is shown."""
        self.primed = True
        self._player.setSource(QUrl.fromLocalFile(str(self.path)))
        self._player.pause()

    def begin(self) -> None:
        """Play from ``start_offset_s`` (opening the clip unless it was primed)."""
        if not self.primed:
            self._player.setSource(QUrl.fromLocalFile(str(self.path)))
        else:
            self._seek_to_offset(self._player.duration())
        self._player.play()

    def start(self) -> None:
        self.begin()

    def freeze(self) -> None:
        """Stop decoding but keep the last good frame for painting (as an image: the decoder's buffer goes)."""
        if not self.frozen:
            self.frozen = True
            self._still = self.last_frame
            self._frame = None
            self._converter.close()
        self._player.stop()

    def release(self) -> None:
        self.freeze()
        self._player.setSource(QUrl())
        self.deleteLater()

    @property
    def is_playing(self) -> bool:
        return self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    @property
    def has_frame(self) -> bool:
        return self._frame is not None or self._still is not None

    @property
    def last_frame(self) -> QImage | None:
        """The last good frame at the clip's own size (stills, screenshots of a released clip)."""
        if self._still is None and self._frame is not None:
            frame = self._frame
            image = self._converter.convert(frame, frame.width(), frame.height())
            self._still = image if image is not None else self._to_image(frame)
        return self._still

    def image_at(self, zone: QSize) -> QImage | None:
        """The last good frame at the size it is shown in ``zone`` (cached: a repaint converts nothing)."""
        if self._frame is None:
            still = self._still
            if still is None or still.isNull():
                return None
            shown = fitted_size(still.width(), still.height(), zone)
            if still.size() == shown:
                return still
            size_key = QSize(shown)
        else:
            shown = fitted_size(*_display_size(self._frame), zone)
            size_key = shown
        if self._shown is not None and self._shown[0] == self.frames_seen and self._shown[1] == size_key:
            return self._shown[2]
        image = self._convert(shown)
        if image is None or image.isNull():
            return None
        self._shown = (self.frames_seen, size_key, image)
        return image

    def _convert(self, shown: QSize) -> QImage | None:
        if shown.isEmpty():
            return None
        frame = self._frame
        if frame is not None:
            image = self._converter.convert(frame, shown.width(), shown.height(), reuse=True)
            if image is not None:
                return image
        source = self.last_frame  # fallback: Qt's conversion, then a smooth scale
        if source is None or source.isNull():
            return None
        if source.size() == shown:
            return source
        return source.scaled(shown, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)

    @staticmethod
    def _to_image(frame: QVideoFrame) -> QImage | None:
        image = frame.toImage()
        return None if image.isNull() else image

    @Slot(QVideoFrame)
    def _on_frame(self, frame: QVideoFrame) -> None:
        if self.frozen or not frame.isValid() or frame.size().isEmpty():
            return  # end of media / stop: keep the last good frame
        if frame.pixelFormat() == QVideoFrameFormat.PixelFormat.Format_Invalid:
            return
        self._frame = QVideoFrame(frame)
        self._still = None
        self.frames_seen += 1
        if self.frames_seen == 1:
            self.firstFrame.emit()
        self.frameChanged.emit()

    @Slot("qlonglong")
    def _on_duration(self, duration_ms: int) -> None:
        if duration_ms <= 0:
            return
        clip_s = duration_ms / 1000
        looping = self.item_duration_s > clip_s + LOOP_MARGIN_S
        if looping:
            self._player.setLoops(QMediaPlayer.Loops.Infinite)
        log.debug("video %s: clip %.1f s, item %.1f s, loop=%s",
                  self.path.name[:12], clip_s, self.item_duration_s, looping)
        if not self.primed:
            self._seek_to_offset(duration_ms)

    def _seek_to_offset(self, duration_ms: int) -> None:
        """Join a play already in progress (the player started mid-item)."""
        if duration_ms <= 0 or self.start_offset_s <= LOOP_MARGIN_S:
            return
        clip_s = duration_ms / 1000
        looping = self.item_duration_s > clip_s + LOOP_MARGIN_S
        offset_s = self.start_offset_s % clip_s if looping else self.start_offset_s
        if LOOP_MARGIN_S < offset_s < clip_s:
            self._player.setPosition(int(offset_s * 1000))

    @Slot(QMediaPlayer.Error, str)
    def _on_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if error == QMediaPlayer.Error.NoError:
            return
        log.warning("video %s failed: %s", self.path.name[:12], message or error.name)
        self.failed.emit(message or error.name)

    @Slot(QMediaPlayer.MediaStatus)
    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.ended = True
            log.debug("video %s reached its end; holding the last frame", self.path.name[:12])
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            log.warning("video %s is not playable", self.path.name[:12])
            self.failed.emit("invalid media")



class VideoVisual(Visual):
    """Paints the source's last good frame; until the first frame, the previous visual.

    Keeping the previous visual (often the previous video's last frame) as an
    underlay avoids a flash of black or blue between two clips.
    """

    def __init__(self, source: VideoSource, underlay: Visual | None = None,
                 placeholder: Visual | None = None) -> None:
        self.source = source
        self.underlay = underlay
        self.placeholder = placeholder

    @property
    def opaque(self) -> bool:
        return self.source.has_frame  # a frame fills the zone, with black bars if letterboxed

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        image = self.source.image_at(rect.size().toSize()) if not rect.isEmpty() else None
        if image is not None:
            self.underlay = None  # release the previous clip
            draw_centred(painter, rect, image)
            return
        if self.opaque:  # a frame neither libswscale nor Qt could convert: keep the promise of no stale pixels
            painter.fillRect(rect, TEXT_BG)
        if self.underlay is not None:
            self.underlay.paint(painter, rect)
        elif self.placeholder is not None:
            self.placeholder.paint(painter, rect)
        else:
            painter.fillRect(rect, TEXT_BG)
