"""Generate the demo's posters (Pillow) and short video (Pillow layers animated by ffmpeg).

Every picture keeps the overlay strips of a Mempawah layout free (see ``ZONE_RECTS``):
the top band's right part is where the clock strip sits, the bottom band is where the
running text runs; the poster's own information stays in between.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from scheduler.schedule import ZONE_RECTS

FONT_BOLD = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
)
FONT_REGULAR = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
RGB = tuple[int, int, int]
TOP_BAND = ZONE_RECTS["clock"][3]  # fraction of the height the clock strip covers (top right)
CLOCK_LEFT = ZONE_RECTS["clock"][0]  # the clock strip starts at this fraction of the width
# a small panel (P10, 400x300) has no clock strip (the date would not fit in it): the header spans the width
SMALL_CANVAS_MAX_H = 500
BOTTOM_BAND = ZONE_RECTS["ticker"][3]  # fraction of the height the running text covers
VIDEO_SIZE = (1280, 720)
VIDEO_FPS = 25


@dataclass(frozen=True)
class Palette:
    top: RGB
    bottom: RGB
    accent: RGB
    band: RGB


PALETTES = {
    "budaya": Palette((128, 24, 32), (70, 12, 24), (250, 204, 80), (40, 8, 14)),
    "kesehatan": Palette((14, 110, 96), (6, 60, 70), (255, 214, 90), (4, 36, 44)),
    "layanan": Palette((20, 70, 140), (10, 34, 80), (255, 200, 60), (6, 20, 50)),
}


@dataclass(frozen=True)
class PosterSpec:
    """What a poster says: the issuing office, a headline, a few lines, a footer (date and place)."""

    office: str
    title: str
    lines: tuple[str, ...] = ()
    footer: str = ""
    palette: str = "layanan"


def font(size_px: int, bold: bool = True) -> Font:
    for candidate in FONT_BOLD if bold else FONT_REGULAR:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, max(1, size_px))
    return ImageFont.load_default(size_px)


def wrap(draw: ImageDraw.ImageDraw, text: str, face: Font, width_px: float) -> list[str]:
    """Whole words per line within ``width_px`` (a single over-long word gets a line of its own)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=face) > width_px:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def fit(
    draw: ImageDraw.ImageDraw,
    text: str,
    box_w: float,
    box_h: float,
    start_px: int,
    bold: bool = True,
    min_px: int = 8,
    line_gap: float = 1.18,
) -> tuple[Font, list[str], int]:
    """The largest font (from ``start_px`` down) at which ``text`` wraps inside the box: (font, lines, px)."""
    px = start_px
    while True:
        face = font(px, bold)
        lines = wrap(draw, text, face, box_w)
        widest = max((draw.textlength(line, font=face) for line in lines), default=0.0)
        if (len(lines) * px * line_gap <= box_h and widest <= box_w) or px <= min_px:
            return face, lines, px
        px = max(min_px, int(px * 0.92))


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    """A vertical gradient (built as a 1-pixel column, then stretched: fast at any size)."""
    width, height = size
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        t = y / 255
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return column.resize((width, height), Image.Resampling.BILINEAR)


def emblem(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, palette: Palette) -> None:
    """A simple shield standing in for the regency's coat of arms (not the real emblem)."""
    pts = [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + 0.2 * r), (cx, cy + r), (cx - r, cy + 0.2 * r)]
    draw.polygon(pts, fill=palette.accent)
    inner = 0.62
    draw.polygon([(cx + (x - cx) * inner, cy + (y - cy) * inner) for x, y in pts], fill=palette.band)
    draw.ellipse([cx - 0.22 * r, cy - 0.42 * r, cx + 0.22 * r, cy + 0.02 * r], fill=palette.accent)


def frame(size: tuple[int, int], palette: Palette, office: str) -> Image.Image:
    """Background with the header (emblem + office, left of the clock strip) and the bottom band."""
    width, height = size
    img = gradient(size, palette.top, palette.bottom)
    draw = ImageDraw.Draw(img)
    top_h = round(height * TOP_BAND)
    bottom_y = round(height * (1 - BOTTOM_BAND))
    draw.rectangle([0, 0, width, top_h], fill=palette.band)
    draw.rectangle([0, top_h, width, top_h + max(2, height // 180)], fill=palette.accent)
    draw.rectangle([0, bottom_y, width, height], fill=palette.band)
    pad = round(height * 0.02)
    emblem(draw, pad + top_h * 0.4, top_h / 2, top_h * 0.36, palette)
    text_x = pad * 2 + top_h * 0.8
    text_right = width if height < SMALL_CANVAS_MAX_H else width * CLOCK_LEFT
    face, lines, px = fit(draw, office.upper(), text_right - text_x - pad, top_h * 0.8, round(top_h * 0.34))
    y = top_h / 2 - len(lines) * px * 1.1 / 2
    for line in lines:
        draw.text((text_x, y), line, font=face, fill=(255, 255, 255))
        y += px * 1.1
    return img


def render_poster(spec: PosterSpec, size: tuple[int, int]) -> Image.Image:
    """The poster at ``size``: text sizes follow the height, so one design reads on 1920x1080 and 400x300."""
    width, height = size
    palette = PALETTES[spec.palette]
    img = frame(size, palette, spec.office)
    draw = ImageDraw.Draw(img)
    margin = round(width * 0.05)
    top = height * TOP_BAND + height * 0.05
    bottom = height * (1 - BOTTOM_BAND) - height * 0.04
    box_w = width - 2 * margin
    small = height < SMALL_CANVAS_MAX_H  # a P10 panel: fewer words, bigger letters
    lines = spec.lines[:1] if small else spec.lines
    footer_h = (height * 0.1 if small else height * 0.075) if spec.footer else 0
    body_h = (bottom - top - footer_h) * (0.45 if lines else 0)
    title_h = bottom - top - footer_h - body_h
    face, title_lines, px = fit(draw, spec.title.upper(), box_w, title_h, round(height * (0.16 if small else 0.12)))
    block = len(title_lines) * px * 1.18
    y = top + (title_h - block) / 2
    for line in title_lines:
        draw.text((width / 2, y), line, font=face, fill=palette.accent, anchor="ma")
        y += px * 1.18
    if lines:
        y = top + title_h
        rule_w = width * 0.18
        draw.rectangle(
            [width / 2 - rule_w / 2, y - height * 0.012, width / 2 + rule_w / 2, y - height * 0.006],
            fill=(255, 255, 255),
        )
        start = round(height * (0.075 if small else 0.055))
        each_h = body_h / len(lines)
        for line in lines:
            face, wrapped, px = fit(draw, line, box_w, each_h, start, bold=small, min_px=12)
            yy = y + (each_h - len(wrapped) * px * 1.18) / 2
            for part in wrapped:
                draw.text((width / 2, yy), part, font=face, fill=(255, 255, 255), anchor="ma")
                yy += px * 1.18
            y += each_h
    if spec.footer:
        pill_h = footer_h * 0.9
        face, wrapped, px = fit(draw, spec.footer, box_w - pill_h, pill_h * 0.7, round(pill_h * 0.6), min_px=12)
        text_w = max(draw.textlength(part, font=face) for part in wrapped)
        pill_w = text_w + pill_h
        y0 = bottom - footer_h + (footer_h - pill_h) / 2
        draw.rounded_rectangle(
            [width / 2 - pill_w / 2, y0, width / 2 + pill_w / 2, y0 + pill_h], radius=pill_h / 2, fill=palette.accent
        )
        draw.text((width / 2, y0 + pill_h / 2), wrapped[0], font=face, fill=palette.band, anchor="mm")
    return img


def make_poster(path: Path, spec: PosterSpec, size: tuple[int, int]) -> None:
    render_poster(spec, size).save(path, "PNG")


@dataclass(frozen=True)
class VideoSpec:
    """A public-information clip: headline, then numbered steps sliding in one by one, over a slow pan."""

    office: str
    title: str
    steps: tuple[tuple[str, str], ...]
    closing: str
    palette: str = "kesehatan"
    duration_s: float = 7.0


def _card(size: tuple[int, int], number: str, head: str, text: str, palette: Palette) -> Image.Image:
    width, height = size
    card = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle([0, 0, width - 1, height - 1], radius=height // 6, fill=(255, 255, 255, 235))
    draw.ellipse([height * 0.15, height * 0.15, height * 0.85, height * 0.85], fill=palette.top)
    draw.text((height / 2, height / 2), number, font=font(round(height * 0.42)), fill=palette.accent, anchor="mm")
    x = height * 1.05
    draw.text((x, height * 0.12), head, font=font(round(height * 0.36)), fill=palette.bottom)
    face, lines, _px = fit(draw, text, width - x - height * 0.2, height * 0.36, round(height * 0.26), bold=False)
    draw.text((x, height * 0.56), lines[0], font=face, fill=(40, 40, 40))
    return card


def _layers(spec: VideoSpec, folder: Path) -> tuple[Path, Path, list[Path], Path]:
    """Pillow draws the parts once: a wide background, the headline, one card per step, the closing line."""
    width, height = VIDEO_SIZE
    palette = PALETTES[spec.palette]
    pan_size = (round(width * 1.12), round(height * 1.12))
    background = gradient(pan_size, palette.top, palette.bottom)
    draw = ImageDraw.Draw(background)
    for i in range(14):  # soft diagonal stripes so the slow pan is visible
        x = i * pan_size[0] / 7 - pan_size[0] / 2
        draw.polygon(
            [(x, 0), (x + 60, 0), (x + 60 + pan_size[1], pan_size[1]), (x + pan_size[1], pan_size[1])],
            fill=tuple(min(255, c + 7) for c in palette.top),
        )
    bg_path = folder / "bg.png"
    background.save(bg_path)
    header = frame(VIDEO_SIZE, palette, spec.office).crop((0, 0, width, round(height * TOP_BAND) + 4))
    header_path = folder / "header.png"
    header.save(header_path)
    title = Image.new("RGBA", (width, round(height * 0.16)), (0, 0, 0, 0))
    tdraw = ImageDraw.Draw(title)
    face, lines, px = fit(tdraw, spec.title.upper(), width * 0.9, height * 0.15, round(height * 0.09))
    tdraw.text(
        (width / 2, height * 0.08),
        lines[0],
        font=face,
        fill=palette.accent,
        anchor="mm",
        stroke_width=max(1, px // 24),
        stroke_fill=palette.band,
    )
    title_path = folder / "title.png"
    title.save(title_path)
    cards = []
    for i, (head, text) in enumerate(spec.steps):
        path = folder / f"card{i}.png"
        _card((round(width * 0.62), round(height * 0.12)), str(i + 1), head, text, palette).save(path)
        cards.append(path)
    closing = Image.new("RGBA", (round(width * 0.8), round(height * 0.075)), (0, 0, 0, 0))
    cdraw = ImageDraw.Draw(closing)
    cdraw.rounded_rectangle(
        [0, 0, closing.width - 1, closing.height - 1], radius=closing.height // 2, fill=(*palette.accent, 255)
    )
    face, lines, _px = fit(cdraw, spec.closing, closing.width * 0.9, closing.height * 0.7, round(closing.height * 0.5))
    cdraw.text((closing.width / 2, closing.height / 2), lines[0], font=face, fill=palette.band, anchor="mm")
    closing_path = folder / "closing.png"
    closing.save(closing_path)
    return bg_path, title_path, cards, closing_path


def video_command(spec: VideoSpec, folder: Path, out: Path) -> list[str]:
    """The ffmpeg command: pan the background, then the headline and the cards slide in from the right."""
    width, height = VIDEO_SIZE
    bg, title, cards, closing = _layers(spec, folder)
    header = folder / "header.png"
    d = spec.duration_s
    inputs = ["-loop", "1", "-framerate", str(VIDEO_FPS), "-t", f"{d}", "-i", str(bg)]
    for layer in (header, title, *cards, closing):
        inputs += ["-loop", "1", "-framerate", str(VIDEO_FPS), "-t", f"{d}", "-i", str(layer)]
    pan = f"[0:v]crop={width}:{height}:x='(in_w-out_w)*t/{d}':y='(in_h-out_h)*(1-t/{d})',format=yuv420p[bg0]"
    chain = [pan, "[bg0][1:v]overlay=0:0[bg1]"]
    top = height * TOP_BAND
    chain.append(f"[bg1][2:v]overlay=x=0:y='{top + height * 0.03:.0f}+max(0,30-t*60)':enable='gte(t,0.2)'[bg2]")
    last = "bg2"
    card_x = (width - round(width * 0.62)) / 2
    for i in range(len(cards)):
        start = 0.9 + i * 0.9
        y = height * (0.33 + i * 0.145)
        nxt = f"bg{3 + i}"
        chain.append(
            f"[{last}][{3 + i}:v]overlay=x='max({card_x:.0f},W-(t-{start})*{width * 2.2:.0f})':"
            f"y={y:.0f}:enable='gte(t,{start})'[{nxt}]"
        )
        last = nxt
    closing_at = 0.9 + len(cards) * 0.9 + 0.4
    closing_y = height * (1 - BOTTOM_BAND - 0.09)
    chain.append(
        f"[{last}][{3 + len(cards)}:v]overlay=x='min((W-w)/2,-w+(t-{closing_at})*{width * 2.2:.0f})':"
        f"y={closing_y:.0f}:"
        f"enable='gte(t,{closing_at})',format=yuv420p[out]"
    )
    return [
        "ffmpeg", "-loglevel", "error", "-y", *inputs,
        "-filter_complex", ";".join(chain), "-map", "[out]",
        "-r", str(VIDEO_FPS), "-t", f"{d}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
        "-preset", "veryfast", "-crf", "23", "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def make_video(path: Path, spec: VideoSpec) -> None:
    with tempfile.TemporaryDirectory(prefix="demo-video-") as tmp:
        subprocess.run(video_command(spec, Path(tmp), path), check=True)
