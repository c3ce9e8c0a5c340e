"""Where a picture lands on a canvas for each fit mode (pure arithmetic).

Shared by the Pillow image path and the ffmpeg filter graph, so a photo and a
video of the same shape are placed identically.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.canvas import FitMode
from signage.canvas import Canvas


@dataclass(frozen=True)
class Placement:
    """Scale the source to ``scaled_*``, crop ``crop_*`` out of it, paste at ``offset_*``."""

    canvas_width: int
    canvas_height: int
    scaled_width: int
    scaled_height: int
    crop_x: int
    crop_y: int
    crop_width: int
    crop_height: int
    offset_x: int
    offset_y: int

    @property
    def needs_crop(self) -> bool:
        return (self.crop_width, self.crop_height) != (self.scaled_width, self.scaled_height)

    @property
    def needs_pad(self) -> bool:
        return (self.crop_width, self.crop_height) != (self.canvas_width, self.canvas_height)


def _down_to_even(value: int) -> int:
    return max(2, value - value % 2)


def _round_even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def plan_fit(source_width: int, source_height: int, canvas: Canvas, fit: FitMode, *, even: bool = False) -> Placement:
    """Place a ``source_width`` x ``source_height`` picture on ``canvas``.

    ``even=True`` keeps every size and offset even, as yuv420p video requires
    (the canvas itself must then be even too; see :func:`even_canvas`).
    """
    if source_width < 1 or source_height < 1:
        raise ValueError(f"source size must be positive, got {source_width}x{source_height}")
    cw, ch = canvas.width, canvas.height
    if even and (cw % 2 or ch % 2):
        raise ValueError(f"canvas {canvas} is odd-sized; use even_canvas() for video")
    rounder = _round_even if even else (lambda v: max(1, round(v)))

    if fit is FitMode.STRETCH:
        return Placement(cw, ch, cw, ch, 0, 0, cw, ch, 0, 0)

    if fit is FitMode.CONTAIN:
        scale = min(cw / source_width, ch / source_height)
        w = min(cw, rounder(source_width * scale))
        h = min(ch, rounder(source_height * scale))
        ox, oy = (cw - w) // 2, (ch - h) // 2
        if even:
            ox, oy = ox - ox % 2, oy - oy % 2
        return Placement(cw, ch, w, h, 0, 0, w, h, ox, oy)

    scale = max(cw / source_width, ch / source_height)
    w = max(cw, rounder(source_width * scale))
    h = max(ch, rounder(source_height * scale))
    cx, cy = (w - cw) // 2, (h - ch) // 2
    if even:
        cx, cy = cx - cx % 2, cy - cy % 2
    return Placement(cw, ch, w, h, cx, cy, cw, ch, 0, 0)


def even_canvas(canvas: Canvas) -> Canvas:
    """The largest even-sized canvas inside ``canvas`` (H.264 yuv420p needs even sides)."""
    return Canvas(_down_to_even(canvas.width), _down_to_even(canvas.height))
