"""Legibility: will a passer-by be able to read this announcement on that screen?

The rule (docs/content.md): the smallest text drawn must be at least
``readable_min_px(canvas)`` LED pixels high — ``max(12, shorter side / 40)``.
12 px is the smallest height at which DejaVu Sans Bold keeps its strokes on an
LED matrix; 1/40 of the short side is the same share of the screen on a large
videotron seen from proportionally further away.

* Text slides are measured: the body size the slide renderer chose, and
  whether it had to cut lines.
* Images (posters) carry their own text, which we do not read; we estimate
  their smallest text as what is readable at the picture's own size —
  ``max(readable_min_px(source), POSTER_SMALL_TEXT_FRACTION * source height)``
  (a poster's fine print is rarely smaller) — times the scale the fit applies.
  So a picture made for the screen's size passes, and a 16:9 poster shrunk
  onto a 400x300 P10 panel is flagged.
* Videos get the same estimate from their frame size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from content.canvas import FitMode
from content.slides import SlideSpec, render_slide
from signage.canvas import Canvas

ABSOLUTE_MIN_PX = 12
SHORT_SIDE_DIVISOR = 40
POSTER_SMALL_TEXT_FRACTION = 1 / 30


def readable_min_px(canvas: Canvas) -> int:
    return max(ABSOLUTE_MIN_PX, round(min(canvas.width, canvas.height) / SHORT_SIDE_DIVISOR))


@dataclass(frozen=True)
class LegibilityReport:
    canvas: Canvas
    min_text_px: float  # smallest text height drawn (measured, or estimated for pictures)
    required_px: int
    measured: bool  # True for text slides, False for an estimate from a picture's scale
    cut: bool = False
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.warnings


def check_text(title: str, body: str, canvas: Canvas, spec: SlideSpec | None = None) -> LegibilityReport:
    """``spec``: the slide as it will be drawn (e.g. the emergency design), default a normal slide of the text."""
    slide = render_slide(spec or SlideSpec(title=title, body=body), canvas)
    required = readable_min_px(canvas)
    smallest = float(slide.body_px if body.strip() else slide.title_px)
    warnings = []
    if smallest < required:
        warnings.append(
            f"{canvas.width}x{canvas.height}: text is {smallest:.0f} px high, under the readable {required} px; "
            "shorten the text"
        )
    if not slide.fits:
        warnings.append(f"{canvas.width}x{canvas.height}: text was cut to fit; shorten it or split the announcement")
    return LegibilityReport(canvas, smallest, required, True, not slide.fits, tuple(warnings))


def picture_scale(source_w: int, source_h: int, canvas: Canvas, fit: FitMode = FitMode.CONTAIN) -> float:
    """Scale applied to the picture's height on ``canvas`` by ``fit``."""
    scale_w, scale_h = canvas.width / source_w, canvas.height / source_h
    if fit is FitMode.COVER:
        return max(scale_w, scale_h)
    if fit is FitMode.STRETCH:
        return scale_h
    return min(scale_w, scale_h)


def check_picture(source_w: int, source_h: int, canvas: Canvas, fit: FitMode = FitMode.CONTAIN) -> LegibilityReport:
    if source_w <= 0 or source_h <= 0:
        raise ValueError("picture size must be positive")
    scale = picture_scale(source_w, source_h, canvas, fit)
    designed_px = max(readable_min_px(Canvas(source_w, source_h)), source_h * POSTER_SMALL_TEXT_FRACTION)
    smallest = designed_px * scale
    required = readable_min_px(canvas)
    warnings = []
    if smallest < required:
        shown_w, shown_h = round(source_w * scale), round(source_h * scale)
        letterbox = " (letterboxed: the picture's shape differs from the screen's)" if (
            fit is FitMode.CONTAIN and (shown_w < canvas.width - 1 or shown_h < canvas.height - 1)) else ""
        warnings.append(
            f"{canvas.width}x{canvas.height}: the picture is shown at {shown_w}x{shown_h}{letterbox}; its small "
            f"text would be about {smallest:.0f} px high, under the readable {required} px; "
            f"make a version designed for {canvas.width}x{canvas.height}"
        )
    return LegibilityReport(canvas, smallest, required, False, False, tuple(warnings))
