"""A short clip of a display's playback, encoded with ffmpeg (H.264, to send around).

Frames are the renderer's at simulated instants ``start + k * speed / fps``;
ffmpeg reads them raw on stdin.
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtGui import QImage

from player.preview.frames import FrameRenderer
from signage.errors import UserError

CLIP_FPS = 25
MAX_FRAMES = 3000  # two minutes of output


def clip_frame_times(start: datetime, end: datetime, speed: float, fps: int = CLIP_FPS) -> list[datetime]:
    if end <= start:
        raise UserError("--to must be after --from", field="to")
    if speed <= 0:
        raise UserError("--speed must be above 0 (1 = real time, 10 = ten times faster)", field="speed")
    count = int((end - start).total_seconds() * fps / speed)
    if count > MAX_FRAMES:
        raise UserError(
            f"the clip would have {count} frames (limit {MAX_FRAMES}): shorten --from/--to or raise --speed",
            field="speed",
        )
    step = timedelta(seconds=speed / fps)
    return [start + step * k for k in range(max(1, count))]


def write_clip(renderer: FrameRenderer, start: datetime, end: datetime, speed: float, out: Path) -> int:
    """Encode the clip to ``out``; returns the number of frames."""
    times = clip_frame_times(start, end, speed)
    width, height = renderer.size
    command = ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "bgra",
               "-s", f"{width}x{height}", "-r", str(CLIP_FPS), "-i", "-",
               "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-movflags", "+faststart", str(out)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors)
        assert process.stdin is not None
        try:
            with process.stdin as pipe:
                for moment in times:
                    pipe.write(_packed(renderer.frame(moment).convertToFormat(QImage.Format.Format_RGB32),
                                       width, height))
        except BrokenPipeError:
            pass  # ffmpeg stopped early: its message says why
        returncode = process.wait(timeout=600)
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if returncode != 0:
        raise UserError(f"ffmpeg could not write {out}: {message[:300]}", field="video")
    return len(times)


def _packed(frame: QImage, width: int, height: int) -> bytes:
    bits = bytes(frame.constBits())
    stride = frame.bytesPerLine()
    if stride == width * 4:
        return bits[: width * height * 4]
    return b"".join(bits[row * stride: row * stride + width * 4] for row in range(height))
