"""Native data slides: rendered offscreen at three canvases, checked through the layout report, saved as PNGs."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from content.sources.model import Series
from content.sources.opensid import series_from_rows
from content.sources.sample import VILLAGE, WILAYAH, opensid_rows
from player.render.dataslide import DataSlideVisual
from player.render.dataslide_layout import bar_rows, format_count, min_text_px, pretty_label, weather_columns
from signage.dataslide import parse_stat

ARTIFACTS = Path(
    os.environ.get("SIGNAGE_TEST_ARTIFACTS", Path(__file__).resolve().parents[3] / "var" / "test-artifacts")
)
CANVASES = [(1920, 1080), (768, 432), (400, 300)]
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 10.00 WIB


def series_json() -> dict[str, dict[str, Any]]:
    out = {}
    for slug, (title, rows, unfilled) in VILLAGE.items():
        pairs: list[tuple[str | None, dict[str, Any]]] = [(None, r) for r in opensid_rows(rows, unfilled)]
        out[slug] = series_from_rows(slug, title, pairs).to_json()
    from content.sources.model import Category

    dusun = tuple(Category(n, m + f, m, f) for n, _, m, f in WILAYAH)
    out["wilayah"] = Series("wilayah", "Penduduk per Dusun", dusun, 5861, 2987, 2874, 0, 1588).to_json()
    villages = (Category("Desa Sungai Bakau", 5861), Category("Desa Antibar", 4120), Category("Desa Pasir", 2310))
    out["desa"] = Series("desa", "Penduduk per Desa", villages, 12291).to_json()
    return out


def stat_data(slide: str, **extra: Any) -> dict[str, Any]:
    return {
        "slide": slide, "place": "Desa Sungai Bakau", "series": series_json(), "series_key": extra.pop("key", ""),
        "top_n": 8, "as_of": "2026-11-27T17:00:00Z", "as_of_precision": "day",
        "checked_at": "2026-11-28T02:30:00Z", "stale_after_s": 6 * 3600, "source_name": "OpenSID Desa Sungai Bakau",
        **extra,
    }  # fmt: skip


SLIDES = {
    "penduduk": stat_data("population"),
    "piramida": stat_data("age"),
    "pendidikan": stat_data("bars", key="pendidikan-dalam-kk", title="Pendidikan dalam KK"),
    "pekerjaan": stat_data("bars", key="pekerjaan", title="Pekerjaan Penduduk"),
    "agama": stat_data("bars", key="agama", title="Agama"),
    "dusun": stat_data("dusun"),
    # (the fifth review) "several villages side by side" drew "Belum ada data": its series was never looked up
    "desa": stat_data("desa", place="Kecamatan Mempawah Hilir"),
    "bantuan": stat_data("bars", key="bantuan-penduduk", title="Penerima Bantuan Sosial"),
    "kecamatan": stat_data(
        "population",
        place="Kecamatan Mempawah Hilir",
        footnote="Belum ada data: Desa Pasir Wan Salim; data lama: Desa Antibar",
    ),
}


def render(data: dict[str, Any], size: tuple[int, int], now: datetime = NOW) -> tuple[QImage, DataSlideVisual]:
    visual = DataSlideVisual(parse_stat(data), lambda: now, "Asia/Pontianak")
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    painter = QPainter(image)
    visual.paint(painter, QRectF(0, 0, size[0], size[1]))
    painter.end()
    return image, visual


@pytest.mark.parametrize("size", CANVASES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SLIDES))
def test_slide_renders_legibly_with_its_numbers(qapp: Any, name: str, size: tuple[int, int]) -> None:
    image, visual = render(SLIDES[name], size)
    ARTIFACTS.joinpath("dataslides").mkdir(parents=True, exist_ok=True)
    assert image.save(str(ARTIFACTS / "dataslides" / f"{name}-{size[0]}x{size[1]}.png"))
    layout = visual.layout(*size)
    assert layout.problems() == []
    texts = [t.text for t in layout.texts]
    assert min(t.px for t in layout.texts) >= min_text_px(size[1])
    assert any(t.startswith("Data per 28 November 2026") for t in texts)
    # whose figures these are, on every canvas (the 400x300 title band has no room for the place)
    place = SLIDES[name]["place"]
    assert not place or any(place in t for t in texts), (place, texts)
    assert "DATA LAMA" not in texts
    if name in ("penduduk", "kecamatan"):
        assert {"5.861", "2.987", "2.874"} <= set(texts)
    if name == "kecamatan":
        assert any(t.startswith("Belum ada data: Desa Pasir") for t in texts)
    if name == "agama":
        assert "4.585" in " ".join(texts) and "Islam" in texts
    if name == "pekerjaan":
        shown = [t for t in texts if t in {pretty_label(c) for c, _, _ in VILLAGE["pekerjaan"][1]} | {"Lainnya"}]
        assert 2 <= len(shown) <= 8 and "Lainnya" in shown  # 13 occupations: top N + the rest
    if name == "bantuan":
        assert "PBI JKN (KIS)" in texts and "1.259" in " ".join(texts)
    if name == "dusun":
        assert {"Sungai Bakau", "Pasir Panjang"} <= set(texts) and "1.773" in " ".join(texts)
    if name == "desa":
        assert "Belum ada data" not in " ".join(texts) and "5.861" in " ".join(texts), texts
    if name == "piramida":
        assert any(t.startswith("Laki-laki 2.987") for t in texts)
    # the picture is not blank: the painter really drew the layout
    assert len({image.pixel(x, y) for x in range(0, size[0], 7) for y in range(0, size[1], 7)}) > 4


def test_small_canvas_shows_fewer_bars_with_bigger_type(qapp: Any) -> None:
    _, big = render(SLIDES["pekerjaan"], (1920, 1080))
    _, small = render(SLIDES["pekerjaan"], (400, 300))
    big_rows = [t for t in big.layout(1920, 1080).texts if t.role == "number"]
    small_rows = [t for t in small.layout(400, 300).texts if t.role == "number"]
    assert len(small_rows) < len(big_rows)
    assert min(t.px for t in small_rows) / 300 > min(t.px for t in big_rows) / 1080  # relative to the canvas


def test_stale_data_is_marked(qapp: Any) -> None:
    later = NOW + timedelta(days=2)
    for size in CANVASES:
        image, visual = render(SLIDES["penduduk"], size, now=later)
        layout = visual.layout(*size)
        assert "DATA LAMA" in [t.text for t in layout.texts] and layout.problems() == []
        image.save(str(ARTIFACTS / "dataslides" / f"penduduk-stale-{size[0]}x{size[1]}.png"))


def test_helpers() -> None:
    assert format_count(97123) == "97.123" and format_count(5) == "5"
    assert pretty_label("PEGAWAI NEGERI SIPIL (PNS)") == "Pegawai Negeri Sipil (PNS)"
    assert pretty_label("PBI JKN (KIS) DAN BPNT") == "PBI JKN (KIS) Dan BPNT"
    assert pretty_label("Kepercayaan Terhadap Tuhan YME / Lainnya") == "Kepercayaan Terhadap Tuhan YME / Lainnya"
    rows = bar_rows([{"label": str(i), "total": 10 - i} for i in range(10)], 4)
    assert rows == [("0", 10), ("1", 9), ("2", 8), ("Lainnya", 7 + 6 + 5 + 4 + 3 + 2 + 1)]


def test_bad_stat_data_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"data\.slide"):
        parse_stat({"slide": "pie", "series": {}})
    with pytest.raises(ValueError, match=r"data\.series"):
        parse_stat({"slide": "bars"})


@pytest.mark.parametrize("size", CANVASES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_prayer_slide(qapp: Any, size: tuple[int, int]) -> None:
    from player.render.dataslide import PrayerVisual
    from signage.dataslide import parse_prayer

    slide = parse_prayer({"lat": 0.3622, "lon": 108.9614, "place": "Mempawah"})
    visual = PrayerVisual(slide, lambda: NOW, "Asia/Pontianak")  # 10.00 WIB: Dzuhur is next
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    painter = QPainter(image)
    visual.paint(painter, QRectF(0, 0, size[0], size[1]))
    painter.end()
    assert image.save(str(ARTIFACTS / "dataslides" / f"sholat-{size[0]}x{size[1]}.png"))
    layout = visual.layout(*size)
    assert layout.problems() == []
    texts = [t.text for t in layout.texts]
    for name in ("Imsak", "Subuh", "Dzuhur", "Ashar", "Maghrib", "Isya"):
        assert name in texts
    highlighted = [t for t in layout.texts if t.color == "#071f49"]
    assert "Dzuhur" in [t.text for t in highlighted]
    with pytest.raises(ValueError, match=r"data\.lat"):
        parse_prayer({"lat": "nol", "lon": 1})


@pytest.mark.parametrize("size", CANVASES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_weather_slide_names_bmkg(qapp: Any, size: tuple[int, int]) -> None:
    from fake_bmkg import forecast_doc

    from content.sources.bmkg import parse_forecast

    forecast = parse_forecast(json.dumps(forecast_doc(datetime(2026, 11, 28, 7, 0))))
    data = stat_data("weather", place=forecast["place"], forecast=forecast, series={}, source_name="BMKG",
                     as_of="2026-11-27T12:00:00Z", as_of_precision="minute")  # fmt: skip
    image, visual = render(data, size)
    assert image.save(str(ARTIFACTS / "dataslides" / f"cuaca-{size[0]}x{size[1]}.png"))
    layout = visual.layout(*size)
    assert layout.problems() == []
    texts = [t.text for t in layout.texts]
    assert any(t.startswith("Sumber: BMKG") for t in texts)
    assert "10.00" in texts and "Berawan" in texts  # 10.00 WIB is the current step
    shown = sum(t.endswith("°C") for t in texts)
    assert 2 <= shown <= weather_columns(size[0])
    assert not any(t.elided for t in layout.texts)  # descriptions are whole: fewer columns rather than "Hujan Se…"


STRIPS = [(1920, 86), (768, 40), (400, 24)]


@pytest.mark.parametrize("size", STRIPS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overlay_strips_through_the_presenter(qapp: Any, size: tuple[int, int]) -> None:
    """A prayer or weather item in an overlay zone is a one-line strip; the main zone gets the full slide."""
    from fake_bmkg import forecast_doc

    from content.sources.bmkg import parse_forecast
    from player.render.dataslide import DataSlideVisual, PrayerVisual, StripVisual
    from player.render.presenter import ZonePresenter
    from player.runner import Cue
    from signage.manifest import Item

    forecast = parse_forecast(json.dumps(forecast_doc(datetime(2026, 11, 28, 7, 0))))
    items = {
        "sholat": Item("sholat", "prayer", 10, data={"lat": 0.3622, "lon": 108.9614, "place": "Mempawah"}),
        "cuaca": Item("cuaca", "stat", 10, data=stat_data("weather", place="Antibar", forecast=forecast, series={})),
    }
    for name, item in items.items():
        strip_zone = ZonePresenter("ticker", lambda m: Path("/none"), lambda: NOW, "Asia/Pontianak", overlay=True)
        main_zone = ZonePresenter("main", lambda m: Path("/none"), lambda: NOW, "Asia/Pontianak")
        cue = Cue("x", "playing", item, NOW, NOW + timedelta(seconds=10), "manifest")
        strip, full = strip_zone._visual_for(cue), main_zone._visual_for(cue)
        assert isinstance(strip, StripVisual) and isinstance(full, PrayerVisual | DataSlideVisual)
        image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
        painter = QPainter(image)
        strip.paint(painter, QRectF(0, 0, size[0], size[1]))
        painter.end()
        image.save(str(ARTIFACTS / "dataslides" / f"strip-{name}-{size[0]}x{size[1]}.png"))
        layout = strip.layout(*size)
        assert layout.problems() == []
        texts = " ".join(t.text for t in layout.texts)
        if name == "sholat":
            assert "Dzuhur 11.34" in texts  # the next prayer at 10.00 WIB, never dropped
            assert next(t.text for t in layout.texts if t.color == "#f2c230").startswith("Dzuhur")
        else:
            assert "BMKG" in texts and "27°C" in texts
        for presenter in (strip_zone, main_zone):
            presenter.shutdown()


def test_strip_keeps_the_highlighted_part_when_space_runs_out() -> None:
    from player.render.dataslide_layout import ACCENT, WHITE, layout_strip

    parts = [("Jadwal Sholat Mempawah", WHITE), ("Subuh 04.08", WHITE), ("Dzuhur 11.34", WHITE),
             ("Ashar 14.59", WHITE), ("Maghrib 17.37", WHITE), ("Isya 18.51", ACCENT)]  # fmt: skip
    layout = layout_strip(parts, 200, 24, lambda text, px, bold: len(text) * px * 0.6)
    texts = [t.text.strip(" ·") for t in layout.texts]
    assert "Isya 18.51" in texts and len(texts) < len(parts)
    assert layout.problems() == []


def test_data_slide_keeps_its_title_and_age_out_from_under_the_strips(qapp: Any) -> None:
    """With a clock strip on top and a running-text strip below, the slide is laid out between them."""
    from player.render.items import still_visual
    from player.render.visuals import SafeAreaVisual
    from signage.manifest import Item

    item = Item("penduduk", "stat", 10, data=SLIDES["penduduk"])
    made = still_visual(item, media_path=lambda ref: Path("/nonexistent"), clock=lambda: NOW,
                        timezone="Asia/Pontianak", language="id", overlay=False, elapsed_s=lambda: 0.0,
                        safe_area=(0.12, 0.12))
    assert made.failure is None and isinstance(made.visual, SafeAreaVisual)
    image = QImage(768, 432, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    made.visual.paint(painter, QRectF(0, 0, 768, 432))
    painter.end()
    inner = made.visual.inner
    assert isinstance(inner, DataSlideVisual)
    laid_out = inner.layout(768, 432 - 2 * round(432 * 0.12))
    assert laid_out is inner._cache[1]  # painted in the band between the strips, not over the full zone
    assert laid_out.height == 432 - 2 * round(432 * 0.12) and laid_out.problems() == []
    assert any("Data per" in op.text for op in laid_out.texts)


def test_prayer_slide_and_strip_are_laid_out_once_a_minute_not_per_paint(qapp: Any) -> None:
    """Regression (#13 item 8): PrayerVisual and StripVisual computed the prayer times and laid out again on every
    paint (30 a second during a crossfade, on the GUI thread). Now once per minute and zone size; the next
    prayer is still highlighted as the minute turns."""
    from player.render.dataslide import PrayerVisual, prayer_strip
    from signage.dataslide import parse_prayer

    slide = parse_prayer({"lat": 0.3622, "lon": 108.9614, "place": "Mempawah"})
    now = [NOW]
    full = PrayerVisual(slide, lambda: now[0], "Asia/Pontianak")
    strip = prayer_strip(slide, lambda: now[0], "Asia/Pontianak")
    image = QImage(480, 270, QImage.Format.Format_RGB32)
    for _ in range(30):  # one second of a crossfade
        now[0] += timedelta(milliseconds=33)
        painter = QPainter(image)
        full.paint(painter, QRectF(0, 0, 480, 270))
        strip.paint(painter, QRectF(0, 240, 480, 30))
        painter.end()
    assert (full.layouts_made, strip.layouts_made) == (1, 1)
    full.layout(640, 360)
    assert full.layouts_made == 2  # another zone size: laid out again
    dzuhur = next(t for t in full.layout(480, 270).texts if t.text == "Dzuhur")
    assert dzuhur.color == "#071f49"  # 10.00 WIB: Dzuhur is next
    now[0] = NOW.replace(hour=7)  # 14.00 WIB: past Dzuhur, a new minute
    assert next(t for t in full.layout(480, 270).texts if t.text == "Dzuhur").color != "#071f49"
