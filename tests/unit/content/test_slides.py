from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from content.errors import IngestRefused
from content.fonts import bold_font_path
from content.slides import SlideSpec, min_body_px, render_slide
from signage.canvas import Canvas

CANVASES = [Canvas(400, 300), Canvas(768, 432), Canvas(960, 480), Canvas(1920, 1080),
            Canvas(432, 768)]  # fmt: skip
SHORT = SlideSpec("Posyandu", "Sabtu, 08.00 WIB di Kantor Desa")


def test_font_is_dejavu_sans_bold() -> None:
    assert bold_font_path().name == "DejaVuSans-Bold.ttf"


@pytest.mark.parametrize("canvas", CANVASES, ids=str)
def test_exact_size_and_big_text(canvas: Canvas) -> None:
    slide = render_slide(SHORT, canvas)
    with Image.open(io.BytesIO(slide.png)) as im:
        assert (im.format, im.size) == ("PNG", (canvas.width, canvas.height))
    assert slide.fits and not slide.warnings
    assert slide.body_px >= min_body_px(canvas)
    assert slide.title_px > slide.body_px


def test_same_input_same_bytes() -> None:
    assert render_slide(SHORT, Canvas(768, 432)).png == render_slide(SHORT, Canvas(768, 432)).png


def test_longer_text_gets_smaller_type() -> None:
    long = SlideSpec("Posyandu", " ".join(["Imunisasi gratis untuk balita"] * 4))
    assert render_slide(long, Canvas(768, 432)).body_px < render_slide(SHORT, Canvas(768, 432)).body_px


def test_long_indonesian_word_is_hyphenated_not_clipped() -> None:
    spec = SlideSpec("Ketidakbertanggungjawaban", "")
    slide = render_slide(spec, Canvas(400, 300))
    assert slide.fits


def test_text_that_cannot_fit_is_cut_with_a_warning() -> None:
    spec = SlideSpec("Pengumuman", "kata " * 400)
    slide = render_slide(spec, Canvas(400, 300))
    assert not slide.fits
    assert slide.body_px == min_body_px(Canvas(400, 300))
    assert "does not fit" in slide.warnings[0] and "400x300" in slide.warnings[0]


def test_image_and_logo(tmp_path: Path) -> None:
    photo, logo = tmp_path / "foto.jpg", tmp_path / "logo.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(photo)
    Image.new("RGBA", (100, 100), (0, 200, 0, 255)).save(logo)
    spec = SlideSpec("Rapat", "Aula Kantor Bupati", image=photo, logo=logo)
    for canvas in (Canvas(960, 480), Canvas(432, 768)):
        slide = render_slide(spec, canvas)
        with Image.open(io.BytesIO(slide.png)) as im:
            colours: set[tuple[int, int, int]] = {c for _, c in im.convert("RGB").getcolors(1 << 20) or []}  # type: ignore[misc]
        assert any(r > 150 and g < 80 for r, g, _b in colours)  # the photo is there
        assert any(g > 150 and r < 80 for r, g, _b in colours)  # and the logo


def test_picture_must_be_an_image(tmp_path: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_text("<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    with pytest.raises(IngestRefused, match="SVG"):
        render_slide(SlideSpec("A", image=bad), Canvas(400, 300))
