"""The emergency design of a text slide: red band with the header, the issuer and the time; legible at 400x300."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from content.errors import IngestRefused
from content.slides import EMERGENCY_STYLES, SlideSpec, min_body_px, render_slide
from signage.canvas import Canvas

CANVASES = [Canvas(1920, 1080), Canvas(768, 432), Canvas(400, 300), Canvas(432, 768)]
RED = (0xD5, 0x00, 0x00)
AMBER = (0xFF, 0xB3, 0x00)


def emergency(severity: str = "emergency", body: str = "Hindari Jalan Raya Sungai Pinyuh.") -> SlideSpec:
    header = {"emergency": "PERINGATAN DARURAT", "warning": "PERINGATAN"}.get(severity, "X")
    return SlideSpec("Banjir di Sungai Pinyuh", body, style="emergency", severity=severity, header=header,
                     issuer="Pemerintah Kabupaten Mempawah · Diskominfo",
                     issued="Senin, 30 November 2026 · 13.50 WIB")  # fmt: skip


def share(image: Image.Image, rgb: tuple[int, int, int], box: tuple[int, int, int, int]) -> float:
    data = image.crop(box).convert("RGB").tobytes()
    pixels = [data[i : i + 3] for i in range(0, len(data), 3)]
    return sum(1 for p in pixels if max(abs(a - b) for a, b in zip(p, rgb, strict=True)) < 30) / len(pixels)


@pytest.mark.parametrize("canvas", CANVASES, ids=str)
def test_emergency_slide_has_a_red_band_and_readable_text(canvas: Canvas) -> None:
    slide = render_slide(emergency(), canvas)
    image = Image.open(io.BytesIO(slide.png))
    assert image.size == (canvas.width, canvas.height)
    band = (0, 0, canvas.width, round(canvas.height * 0.08))
    assert share(image, RED, band) > 0.6, "the top of an emergency slide is the red band"
    middle = (canvas.width // 4, canvas.height // 3, 3 * canvas.width // 4, 2 * canvas.height // 3)
    assert share(image, RED, middle) < 0.05, "the message is not on red"
    assert slide.fits and slide.body_px >= min_body_px(canvas)


def test_a_normal_slide_of_the_same_text_is_not_red() -> None:
    canvas = Canvas(768, 432)
    normal = Image.open(io.BytesIO(render_slide(SlideSpec("Banjir di Sungai Pinyuh", "x"), canvas).png))
    assert share(normal, RED, (0, 0, canvas.width, 30)) == 0


def test_warning_severity_is_amber() -> None:
    canvas = Canvas(768, 432)
    image = Image.open(io.BytesIO(render_slide(emergency("warning"), canvas).png))
    assert share(image, AMBER, (0, 0, canvas.width, 30)) > 0.6
    assert set(EMERGENCY_STYLES) == {"emergency", "warning"}


def test_header_issuer_and_time_change_the_picture() -> None:
    canvas = Canvas(400, 300)
    base = render_slide(emergency(), canvas).png
    for change in ({"header": "PERINGATAN"}, {"issuer": "Diskominfo"}, {"issued": "Selasa, 1 Desember 2026"}):
        spec = SlideSpec(**{**emergency().__dict__, **change})
        assert render_slide(spec, canvas).png != base, change


def test_emergency_text_that_cannot_fit_is_cut_with_the_warning() -> None:
    slide = render_slide(emergency(body="kata " * 400), Canvas(400, 300))
    assert not slide.fits and "were cut" in slide.warnings[0]


def test_unknown_style_or_severity_is_refused_naming_the_field() -> None:
    with pytest.raises(IngestRefused) as exc:
        render_slide(SlideSpec("x", style="fancy"), Canvas(400, 300))
    assert exc.value.field == "style"
    with pytest.raises(IngestRefused) as exc:
        render_slide(emergency("bencana"), Canvas(400, 300))
    assert exc.value.field == "severity"
