"""Text announcement slides rendered with Pillow: the exact picture the screen shows.

Large bold high-contrast type for LED walls seen from 20-50 m. The text is set at
the largest size that fits; long words are hyphenated at Indonesian syllables only
when nothing fits otherwise; text that cannot fit at the minimum readable size is
cut with "…" and a warning for staff (never clipped silently). Same input, same
machine -> same PNG bytes.

``style="emergency"`` draws an official warning instead of a normal slide: a red
(or, for ``severity="warning"``, amber) band with a warning sign and the header,
a red frame, the text on black, and a footer with the issuing office and the time
it was issued.
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
    style: str = "normal"  # "normal" | "emergency" (see EMERGENCY_STYLES)
    severity: str = "emergency"  # emergency style only: "emergency" (red) | "warning" (amber)
    header: str = ""  # emergency style: the band's text, e.g. "PERINGATAN DARURAT"
    issuer: str = ""  # emergency style: the issuing office, shown in the footer
    issued: str = ""  # emergency style: when it was issued, in local time, shown in the footer
    safe_top: float = 0.0  # normal style: fraction of the height kept free of text (a clock strip drawn over it)
    safe_bottom: float = 0.0  # normal style: the same at the bottom (a running-text strip)


STYLES = ("normal", "emergency")
#: severity -> (band colour, band text colour); the frame takes the band colour.
EMERGENCY_STYLES = {"emergency": ("#D50000", "#FFFFFF"), "warning": ("#FFB300", "#000000")}
EMERGENCY_BAND_FRACTION = 0.2  # of the canvas height
EMERGENCY_FOOTER_FRACTION = 0.12
EMERGENCY_FRAME_FRACTION = 0.015  # of the short side


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


def _boxes(
    canvas: Canvas, has_image: bool, has_logo: bool, safe_top: float = 0.0, safe_bottom: float = 0.0
) -> tuple[_Box, _Box | None, _Box | None]:
    margin = max(2, round(min(canvas.width, canvas.height) * MARGIN_FRACTION))
    top = max(margin, round(canvas.height * safe_top) + margin // 2) if safe_top else margin
    bottom = max(margin, round(canvas.height * safe_bottom) + margin // 2) if safe_bottom else margin
    content = _Box(margin, top, canvas.width - 2 * margin, canvas.height - top - bottom)
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


def _finish(
    base: Image.Image, canvas: Canvas, title: str, body: str, box: _Box, title_colour: Rgb, body_colour: Rgb
) -> RenderedSlide:
    """Fit the title and body into ``box``, draw them centred on ``base``; the slide as PNG with the fit's
    warnings."""
    layout, warnings = _fit_text(title, body, box, canvas)
    draw = ImageDraw.Draw(base)
    y = box.y + (box.h - layout.height) // 2
    centre_x = box.x + box.w / 2
    tfont, bfont = bold_font(layout.title_px), bold_font(layout.body_px)
    for line in layout.title_lines:
        draw.text((centre_x, y), line, font=tfont, fill=title_colour.tuple, anchor="ma")
        y += _line_height(tfont)
    if layout.title_lines and layout.body_lines:
        y += round(layout.body_px * 0.6)
    for line in layout.body_lines:
        draw.text((centre_x, y), line, font=bfont, fill=body_colour.tuple, anchor="ma")
        y += _line_height(bfont)
    return RenderedSlide(canvas, encode(base, "png"), layout.title_px, layout.body_px, not warnings, tuple(warnings))


def render_slide(spec: SlideSpec, canvas: Canvas) -> RenderedSlide:
    """Render ``spec`` at exactly ``canvas`` size. Bad image/logo -> ``IngestRefused``."""
    if spec.style not in STYLES:
        raise IngestRefused(f"style must be one of {', '.join(STYLES)}, not {spec.style!r}", field="style")
    if spec.style == "emergency":
        return _render_emergency(spec, canvas)
    background = Rgb.parse(spec.background)
    title_colour = Rgb.parse(spec.title_colour)
    text_colour = Rgb.parse(spec.text_colour)
    title = " ".join(spec.title.split())
    body = "\n".join(" ".join(line.split()) for line in spec.body.strip().splitlines())
    if not (0.0 <= spec.safe_top < 0.5 and 0.0 <= spec.safe_bottom < 0.5):
        raise IngestRefused("safe_top and safe_bottom must be fractions from 0 to 0.5", field="safe_top")
    text_box, image_box, logo_box = _boxes(canvas, spec.image is not None, spec.logo is not None,
                                           spec.safe_top, spec.safe_bottom)

    base = Image.new("RGB", (canvas.width, canvas.height), background.tuple)
    if spec.image is not None and image_box is not None:
        _paste_contained(base, _load_picture(spec.image), image_box, background)
    if spec.logo is not None and logo_box is not None:
        _paste_contained(base, _load_picture(spec.logo), logo_box, background)

    return _finish(base, canvas, title, body, text_box, title_colour, text_colour)


def _largest_single_line(text: str, width: int, height: int) -> ImageFont.FreeTypeFont:
    """The largest bold font (at least ABSOLUTE_MIN_PX) at which ``text`` fits one line of ``width`` x ``height``."""
    lo, hi, best = ABSOLUTE_MIN_PX, max(ABSOLUTE_MIN_PX, height), ABSOLUTE_MIN_PX
    while lo <= hi:
        mid = (lo + hi) // 2
        font = bold_font(mid)
        if font.getlength(text) <= width and _line_height(font) <= height:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return bold_font(best)


def _warning_sign(draw: ImageDraw.ImageDraw, x: int, y: int, size: int, colour: Rgb, mark: Rgb) -> None:
    """A warning triangle with an exclamation mark, ``size`` px high, top-left at (x, y)."""
    draw.polygon([(x + size / 2, y), (x + size, y + size), (x, y + size)], fill=colour.tuple)
    bar_w = max(2, round(size * 0.12))
    cx = x + size / 2
    draw.rectangle([cx - bar_w / 2, y + size * 0.32, cx + bar_w / 2, y + size * 0.72], fill=mark.tuple)
    draw.rectangle([cx - bar_w / 2, y + size * 0.8, cx + bar_w / 2, y + size * 0.8 + bar_w], fill=mark.tuple)


def _render_emergency(spec: SlideSpec, canvas: Canvas) -> RenderedSlide:
    """The official warning: band with sign and header, red frame, text on black, issuer and time below."""
    if spec.severity not in EMERGENCY_STYLES:
        known = ", ".join(EMERGENCY_STYLES)
        raise IngestRefused(f"severity must be one of {known}, not {spec.severity!r}", field="severity")
    band_colour, band_text = (Rgb.parse(c) for c in EMERGENCY_STYLES[spec.severity])
    black, white, yellow = Rgb(0, 0, 0), Rgb(255, 255, 255), Rgb.parse("#FFD700")
    short = min(canvas.width, canvas.height)
    frame = max(2, round(short * EMERGENCY_FRAME_FRACTION))
    margin = max(4, round(short * MARGIN_FRACTION))
    band_h = max(ABSOLUTE_MIN_PX * 2, round(short * EMERGENCY_BAND_FRACTION))  # short side: portrait too
    footer_lines = [line for line in (spec.issuer, spec.issued) if line]
    footer_h = max(ABSOLUTE_MIN_PX * 2 + 4, round(short * EMERGENCY_FOOTER_FRACTION)) if footer_lines else 0

    base = Image.new("RGB", (canvas.width, canvas.height), band_colour.tuple)
    draw = ImageDraw.Draw(base)
    draw.rectangle([frame, band_h, canvas.width - 1 - frame, canvas.height - 1 - frame], fill=black.tuple)

    # The band: warning sign and header, centred together.
    header = " ".join((spec.header or "PERINGATAN").split())
    sign = round(band_h * 0.62)
    header_font = _largest_single_line(header, canvas.width - 2 * margin - sign - max(4, sign // 4), sign)
    sign = min(sign, round(header_font.size * 1.5))  # a narrow canvas: the sign follows the header's size
    gap = max(4, sign // 4)
    header_font = _largest_single_line(header, canvas.width - 2 * margin - sign - gap, round(band_h * 0.62))
    header_w = round(header_font.getlength(header))
    x = max(margin, (canvas.width - sign - gap - header_w) // 2)
    _warning_sign(draw, x, (band_h - sign) // 2, sign, band_text if spec.severity == "warning" else black, band_colour)
    draw.text((x + sign + gap, band_h / 2), header, font=header_font, fill=band_text.tuple, anchor="lm")

    # The footer: the issuing office and the time, one line when both fit, else two.
    if footer_lines:
        top = canvas.height - frame - footer_h
        draw.line(
            [(frame + margin, top), (canvas.width - frame - margin, top)],
            fill=band_colour.tuple,
            width=max(1, frame // 2),
        )
        width = canvas.width - 2 * (frame + margin)
        joined = "  ·  ".join(footer_lines)
        one = _largest_single_line(joined, width, round(footer_h * 0.6))
        two = _largest_single_line(max(footer_lines, key=len), width, round(footer_h * 0.45))
        if len(footer_lines) == 1 or (one.getlength(joined) <= width and one.size >= two.size):
            draw.text((canvas.width / 2, top + footer_h / 2), joined, font=one, fill=white.tuple, anchor="mm")
        else:
            for i, line in enumerate(footer_lines):
                y = top + footer_h * (0.3 + 0.42 * i)
                draw.text((canvas.width / 2, y), line, font=two, fill=white.tuple, anchor="mm")

    # The message, fitted like a normal slide's text.
    inner = frame + margin
    text_box = _Box(
        inner,
        band_h + margin,
        max(1, canvas.width - 2 * inner),
        max(1, canvas.height - band_h - footer_h - frame - 2 * margin),
    )
    title = " ".join(spec.title.split())
    body = "\n".join(" ".join(line.split()) for line in spec.body.strip().splitlines())
    return _finish(base, canvas, title, body, text_box, yellow, white)
