"""The Mempawah demo looks like a real installation: layout with running text and clock, posters
that keep those strips free and their text inside the frame, an animated clip instead of colour bars,
and an image announcement whose body never reaches the screen."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFont
from tests_support import latest_manifest

from scheduler.demo_data import load_demo_file
from scheduler.demo_media import BOTTOM_BAND, CLOCK_LEFT, SMALL_CANVAS_MAX_H, TOP_BAND, PosterSpec, render_poster
from scheduler.legibility import check_announcement

DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
TICKER_SEPARATOR = "   •   "  # player.render.visuals.TickerVisual.SEPARATOR


def poster_specs() -> list[tuple[str, PosterSpec, tuple[int, int]]]:
    out = []
    for ann in load_demo_file()["announcements"]:
        spec = dict(ann.get("generate") or {})
        if spec.pop("type", None) == "poster":
            width, height = spec.pop("size")
            out.append((ann["title"], PosterSpec(**{**spec, "lines": tuple(spec.get("lines", ()))}), (width, height)))
    return out


def uniform(img: Image.Image, box: tuple[int, int, int, int]) -> bool:
    colours = img.crop(box).getcolors(maxcolors=1)
    return colours is not None


def rows_uniform(img: Image.Image, x0: int, x1: int, y0: int, y1: int) -> bool:
    """Each row of the band x0..x1 is one colour (the vertical gradient only: no text there)."""
    return all(uniform(img, (x0, y, x1, y + 1)) for y in range(y0, y1))


def test_demo_displays_have_running_text_and_a_clock_without_warnings(demo_service: Any) -> None:
    service = demo_service
    expected = {"kantor-bupati": {"main", "ticker", "clock"}, "kec-sungai-pinyuh": {"main", "ticker", "clock"},
                "desa-antibar": {"main", "ticker"}}  # fmt: skip
    font_path = Path(DEJAVU_BOLD)
    service.publisher.publish_all()  # compiles every display again, noting its warnings
    for display_id, zones in expected.items():
        manifest = latest_manifest(service, display_id)
        assert {z["id"] for z in manifest["layouts"]["default"]} == zones
        assert service.publisher.warnings[display_id] == []  # no overlay aimed at a zone the display lacks
        by_zone: dict[str, set[str]] = {}
        for segment in manifest["timeline"]:
            by_zone.setdefault(segment["zone"], set()).update(segment["loop"])
        tickers = [manifest["items"][i] for i in by_zone["ticker"]]
        lines = " ".join(f"{t['text']['title']} — {t['text']['body']}" for t in tickers)
        assert {t["type"] for t in tickers} == {"ticker"} and "Waspada banjir rob" in lines and "PBB-P2" in lines
        if "clock" in zones:
            assert {manifest["items"][i]["type"] for i in by_zone["clock"]} == {"clock"}
        # each line has the time to scroll across the strip once (speed and size as TickerVisual draws them)
        width, height = manifest["canvas"]["width"], manifest["canvas"]["height"]
        strip_h = height * BOTTOM_BAND
        px = max(8, int(strip_h * 0.6))
        speed_px_s = max(60.0, strip_h * 1.6)
        face = ImageFont.truetype(str(font_path), px) if font_path.exists() else None
        for ticker in tickers:
            content = f"{ticker['text']['title']} — {ticker['text']['body']}{TICKER_SEPARATOR}"
            text_w = face.getlength(content) if face else len(content) * px * 0.65
            assert ticker["duration_s"] >= (text_w + width) / speed_px_s, (display_id, ticker["title"])


@pytest.mark.parametrize(("title", "spec", "size"), poster_specs(), ids=lambda v: v if isinstance(v, str) else "")
def test_demo_posters_keep_the_strips_free_and_their_text_inside_the_frame(
    title: str, spec: PosterSpec, size: tuple[int, int]
) -> None:
    check_poster(render_poster(spec, size))


@pytest.mark.parametrize("size", [(1920, 1080), (768, 432), (400, 300)])
def test_a_long_subtitle_wraps_inside_the_frame(size: tuple[int, int]) -> None:
    long_line = "Ritual tolak bala dan arak-arakan perahu bidar sepanjang Sungai Mempawah sampai ke muara " * 2
    check_poster(render_poster(PosterSpec("Dinas Pariwisata dan Kebudayaan", "Festival Budaya Robo-Robo",
                                          (long_line, long_line), "Dermaga Mempawah Hilir"), size))  # fmt: skip


def check_poster(img: Image.Image) -> None:
    width, height = img.size
    bottom_y = round(height * (1 - BOTTOM_BAND))
    assert uniform(img, (0, bottom_y + 1, width, height)), "text under the running-text strip"
    if height >= SMALL_CANVAS_MAX_H:
        assert uniform(img, (round(width * CLOCK_LEFT) + 1, 0, width, round(height * TOP_BAND))), "text under the clock"
    margin = round(width * 0.05)
    top = round(height * TOP_BAND) + max(2, height // 180) + 1
    assert rows_uniform(img, 0, margin - 1, top, bottom_y), "text runs into the left edge"
    assert rows_uniform(img, width - margin + 1, width, top, bottom_y), "text runs into the right edge"


def test_the_p10_poster_is_legible_on_its_panel(demo_service: Any) -> None:
    service = demo_service
    ann = next(service.db.table("announcements").rows_where("title = 'Posyandu Balita Desa Antibar'"))
    [report] = check_announcement(service.db, ann)
    assert report["canvas"] == "400x300" and report["warnings"] == []


def pixels(img: Image.Image) -> list[tuple[int, int, int]]:
    data = img.convert("RGB").tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


def bright(img: Image.Image) -> int:
    """Pixels that are near white."""
    return sum(1 for r, g, b in pixels(img) if min(r, g, b) > 210)


def frame_at(path: Path, at_s: float) -> Image.Image:
    png = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-ss", str(at_s), "-i", str(path), "-frames:v", "1", "-f", "image2pipe",
         "-vcodec", "png", "-"], check=True, capture_output=True,
    ).stdout  # fmt: skip
    with Image.open(io.BytesIO(png)) as opened:
        return opened.convert("RGB")


def test_demo_video_is_an_animated_public_information_clip(demo_service: Any) -> None:
    service = demo_service
    video = next(service.db.table("announcements").rows_where("kind = 'video'"))
    media = service.db.table("media").get(video["media_sha256"])
    assert media["duration_s"] == pytest.approx(7.0, abs=0.2)
    path = service.media.path_for(video["media_sha256"])
    early, late = frame_at(path, 0.5), frame_at(path, 6.5)
    width, height = late.size
    header = late.crop((0, 0, round(width * CLOCK_LEFT), round(height * TOP_BAND * 0.9))).convert("L")
    assert sum(header.tobytes()) / (header.width * header.height) < 90  # the office's dark header band
    title_band = late.crop((0, round(height * 0.15), width, round(height * 0.3)))
    yellow = sum(1 for r, g, b in pixels(title_band) if r > 200 and g > 160 and b < 140)
    assert yellow > title_band.width * title_band.height * 0.02  # the yellow headline
    cards = late.crop((round(width * 0.3), round(height * 0.35), round(width * 0.7), round(height * 0.72)))
    white = bright(cards)
    assert white > cards.width * cards.height * 0.3  # the three step cards have slid in by the end
    early_cards = early.crop((round(width * 0.3), round(height * 0.35), round(width * 0.7), round(height * 0.72)))
    assert bright(early_cards) < white / 4  # not there yet at the start


def test_an_image_announcements_body_never_reaches_the_screen(demo_service: Any) -> None:
    service = demo_service
    for ann in service.db.table("announcements").rows_where("kind in ('image', 'video') and status = 'approved'"):
        assert ann["body"]  # the demo keeps a note for the approver ...
        for display_id in ("kantor-bupati", "kec-sungai-pinyuh", "desa-antibar"):
            item = latest_manifest(service, display_id)["items"].get(f"ann-{ann['id']}")
            if item is not None:  # ... that no player receives
                assert "text" not in item and ann["body"] not in json.dumps(item), (display_id, ann["title"])
