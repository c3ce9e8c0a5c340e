"""Judge captured frames by their pixels only: black pixels, and which item (or crossfade of two items) is shown.

A frame is the RGB32 buffer the canvas painted (``CanvasWidget.frame_probe``) and the renderer's own paint time
(``CanvasWidget.painted_at_s``). Every pixel counts:

* :func:`dark_pixels` counts the pixels whose brightest channel is below ``DARK_LEVEL`` (over the whole buffer);
* :func:`features` averages every pixel into a grid of cell colours;
* :class:`Identifier` finds the expected frame nearest to a frame's cell colours: an item alone, or a crossfade
  from one item to another at opacity p. (A crossfade is not the linear blend of the two pictures: the new item's
  background and its text are each painted with opacity p, so the expected crossfades are rendered, sampled
  over p.) The test, not the player, says what each item looks like.

No numpy here (not a project dependency): byte slicing, ``bytes.translate`` and big-int bit counts do the work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtGui import QImage

#: A pixel whose red, green and blue are all below this is black.
DARK_LEVEL = 24
#: Cells of the identity grid (columns, rows).
GRID = (8, 6)
_BRIGHT = bytes(1 if v >= DARK_LEVEL else 0 for v in range(256))


@dataclass(frozen=True)
class Frame:
    """One painted frame: the renderer's paint time and its pixels (RGB32: B, G, R, 0xff per pixel)."""

    t_s: float
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class Identity:
    """What a frame shows: ``new`` over ``old`` at opacity ``p`` (``old == new`` for a plain frame)."""

    old: str
    new: str
    p: float
    residual: float  # RMS difference of the cell colours from the explained frame, in 8-bit levels

    def label(self, p_min: float) -> str:
        """The item the frame is judged to show: the new one once it is visibly there (p >= ``p_min``)."""
        return self.new if self.p >= p_min else self.old


def capture(image: QImage, t_s: float) -> Frame:
    if image.format() != QImage.Format.Format_RGB32:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
    width, height = image.width(), image.height()
    data = bytes(image.constBits())
    row = image.bytesPerLine()
    if row != width * 4:  # drop line padding, so data[c::4] walks pixels
        data = b"".join(data[y * row:y * row + width * 4] for y in range(height))
    return Frame(t_s, width, height, data[: width * height * 4])


def raw_bgra(data: bytes, width: int, height: int, t_s: float = 0.0) -> Frame:
    """A frame from raw BGRA bytes (what ``ffmpeg -pix_fmt bgra`` writes)."""
    assert len(data) == width * height * 4, (len(data), width, height)
    return Frame(t_s, width, height, data)


def dark_pixels(frame: Frame) -> int:
    """How many of the frame's pixels are black (every pixel is looked at)."""
    bright = 0
    for channel in range(3):
        bright |= int.from_bytes(frame.data[channel::4].translate(_BRIGHT), "big")
    total = frame.width * frame.height
    # each pixel is one byte of the mask (0 or 1): the bright pixels are the set bits
    return total - bright.bit_count()


def dark_fraction(image: QImage, step: int) -> float:
    """Share of the pixels sampled every ``step`` pixels (both ways) that are (near) black: r + g + b < 40."""
    dark = total = 0
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            color = image.pixelColor(x, y)
            total += 1
            if color.red() + color.green() + color.blue() < 40:
                dark += 1
    return dark / total


def features(frame: Frame, grid: tuple[int, int] = GRID) -> tuple[float, ...]:
    """The mean colour (r, g, b) of each grid cell, row by row; every pixel contributes to its cell."""
    cols, rows = grid
    width, height, data = frame.width, frame.height, frame.data
    xs = [round(i * width / cols) for i in range(cols + 1)]
    ys = [round(j * height / rows) for j in range(rows + 1)]
    out: list[float] = []
    for j in range(rows):
        sums = [[0, 0, 0] for _ in range(cols)]
        for y in range(ys[j], ys[j + 1]):
            line = data[y * width * 4:(y + 1) * width * 4]
            for i in range(cols):
                cell = sums[i]
                start, end = xs[i] * 4, xs[i + 1] * 4
                cell[0] += sum(line[start + 2:end:4])  # R
                cell[1] += sum(line[start + 1:end:4])  # G
                cell[2] += sum(line[start:end:4])  # B
        for i in range(cols):
            count = (xs[i + 1] - xs[i]) * (ys[j + 1] - ys[j])
            out.extend(value / count for value in sums[i])
    return tuple(out)


def distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """RMS difference of two feature vectors (8-bit levels)."""
    return math.dist(a, b) / math.sqrt(len(a))


class Identifier:
    """The nearest of a set of expected frames: each item alone, and each allowed crossfade sampled over p.

    ``samples`` maps (old, new, p) to the features of that frame (``old == new``, p 1.0: the item alone).
    """

    def __init__(self, samples: dict[tuple[str, str, float], tuple[float, ...]]) -> None:
        assert samples, "no expected frames"
        self.samples = list(samples.items())

    def identify(self, vector: tuple[float, ...]) -> Identity:
        (old, new, p), nearest = min(self.samples, key=lambda sample: math.dist(vector, sample[1]))
        return Identity(old, new, p, math.dist(vector, nearest) / math.sqrt(len(vector)))


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0..1) of the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]
