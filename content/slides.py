"""Text announcement slides rendered with Pillow: the exact picture the screen shows.

Large bold high-contrast type for LED walls seen from 20-50 m. The text is set at
the largest size that fits; long words are hyphenated at Indonesian syllables only
when nothing fits otherwise; text that cannot fit at the minimum readable size is
cut with "…" and a warning for staff (never clipped silently). Same input, same
machine -> same PNG bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from content.canvas import FitMode, Rgb
from content.errors import IngestRefused
from content.fonts import bold_font
from content.images import encode, fit_image, flatten, open_image
from content.sniff import sniff_file
from content.textfit import truncate_line, wrap
from signage.canvas import Canvas

TITLE_SCALE = 1.3  # title size relative to body size
LINE_SPACING = 1.12
MARGIN_FRACTION = 0.05
MAX_BODY_FRACTION = 1 / 6  # of the canvas height: keeps one-word slides from looking odd
MIN_BODY_FRACTION = 1 / 14  # of the short side: below this, text is hard to read at 50 m
ABSOLUTE_MIN_PX = 12
IMAGE_FRACTION = 0.42
LOGO_FRACTION = 0.14


@dataclass(frozen=True)
class SlideSpec:
    title: str
    body: str = ""
    image: Path | None = None  # photo shown beside (landscape) or above (portrait) the text
    logo: Path | None = None  # small emblem centred at the top
    background: str = "#000000"
    title_colour: str = "#FFD700"
    text_colour: str = "#FFFFFF"


@dataclass(frozen=True)
class RenderedSlide:
    canvas: Canvas
    png: bytes
    title_px: int
    body_px: int
    fits: bool  # False: text was cut (see warnings)
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Box:
    x: int
    y: int
    w: int
    h: int


@dataclass
class _TextLayout:
    body_px: int
    title_px: int
    title_lines: list[str]
    body_lines: list[str]
    height: int


def min_body_px(canvas: Canvas) -> int:
    """The smallest body size staff may get without a warning."""
    return max(ABSOLUTE_MIN_PX, round(min(canvas.width, canvas.height) * MIN_BODY_FRACTION))


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return round((ascent + descent) * LINE_SPACING)


def _layout(title: str, body: str, box: _Box, body_px: int, hyphenate: bool) -> _TextLayout | None:
    title_px = round(body_px * TITLE_SCALE)
    tfont, bfont = bold_font(title_px), bold_font(body_px)
    tlines = wrap(title, tfont.getlength, box.w, hyphenate=hyphenate) if title else []
    blines = wrap(body, bfont.getlength, box.w, hyphenate=hyphenate) if body else []
    if tlines is None or blines is None:
        return None
    gap = round(body_px * 0.6) if tlines and blines else 0
    height = len(tlines) * _line_height(tfont) + gap + len(blines) * _line_height(bfont)
    return _TextLayout(body_px, title_px, tlines, blines, height)


def _largest_fit(title: str, body: str, box: _Box, lo: int, hi: int, hyphenate: bool) -> _TextLayout | None:
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        layout = _layout(title, body, box, mid, hyphenate)
        if layout is not None and layout.height <= box.h:
            best, lo = layout, mid + 1
        else:
            hi = mid - 1
    return best


def _cut_to_fit(title: str, body: str, box: _Box, body_px: int) -> tuple[_TextLayout, int]:
    """Layout at ``body_px`` with lines dropped (last one ends in "…"); returns lines hidden."""
    layout = _layout(title, body, box, body_px, hyphenate=True)
    assert layout is not None
    tfont, bfont = bold_font(layout.title_px), bold_font(body_px)
    lines = [(True, line) for line in layout.title_lines] + [(False, line) for line in layout.body_lines]
    kept: list[tuple[bool, str]] = []
    used = 0
    for is_title, line in lines:
        step = _line_height(tfont if is_title else bfont)
        extra = round(body_px * 0.6) if (not is_title and kept and kept[-1][0]) else 0
        if used + extra + step > box.h:
            break
        kept.append((is_title, line))
        used += extra + step
    hidden = len(lines) - len(kept)
    if hidden and kept:
        is_title, last = kept[-1]
        font = tfont if is_title else bfont
        kept[-1] = (is_title, truncate_line(last, font.getlength, box.w))
    layout.title_lines = [line for t, line in kept if t]
    layout.body_lines = [line for t, line in kept if not t]
    layout.height = used
    return layout, hidden


def _fit_text(title: str, body: str, box: _Box, canvas: Canvas) -> tuple[_TextLayout, list[str]]:
    floor = min_body_px(canvas)
    ceiling = max(floor, round(canvas.height * MAX_BODY_FRACTION))
    # Whole words first; syllable hyphenation only if whole words cannot fit readably.
    for hyphenate in (False, True):
        layout = _largest_fit(title, body, box, floor, ceiling, hyphenate)
        if layout is not None:
            return layout, []
    layout, hidden = _cut_to_fit(title, body, box, floor)
    warning = (
        f"{canvas}: the text does not fit even at the smallest readable size "
        f"({floor} px); {hidden} line(s) were cut and end with '…'. "
        "Shorten the text or split it over two slides."
    )
    return layout, [warning]


def _load_picture(path: Path) -> Image.Image:
    sniffed = sniff_file(path)
    if sniffed.kind != "image":
        raise IngestRefused(f"slide pictures must be images, not {sniffed.fmt}", field="image")
    return open_image(path).image


def _boxes(canvas: Canvas, has_image: bool, has_logo: bool) -> tuple[_Box, _Box | None, _Box | None]:
    margin = max(2, round(min(canvas.width, canvas.height) * MARGIN_FRACTION))
    content = _Box(margin, margin, canvas.width - 2 * margin, canvas.height - 2 * margin)
    logo_box = None
    if has_logo:
        logo_h = max(8, round(canvas.height * LOGO_FRACTION))
        logo_box = _Box(content.x, content.y, content.w, logo_h)
        gap = margin // 2
        content = _Box(content.x, content.y + logo_h + gap, content.w, content.h - logo_h - gap)
    image_box = None
    if has_image:
        gap = margin
        if canvas.width >= canvas.height * 1.2:
            iw = round(content.w * IMAGE_FRACTION)
            image_box = _Box(content.x, content.y, iw, content.h)
            content = _Box(content.x + iw + gap, content.y, content.w - iw - gap, content.h)
        else:
            ih = round(content.h * IMAGE_FRACTION)
            image_box = _Box(content.x, content.y, content.w, ih)
            content = _Box(content.x, content.y + ih + gap, content.w, content.h - ih - gap)
    text_box = _Box(content.x, content.y, max(1, content.w), max(1, content.h))
    return text_box, image_box, logo_box


def _paste_contained(base: Image.Image, picture: Image.Image, box: _Box, background: Rgb) -> None:
    if box.w < 1 or box.h < 1:
        return
    fitted = fit_image(flatten(picture, background), Canvas(box.w, box.h), FitMode.CONTAIN, background)
    base.paste(fitted, (box.x, box.y))


def render_slide(spec: SlideSpec, canvas: Canvas) -> RenderedSlide:
    """Render ``spec`` at exactly ``canvas`` size. Bad image/logo -> ``IngestRefused``."""
    background = Rgb.parse(spec.background)
    title_colour = Rgb.parse(spec.title_colour)
    text_colour = Rgb.parse(spec.text_colour)
    title = " ".join(spec.title.split())
    body = "\n".join(" ".join(line.split()) for line in spec.body.strip().splitlines())
    text_box, image_box, logo_box = _boxes(canvas, spec.image is not None, spec.logo is not None)

    base = Image.new("RGB", (canvas.width, canvas.height), background.tuple)
    if spec.image is not None and image_box is not None:
        _paste_contained(base, _load_picture(spec.image), image_box, background)
    if spec.logo is not None and logo_box is not None:
        _paste_contained(base, _load_picture(spec.logo), logo_box, background)

    layout, warnings = _fit_text(title, body, text_box, canvas)
    draw = ImageDraw.Draw(base)
    y = text_box.y + (text_box.h - layout.height) // 2
    centre_x = text_box.x + text_box.w / 2
    tfont, bfont = bold_font(layout.title_px), bold_font(layout.body_px)
    for line in layout.title_lines:
        draw.text((centre_x, y), line, font=tfont, fill=title_colour.tuple, anchor="ma")
        y += _line_height(tfont)
    if layout.title_lines and layout.body_lines:
        y += round(layout.body_px * 0.6)
    for line in layout.body_lines:
        draw.text((centre_x, y), line, font=bfont, fill=text_colour.tuple, anchor="ma")
        y += _line_height(bfont)
    return RenderedSlide(canvas, encode(base, "png"), layout.title_px, layout.body_px, not warnings, tuple(warnings))
