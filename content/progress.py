"""Progress reporting: ffmpeg ``-progress`` parsing and percent callbacks (pure)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

# Percent done, 0.0 to 100.0. The CLI draws a bar with it; the scheduler stores it.
ProgressCallback = Callable[[float], None]


def no_progress(_percent: float) -> None:
    """A callback that ignores updates."""


def sub_progress(progress: ProgressCallback, start: float, span: float) -> ProgressCallback:
    """Map a step's own 0-100 onto ``start``..``start + span`` of the whole job."""

    def report(percent: float) -> None:
        progress(start + span * min(100.0, max(0.0, percent)) / 100.0)

    return report


def _parse_clock(text: str) -> float | None:
    """``"00:01:02.500000"`` -> 62.5 seconds."""
    try:
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


class FfmpegProgress:
    """Turns the ``key=value`` lines of ``ffmpeg -progress pipe:1`` into percent done.

    ffmpeg writes a block of keys, then ``progress=continue`` (or ``end``). Only
    ``out_time_us`` / ``out_time_ms`` (both microseconds, despite the name) /
    ``out_time`` matter. :meth:`feed` returns a percent at the end of each block.
    """

    def __init__(self, duration_s: float | None) -> None:
        self.duration_s = duration_s if duration_s and duration_s > 0 else None
        self._out_time_s: float | None = None
        self.percent = 0.0

    def feed(self, line: str) -> float | None:
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        value = value.strip()
        if key in ("out_time_us", "out_time_ms"):
            with contextlib.suppress(ValueError):
                self._out_time_s = int(value) / 1_000_000
        elif key == "out_time" and self._out_time_s is None:
            self._out_time_s = _parse_clock(value)
        elif key == "progress":
            if value == "end":
                self.percent = 100.0
            elif self.duration_s and self._out_time_s is not None and self._out_time_s >= 0:
                done = 100.0 * self._out_time_s / self.duration_s
                # Never go backwards and keep 100 for "end".
                self.percent = max(self.percent, min(99.9, done))
            self._out_time_s = None
            return self.percent
        return None
