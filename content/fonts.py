"""Locating the slide typeface (DejaVu Sans Bold from fonts-dejavu-core)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from PIL import ImageFont

FONT_FAMILY_PATTERN = "DejaVu Sans:style=Bold"
FONT_FILE_NAME = "DejaVuSans-Bold.ttf"
KNOWN_FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans-Bold.ttf"),
)


class FontMissing(RuntimeError):
    """DejaVu Sans Bold is not installed (install the fonts-dejavu-core package)."""


@functools.cache
def bold_font_path() -> Path:
    """Path of DejaVu Sans Bold: known locations first, then ``fc-match``."""
    for path in KNOWN_FONT_PATHS:
        if path.is_file():
            return path
    fc_match = shutil.which("fc-match")
    if fc_match:
        done = subprocess.run(
            [fc_match, "-f", "%{file}", FONT_FAMILY_PATTERN],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        found = Path(done.stdout.strip())
        if done.returncode == 0 and found.name == FONT_FILE_NAME and found.is_file():
            return found
    raise FontMissing(
        "DejaVu Sans Bold not found; install the fonts-dejavu-core package "
        f"(looked in {', '.join(str(p) for p in KNOWN_FONT_PATHS)} and fc-match)"
    )


@functools.lru_cache(maxsize=256)
def bold_font(size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(bold_font_path()), size_px)
