"""Fit modes and background colours (pure value types); the canvas type itself is :class:`signage.canvas.Canvas`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from signage.errors import UserError

_HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")


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
