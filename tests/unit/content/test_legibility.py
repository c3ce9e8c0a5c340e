"""The legibility rule: measured for text slides, estimated from the scale for pictures."""

from __future__ import annotations

from content.legibility import check_picture, check_text, readable_min_px
from signage.canvas import Canvas

P10 = Canvas(400, 300)
HD = Canvas(1920, 1080)


def test_readable_minimum_follows_the_short_side_with_a_floor() -> None:
    assert readable_min_px(P10) == 12  # 300 / 40 = 7.5: the 12 px floor
    assert readable_min_px(HD) == 27  # 1080 / 40
    assert readable_min_px(Canvas(768, 432)) == 12


def test_a_16_9_poster_on_the_p10_panel_is_flagged_and_passes_on_its_own_screen() -> None:
    small = check_picture(1920, 1080, P10)
    assert not small.ok and not small.measured
    assert small.min_text_px < small.required_px
    assert "letterboxed" in small.warnings[0] and "400x300" in small.warnings[0]
    assert check_picture(1920, 1080, HD).ok
    assert check_picture(400, 300, P10).ok  # a picture designed for the panel passes


def test_a_cut_text_slide_is_flagged_and_a_short_one_passes() -> None:
    cut = check_text("Pengumuman", " ".join(["Warga diminta menjaga kebersihan lingkungan."] * 40), P10)
    assert cut.cut and not cut.ok and any("cut" in w for w in cut.warnings)
    fitting = check_text("Pelayanan KTP Keliling", "Selasa 08.00–14.00 WIB di Kantor Camat", P10)
    assert fitting.ok and fitting.measured and fitting.min_text_px >= 12


def test_a_slide_keeps_its_text_out_of_the_strips_drawn_over_it() -> None:
    """A display with a clock strip on top and a running-text strip below: the text stays between them."""
    import io

    from PIL import Image

    from content.slides import SlideSpec, render_slide

    canvas = Canvas(768, 432)
    long_body = " ".join(["Pelayanan KTP-el keliling di kantor camat setiap Selasa."] * 4)
    free = render_slide(SlideSpec("Pelayanan KTP Elektronik Keliling", long_body), canvas)
    kept = render_slide(SlideSpec("Pelayanan KTP Elektronik Keliling", long_body, safe_top=0.12, safe_bottom=0.12),
                        canvas)

    def inked_rows(png: bytes) -> list[int]:
        with Image.open(io.BytesIO(png)) as image:
            grey = image.convert("L")
            return [y for y in range(grey.height) if grey.crop((0, y, grey.width, y + 1)).getextrema()[1] > 60]

    band = round(432 * 0.12)
    assert min(inked_rows(free.png)) < band or max(inked_rows(free.png)) > 432 - band  # without: under the strips
    rows = inked_rows(kept.png)
    assert min(rows) >= band and max(rows) < 432 - band, (min(rows), max(rows))
