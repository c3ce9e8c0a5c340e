"""A video's frame at an offset, decoded by ffmpeg (the preview cannot wait for a live decoder).

Frames are cached per (file, offset rounded to 1/25 s). If seeking fails the
first frame (poster) is used; if the file cannot be decoded at all, None.
"""

from __future__ import annotations

import logging
import subprocess
from collections import OrderedDict
from pathlib import Path

from PySide6.QtGui import QImage

log = logging.getLogger("player.preview")

FRAME_STEP_S = 0.04
CACHE_FRAMES = 64
FFMPEG_TIMEOUT_S = 30


class VideoStills:
    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, int], QImage | None] = OrderedDict()

    def frame(self, path: Path, offset_s: float) -> QImage | None:
        step = max(0, round(offset_s / FRAME_STEP_S))
        key = (str(path), step)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        image = _decode(path, step * FRAME_STEP_S)
        if image is None and step:
            image = _decode(path, 0.0)  # the poster frame
        self._cache[key] = image
        while len(self._cache) > CACHE_FRAMES:
            self._cache.popitem(last=False)
        return image


def _decode(path: Path, offset_s: float) -> QImage | None:
    if not path.is_file():
        return None
    command = ["ffmpeg", "-v", "error", "-nostdin", "-ss", f"{offset_s:.3f}", "-i", str(path),
               "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("cannot decode a frame of %s: %s", path.name, exc)
        return None
    image = QImage()
    if done.returncode != 0 or not done.stdout or not image.loadFromData(done.stdout, "PNG"):
        return None
    return image
