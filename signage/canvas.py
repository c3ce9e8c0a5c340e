"""A display's canvas: its size in physical pixels (and, in a manifest, how the picture is rotated).

The one canvas type: the content pipeline renders for it, the scheduler keys
variants by :attr:`Canvas.key` (``"768x432"``) and the manifest carries it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from signage.errors import UserError

_SIZE_RE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
MAX_CANVAS_SIDE_PX = 8192
ROTATIONS_DEG = (0, 90, 180, 270)


@dataclass(frozen=True, order=True)
class Canvas:
    """A screen area in physical pixels; ``rotation`` (degrees) is how the player turns the picture."""

    width: int
    height: int
    rotation: int = 0

    def __post_init__(self) -> None:
        for name, value in (("width", self.width), ("height", self.height)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CANVAS_SIDE_PX:
                raise UserError(
                    f"canvas {name} must be a whole number of pixels from 1 to {MAX_CANVAS_SIDE_PX}, not {value!r}",
                    field="canvas",
                )
        if self.rotation not in ROTATIONS_DEG:
            raise UserError(f"canvas rotation must be 0, 90, 180 or 270, not {self.rotation!r}", field="canvas")

    @classmethod
    def parse(cls, text: str) -> Canvas:
        """``"768x432"`` -> ``Canvas(768, 432)``."""
        match = _SIZE_RE.match(text)
        if not match:
            raise UserError(f"canvas must look like 768x432, not {text!r}", field="canvas")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def key(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def is_portrait(self) -> bool:
        return self.height > self.width

    def __str__(self) -> str:
        return self.key
