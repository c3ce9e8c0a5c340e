from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.canvas import FitMode, Rgb
from content.geometry import even_canvas, plan_fit
from signage.canvas import Canvas
from signage.errors import UserError

sides = st.integers(min_value=1, max_value=9000)
even_sides = st.integers(min_value=1, max_value=2000).map(lambda v: 2 * v)


def test_contain_letterboxes_a_wide_picture_on_a_43_canvas() -> None:
    p = plan_fit(1920, 1080, Canvas(400, 300), FitMode.CONTAIN)
    assert (p.scaled_width, p.scaled_height) == (400, 225)
    assert (p.offset_x, p.offset_y) == (0, 37)
    assert p.needs_pad and not p.needs_crop


def test_cover_crops_the_centre() -> None:
    p = plan_fit(1920, 1080, Canvas(400, 300), FitMode.COVER)
    assert (p.scaled_width, p.scaled_height) == (533, 300)
    assert (p.crop_x, p.crop_y, p.crop_width, p.crop_height) == (66, 0, 400, 300)


def test_stretch_fills_exactly() -> None:
    p = plan_fit(100, 900, Canvas(960, 480), FitMode.STRETCH)
    assert (p.scaled_width, p.scaled_height, p.offset_x, p.offset_y) == (960, 480, 0, 0)


@given(sides, sides, sides.filter(lambda v: v <= 8192), sides.filter(lambda v: v <= 8192),
       st.sampled_from(list(FitMode)))  # fmt: skip
def test_every_placement_stays_inside_the_canvas(sw: int, sh: int, cw: int, ch: int, fit: FitMode) -> None:
    p = plan_fit(sw, sh, Canvas(cw, ch), fit)
    assert p.offset_x >= 0 and p.offset_x + p.crop_width <= cw
    assert p.offset_y >= 0 and p.offset_y + p.crop_height <= ch
    assert p.crop_x + p.crop_width <= p.scaled_width
    assert p.crop_y + p.crop_height <= p.scaled_height
    if fit is not FitMode.CONTAIN:
        assert (p.crop_width, p.crop_height) == (cw, ch)


@given(sides, sides, even_sides, even_sides, st.sampled_from(list(FitMode)))
def test_video_placements_are_even(sw: int, sh: int, cw: int, ch: int, fit: FitMode) -> None:
    p = plan_fit(sw, sh, Canvas(cw, ch), fit, even=True)
    for value in (p.scaled_width, p.scaled_height, p.crop_x, p.crop_y, p.offset_x, p.offset_y):
        assert value % 2 == 0
    assert p.offset_x + p.crop_width <= cw and p.offset_y + p.crop_height <= ch


def test_odd_canvas_is_rounded_down_for_video() -> None:
    assert even_canvas(Canvas(385, 257)) == Canvas(384, 256)
    with pytest.raises(ValueError, match="odd"):
        plan_fit(10, 10, Canvas(385, 257), FitMode.CONTAIN, even=True)


def test_parsing_canvas_fit_and_colour() -> None:
    assert Canvas.parse("768x432") == Canvas(768, 432)
    assert FitMode.parse("Cover") is FitMode.COVER
    assert Rgb.parse("#FF8000").tuple == (255, 128, 0)
    for bad in (lambda: Canvas.parse("768"), lambda: Canvas(0, 10), lambda: FitMode.parse("zoom"),
                lambda: Rgb.parse("red")):  # fmt: skip
        with pytest.raises(UserError):
            bad()
