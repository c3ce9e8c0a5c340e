"""Target canvases, fit modes and background colours (pure value types)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from signage.errors import UserError

_HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
MAX_CANVAS_SIDE_PX = 8192


class FitMode(StrEnum):
    """How a picture of another shape is placed on a canvas."""

    CONTAIN = "contain"  # whole picture visible, bars in the background colour
    COVER = "cover"  # canvas filled, overflow cropped around the centre
    STRETCH = "stretch"  # canvas filled, aspect ratio ignored

    @classmethod
    def parse(cls, value: str | FitMode) -> FitMode:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise UserError(f"fit must be one of {choices}, not {value!r}", field="fit") from None


@dataclass(frozen=True, order=True)
class Canvas:
    """A screen area in physical pixels."""

    width: int
    height: int

    def __post_init__(self) -> None:
        for name, value in (("width", self.width), ("height", self.height)):
            if not isinstance(value, int) or not 1 <= value <= MAX_CANVAS_SIDE_PX:
                raise UserError(
                    f"canvas {name} must be a whole number of pixels from 1 to {MAX_CANVAS_SIDE_PX}, not {value!r}",
                    field="canvas",
                )

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


@dataclass(frozen=True)
class Rgb:
    red: int
    green: int
    blue: int

    @classmethod
    def parse(cls, value: str | Rgb) -> Rgb:
        """``"#102030"`` or ``"102030"`` -> ``Rgb(16, 32, 48)``."""
        if isinstance(value, Rgb):
            return value
        match = _HEX_RE.match(value.strip())
        if not match:
            raise UserError(f"background must be a colour like #000000, not {value!r}", field="background")
        digits = match.group(1)
        return cls(int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))

    @property
    def tuple(self) -> tuple[int, int, int]:
        return (self.red, self.green, self.blue)

    @property
    def hex(self) -> str:
        return f"#{self.red:02x}{self.green:02x}{self.blue:02x}"


BLACK = Rgb(0, 0, 0)
