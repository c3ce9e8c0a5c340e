"""What a native data slide draws where: plain Python, no Qt.

:func:`layout_stat` turns a :class:`~signage.dataslide.StatSlide` and a canvas
size into drawing operations (rectangles and text boxes with a pixel size), using
a ``measure(text, px, bold) -> width`` function supplied by the renderer, so the
QPainter code only paints and a test can read the :class:`Layout` report:
which texts are on screen, at what pixel height, and whether anything is
clipped or too small.

Design: white and yellow on deep blue, men light blue, women pink; one big
message per slide; fewer bars and bigger type on small canvases (categories
merge or fold into "Lainnya"), never text below ``min_text_px``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date

from signage.clock import zone
from signage.dataslide import StatSlide
from signage.prayer import PrayerDay
from signage.timefmt import zone_abbreviation

Measure = Callable[[str, int, bool], float]

BG = "#0b2f6b"
BG_DARK = "#071f49"
WHITE = "#ffffff"
SOFT = "#c9d6ee"
ACCENT = "#f2c230"
MALE = "#5ec8f2"
FEMALE = "#f49ac1"
BAR = "#f2c230"
TRACK = "#15408a"
STALE = "#c62828"
LINE = 1.25  # a text box is at least this many times its pixel size high
ELLIPSIS = "…"

KEEP_UPPER = {"SD", "SLTP", "SLTA", "SMP", "SMA", "KK", "PNS", "TNI", "POLRI", "RI", "YME", "II", "III", "IV", "KB",
              "KTP", "KIA", "BPJS", "S.", "D3", "S1", "S2", "S3", "TK", "RT", "RW", "PBI", "KIS", "KIP", "JKN",
              "PKH", "BLT", "BPNT", "PAUD", "WNI", "WNA", "BUMDES"}  # fmt: skip


def min_text_px(height: int) -> int:
    """The smallest type allowed on a canvas this high (about 1/28 of its height, never below 11 px)."""
    return max(11, round(height / 28))


def format_count(value: int) -> str:
    return ("-" if value < 0 else "") + f"{abs(value):,}".replace(",", ".")


def format_percent(part: int, whole: int) -> str:
    return (f"{100 * part / whole:.1f}" if whole else "0.0").replace(".", ",") + "%"


def pretty_label(label: str) -> str:
    """``"PETANI/PEKEBUN"`` -> ``"Petani/Pekebun"``; mixed-case labels are kept; acronyms stay upper case."""
    label = " ".join(label.split())
    if label != label.upper():
        return label

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        acronym = token in KEEP_UPPER or (len(token) > 1 and not re.search(r"[AEIOU]", token))
        return token if acronym else token.capitalize()

    return re.sub(r"[A-Z0-9.]+", word, label)


def age_label(label: str) -> str:
    """``"10 s/d 14 Tahun"`` -> ``"10–14"``; ``"Di atas 75 Tahun"`` -> ``"75+"``; ``"Di bawah 1 Tahun"`` -> ``"<1"``."""
    numbers = re.findall(r"\d+", label)
    lower = label.lower()
    if "atas" in lower and numbers:
        return f"{numbers[0]}+"
    if "bawah" in lower and numbers:
        return f"<{numbers[0]}"
    if len(numbers) >= 2:
        return f"{numbers[0]}–{numbers[1]}"
    return label


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    color: str


@dataclass(frozen=True)
class Text:
    text: str
    x: float
    y: float
    w: float
    h: float
    px: int
    color: str
    bold: bool = False
    align: str = "left"  # left | center | right
    role: str = "label"  # title | number | label | footer
    width_px: float = 0.0  # measured width of ``text`` at ``px``
    elided: bool = False


@dataclass
class Layout:
    width: int
    height: int
    min_px: int
    ops: list[Rect | Text] = field(default_factory=list)

    @property
    def texts(self) -> list[Text]:
        return [op for op in self.ops if isinstance(op, Text)]

    def problems(self) -> list[str]:
        """Clipped or illegible text; empty on a good layout."""
        out = []
        for t in self.texts:
            if t.x < -0.5 or t.y < -0.5 or t.x + t.w > self.width + 0.5 or t.y + t.h > self.height + 0.5:
                out.append(f"{t.text!r}: box outside the canvas")
            if t.width_px > t.w + 0.5:
                out.append(f"{t.text!r}: {t.width_px:.0f} px wide in a {t.w:.0f} px box")
            if t.px * LINE > t.h + 0.5:
                out.append(f"{t.text!r}: {t.px} px type in a {t.h:.0f} px high box")
            if t.px < self.min_px:
                out.append(f"{t.text!r}: {t.px} px type, below the {self.min_px} px minimum")
            if t.elided and t.role == "number":
                out.append(f"{t.text!r}: a number was shortened")
        return out


class _Painter:
    """Adds fitted text and rectangles to a layout."""

    def __init__(self, layout: Layout, measure: Measure) -> None:
        self.layout = layout
        self.measure = measure

    def rect(self, x: float, y: float, w: float, h: float, color: str) -> None:
        if w > 0 and h > 0:
            self.layout.ops.append(Rect(x, y, w, h, color))

    def fit_px(self, text: str, w: float, h: float, bold: bool, max_px: float | None = None) -> int:
        """The largest pixel size at which ``text`` fits ``w`` x ``h`` (may be below the minimum)."""
        high = int(min(h / LINE, max_px if max_px is not None else h))
        low = 1
        best = 1
        while low <= high:
            mid = (low + high) // 2
            if self.measure(text, mid, bold) <= w:
                best, low = mid, mid + 1
            else:
                high = mid - 1
        return best

    def text(
        self, text: str, x: float, y: float, w: float, h: float, *, color: str = WHITE, bold: bool = False,
        align: str = "left", role: str = "label", max_px: float | None = None, px: int | None = None,
    ) -> Text:  # fmt: skip
        """Place ``text`` in the box at the largest size that fits (or ``px``); labels are shortened with an
        ellipsis rather than drawn below the minimum size."""
        minimum = self.layout.min_px
        size = px if px is not None else self.fit_px(text, w, h, bold, max_px)
        size = max(size, min(minimum, int(h / LINE)))
        elided = False
        if self.measure(text, size, bold) > w:
            size = max(min(size, minimum), self.fit_px(text, w, h, bold, size))  # shrink, but not below the minimum
            if self.measure(text, size, bold) > w and role != "number":
                while len(text) > 1 and self.measure(text + ELLIPSIS, size, bold) > w:
                    text = text[:-1].rstrip()
                text += ELLIPSIS
                elided = True
        op = Text(text, x, y, w, h, size, color, bold, align, role, self.measure(text, size, bold), elided)
        self.layout.ops.append(op)
        return op


def _as_of_text(slide: StatSlide, tz_name: str) -> str:
    moment = slide.as_of or slide.checked_at
    local = moment.astimezone(zone(tz_name))
    text = "Data per " + format_date(local.date(), format="d MMMM y", locale="id")
    if slide.as_of is None or slide.as_of_precision == "minute":
        text += f" {local:%H}.{local:%M} {zone_abbreviation(tz_name, moment)}"
    return text


def _frame(p: _Painter, title: str, place: str, footer: str, stale: bool) -> tuple[float, float, float, float]:
    """Background, title band and footer; returns the content box (x, y, w, h)."""
    W, H = p.layout.width, p.layout.height
    margin = max(8.0, round(min(W, H * 16 / 9) * 0.035))
    p.rect(0, 0, W, H, BG)
    head_h = max(p.layout.min_px * LINE * 1.6, H * 0.15)
    foot_h = max(p.layout.min_px * LINE * 1.3, H * 0.085)
    p.rect(0, 0, W, head_h, BG_DARK)
    p.rect(0, head_h - max(2, H * 0.006), W, max(2, H * 0.006), ACCENT)
    place_w = (W - 2 * margin) * 0.38 if place and W >= 700 else 0.0
    p.text(title, margin, head_h * 0.12, W - 2 * margin - place_w, head_h * 0.76, bold=True, role="title",
           max_px=H * 0.085)  # fmt: skip
    if place_w:
        p.text(place, W - margin - place_w, head_h * 0.2, place_w, head_h * 0.6, color=ACCENT, align="right",
               role="title", max_px=H * 0.05)  # fmt: skip
    p.rect(0, H - foot_h, W, foot_h, BG_DARK)
    chip_w = 0.0
    if stale:
        chip = "DATA LAMA"
        chip_px = max(p.layout.min_px, min(int(foot_h * 0.55), int(foot_h * 0.8 / LINE)))
        chip_w = p.measure(chip, chip_px, True) + 2 * margin * 0.6
        p.rect(W - chip_w, H - foot_h, chip_w, foot_h, STALE)
        p.text(chip, W - chip_w, H - foot_h + (foot_h - chip_px * LINE) / 2, chip_w, chip_px * LINE, bold=True,
               align="center", role="footer", px=chip_px)  # fmt: skip
    p.text(footer, margin, H - foot_h + foot_h * 0.12, W - 2 * margin - chip_w, foot_h * 0.76, color=SOFT,
           role="footer", max_px=H * 0.042)  # fmt: skip
    top = head_h + margin * 0.8
    return margin, top, W - 2 * margin, H - foot_h - margin * 0.8 - top


def _stat_footer(slide: StatSlide, tz_name: str, width: int) -> str:
    if slide.slide == "weather":  # BMKG requires its name on screen, on every canvas
        return "Sumber: BMKG · " + _as_of_text(slide, tz_name).replace("Data per", "diperbarui", 1)
    footer = _as_of_text(slide, tz_name)
    if slide.source_name and width >= 700:
        footer += f" · Sumber: {slide.source_name}"
    elif slide.place:  # no room for the place in the title band: whose figures these are still shows
        footer += f" · {slide.place}"
    return footer


def _population(p: _Painter, slide: StatSlide, box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    series = slide.series.get("jenis-kelamin") or slide.series.get("wilayah") or {}
    total = int(series.get("total") or sum(c["total"] for c in series.get("categories", [])))
    male = int(series.get("total_male") or 0)
    female = int(series.get("total_female") or 0)
    households = (slide.series.get("wilayah") or {}).get("households")
    caption = "jiwa" + (f" · {format_count(int(households))} KK" if households else "")
    p.text(format_count(total), x, y, w, h * 0.42, color=ACCENT, bold=True, align="center", role="number")
    p.text(caption, x, y + h * 0.42, w, h * 0.13, color=SOFT, align="center", max_px=h * 0.09)
    row_y, row_h = y + h * 0.58, h * 0.24
    half = w / 2
    gap = w * 0.03
    for i, (label, value, color) in enumerate((("Laki-laki", male, MALE), ("Perempuan", female, FEMALE))):
        cx = x + i * half + (gap / 2 if i else 0)
        cw = half - gap / 2
        p.text(label, cx, row_y, cw, row_h * 0.38, color=color, align="center", max_px=row_h * 0.3)
        p.text(format_count(value), cx, row_y + row_h * 0.38, cw, row_h * 0.62, color=color, bold=True,
               align="center", role="number")  # fmt: skip
    bar_y, bar_h = y + h * 0.86, h * 0.14
    if total > 0 and male + female > 0:
        male_w = w * male / (male + female)
        p.rect(x, bar_y, male_w, bar_h, MALE)
        p.rect(x + male_w, bar_y, w - male_w, bar_h, FEMALE)
        for text, bx, bw in ((format_percent(male, male + female), x, male_w),
                             (format_percent(female, male + female), x + male_w, w - male_w)):  # fmt: skip
            px = p.fit_px(text, bw * 0.9, bar_h * 0.9, True)
            if px >= p.layout.min_px:
                p.text(text, bx, bar_y + bar_h * 0.05, bw, bar_h * 0.9, color=BG_DARK, bold=True, align="center",
                       role="number", px=px)  # fmt: skip


def _merge_pairs(rows: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    merged = []
    for i in range(0, len(rows), 2):
        pair = rows[i : i + 2]
        first, last = pair[0][0], pair[-1][0]
        lo = first.split("–")[0].lstrip("<")
        hi = last.split("–")[-1]
        label = last if last.endswith("+") and len(pair) == 1 else (f"{lo}+" if hi.endswith("+") else f"{lo}–{hi}")
        merged.append((label, sum(r[1] for r in pair), sum(r[2] for r in pair)))
    return merged


def _age(p: _Painter, slide: StatSlide, box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    series = slide.series.get("rentang-umur") or {}
    rows = [(age_label(str(c["label"])), int(c.get("male") or 0), int(c.get("female") or 0))
            for c in series.get("categories", [])]  # fmt: skip
    legend_h = max(p.layout.min_px * LINE, h * 0.11)
    male_total = sum(r[1] for r in rows)
    female_total = sum(r[2] for r in rows)
    p.text(f"Laki-laki {format_count(male_total)}", x, y, w * 0.48, legend_h, color=MALE, bold=True, role="number")
    p.text(f"Perempuan {format_count(female_total)}", x + w * 0.52, y, w * 0.48, legend_h, color=FEMALE, bold=True,
           align="right", role="number")  # fmt: skip
    top = y + legend_h + h * 0.03
    area_h = y + h - top
    min_row_h = p.layout.min_px * LINE * 1.1
    while len(rows) > 1 and area_h / len(rows) < min_row_h:
        rows = _merge_pairs(rows)
    if not rows:
        return
    row_h = area_h / len(rows)
    label_px = max(p.layout.min_px, min(int(row_h * 0.62 / LINE * LINE), int(row_h / LINE)))
    label_w = max(p.measure(r[0], label_px, True) for r in rows) + label_px
    value_w = p.measure(format_count(max(max(r[1], r[2]) for r in rows)), label_px, False) + label_px * 0.6
    centre = x + w / 2
    half = (w - label_w) / 2
    bar_room = max(1.0, half - value_w)
    biggest = max(1, max(max(r[1], r[2]) for r in rows))
    for i, (label, male, female) in enumerate(reversed(rows)):  # oldest at the top
        ry = top + i * row_h
        bar_h = row_h * 0.78
        by = ry + (row_h - bar_h) / 2
        male_w = bar_room * male / biggest
        female_w = bar_room * female / biggest
        p.rect(centre - label_w / 2 - male_w, by, male_w, bar_h, MALE)
        p.rect(centre + label_w / 2, by, female_w, bar_h, FEMALE)
        text_y = ry + (row_h - label_px * LINE) / 2
        p.text(label, centre - label_w / 2, text_y, label_w, label_px * LINE, bold=True, align="center",
               px=label_px)  # fmt: skip
        p.text(format_count(male), centre - label_w / 2 - male_w - value_w, text_y, value_w - label_px * 0.2,
               label_px * LINE, color=SOFT, align="right", role="number", px=label_px)  # fmt: skip
        p.text(format_count(female), centre + label_w / 2 + female_w + label_px * 0.2, text_y,
               value_w - label_px * 0.2, label_px * LINE, color=SOFT, role="number", px=label_px)  # fmt: skip


def max_bars(height: int) -> int:
    """Bars a canvas this high shows: 8 on full HD, 5 on 768x432, 4 on a 400x300 P10."""
    return min(8, max(3, int(height / 75)))


def bar_rows(categories: list[dict[str, Any]], limit: int) -> list[tuple[str, int]]:
    """Largest first, zero rows dropped; beyond ``limit`` rows the rest fold into "Lainnya"."""
    rows = sorted(((pretty_label(str(c["label"])), int(c["total"])) for c in categories if int(c["total"]) > 0),
                  key=lambda r: -r[1])  # fmt: skip
    limit = max(1, limit)
    if len(rows) > limit:
        rows = [*rows[: limit - 1], ("Lainnya", sum(r[1] for r in rows[limit - 1 :]))]
    return rows


def _bars(p: _Painter, slide: StatSlide, box: tuple[float, float, float, float], series: dict[str, Any]) -> None:
    x, y, w, h = box
    total = int(series.get("total") or sum(int(c["total"]) for c in series.get("categories", [])))
    rows = bar_rows(series.get("categories", []), min(slide.top_n, max_bars(p.layout.height)))
    if slide.slide in ("dusun", "desa"):  # the title already says "per Dusun" / "per Desa"
        rows = [(re.sub(r"^(dusun|desa)\s+", "", label, flags=re.IGNORECASE), value) for label, value in rows]
    if not rows:
        p.text("Belum ada data", x, y, w, h * 0.3, color=SOFT, align="center")
        return
    row_h = min(h / len(rows), h / 3.2)
    px = max(p.layout.min_px, min(int(row_h * 0.5), int(row_h / LINE)))
    narrow = w < 560
    values = [format_count(v) + ("" if narrow else f"  {format_percent(v, total)}") for _, v in rows]
    value_w = max(p.measure(v, px, True) for v in values) + px * 0.6
    label_w = min(w * (0.42 if narrow else 0.36), max(p.measure(r[0], px, False) for r in rows) + px * 0.6)
    label_px = max(p.layout.min_px, min(p.fit_px(label, label_w - px * 0.4, px * LINE, False, px) for label, _ in rows))
    bar_x = x + label_w
    bar_room = max(1.0, w - label_w - value_w)
    biggest = max(v for _, v in rows)
    for i, ((label, value), value_text) in enumerate(zip(rows, values, strict=True)):
        ry = y + i * row_h
        text_y = ry + (row_h - px * LINE) / 2
        p.text(label, x, text_y, label_w - px * 0.4, px * LINE, px=label_px)
        p.rect(bar_x, ry + row_h * 0.18, bar_room, row_h * 0.64, TRACK)
        bar_w = bar_room * value / biggest
        p.rect(bar_x, ry + row_h * 0.18, bar_w, row_h * 0.64, SOFT if label == "Lainnya" else BAR)
        p.text(value_text, bar_x + bar_room + px * 0.3, text_y, value_w - px * 0.3, px * LINE, bold=True,
               role="number", px=px)  # fmt: skip


DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def weather_columns(width: int) -> int:
    """At most this many forecast steps side by side: 6 on full HD, 5 on 768 px, 3 on a 400 px P10."""
    return max(2, min(6, width // 130))


def _fitting_columns(p: _Painter, width: float, descs: list[str]) -> int:
    """The most columns (up to :func:`weather_columns`) whose descriptions fit at the minimum type size."""
    for n in range(min(len(descs), weather_columns(p.layout.width)), 1, -1):
        if max(p.measure(d, p.layout.min_px, False) for d in descs[:n]) <= width / n * 0.9:
            return n
    return 1


def _weather(p: _Painter, slide: StatSlide, box: tuple[float, float, float, float], now: datetime,
             tz_name: str) -> None:  # fmt: skip
    x, y, w, h = box
    steps = (slide.forecast or {}).get("steps") or []
    local_now = now.astimezone(zone(tz_name)).replace(tzinfo=None)
    upcoming = [s for s in steps if datetime.fromisoformat(str(s["local_datetime"])) > local_now - timedelta(hours=3)]
    shown = upcoming[: _fitting_columns(p, w, [str(s.get("weather_desc") or "-") for s in upcoming])]
    if not shown:
        p.text("Belum ada prakiraan", x, y, w, h * 0.3, color=SOFT, align="center")
        return
    col_w = w / len(shown)
    labels = []
    for step in shown:
        moment = datetime.fromisoformat(str(step["local_datetime"]))
        offset_days = (moment.date() - local_now.date()).days
        day = "" if offset_days == 0 else "Besok " if offset_days == 1 else f"{DAYS_ID[moment.weekday()]} "
        labels.append(f"{day}{moment:%H}.{moment:%M}")
    descs = [str(step.get("weather_desc") or "-") for step in shown]
    temps = [f"{round(float(step['t']))}°C" for step in shown]
    details = [f"RH {round(float(step['hu']))}%" if step.get("hu") is not None else "" for step in shown]
    winds = [f"{round(float(step['ws']))} km/j" if step.get("ws") is not None else "" for step in shown]
    inner = col_w * 0.9
    time_px = min(p.fit_px(t, inner, h * 0.13, True) for t in labels)
    desc_px = min(p.fit_px(d, inner, h * 0.12, False) for d in descs)
    temp_px = min(p.fit_px(t, inner, h * 0.3, True) for t in temps)
    small_px = min(p.fit_px(d or "RH 100%", inner, h * 0.1, False) for d in [*details, *winds])
    for i in range(len(shown)):
        cx = x + i * col_w + col_w * 0.05
        if i:
            p.rect(x + i * col_w, y + h * 0.05, max(1.0, p.layout.height / 540), h * 0.9, TRACK)
        p.text(labels[i], cx, y, inner, h * 0.15, color=ACCENT, bold=True, align="center", role="number",
               px=time_px)  # fmt: skip
        p.text(descs[i], cx, y + h * 0.17, inner, h * 0.14, align="center", px=desc_px)
        p.text(temps[i], cx, y + h * 0.33, inner, h * 0.34, bold=True, align="center", role="number", px=temp_px)
        if details[i]:
            p.text(details[i], cx, y + h * 0.7, inner, h * 0.14, color=SOFT, align="center", role="number",
                   px=small_px)  # fmt: skip
        if winds[i]:
            p.text(winds[i], cx, y + h * 0.85, inner, h * 0.14, color=SOFT, align="center", role="number",
                   px=small_px)  # fmt: skip


def layout_stat(slide: StatSlide, width: int, height: int, now: datetime, tz_name: str, measure: Measure) -> Layout:
    layout = Layout(width, height, min_text_px(height))
    p = _Painter(layout, measure)
    main = slide.main_series() or {}
    default_title = {"weather": "Prakiraan Cuaca", "population": "Jumlah Penduduk", "age": "Piramida Penduduk",
                     "dusun": "Penduduk per Dusun", "desa": "Penduduk per Desa"}  # fmt: skip
    title = slide.title or default_title.get(slide.slide) or str(main.get("title") or "Statistik")
    box = _frame(p, title, slide.place, _stat_footer(slide, tz_name, width), slide.is_stale(now))
    if slide.footnote:
        x, y, w, h = box
        note_h = layout.min_px * LINE
        p.text(slide.footnote, x, y + h - note_h, w, note_h, color=ACCENT, role="footer", px=layout.min_px)
        box = (x, y, w, h - note_h * 1.4)
    if slide.slide == "weather":
        _weather(p, slide, box, now, tz_name)
    elif slide.slide == "population":
        _population(p, slide, box)
    elif slide.slide == "age":
        _age(p, slide, box)
    else:
        _bars(p, slide, box, main)
    return layout


def layout_prayer(
    day: PrayerDay, place: str, width: int, height: int, now: datetime, tz_name: str, measure: Measure
) -> Layout:
    """Today's Kemenag prayer times; the next prayer is highlighted."""
    layout = Layout(width, height, min_text_px(height))
    p = _Painter(layout, measure)
    local = now.astimezone(zone(tz_name))
    date_text = format_date(local.date(), format="EEEE, d MMMM y", locale="id")
    footer = f"{date_text} · Kemenag RI (Subuh 20°, Isya 18°)" if width >= 700 else date_text
    x, y, w, h = _frame(p, "Jadwal Sholat", place, footer, False)
    rows = day.rows()
    upcoming = day.next_prayer(now)
    if width >= 1.45 * height and width >= 700:  # one column per time
        col_w = w / len(rows)
        name_px = p.fit_px("Maghrib", col_w * 0.86, h * 0.16, False)
        time_px = p.fit_px("00.00", col_w * 0.86, h * 0.3, True)
        for i, (key, name, moment) in enumerate(rows):
            cx = x + i * col_w
            if key == upcoming:
                p.rect(cx + col_w * 0.03, y + h * 0.16, col_w * 0.94, h * 0.64, ACCENT)
            ink = BG_DARK if key == upcoming else WHITE
            p.text(name, cx, y + h * 0.24, col_w, h * 0.18, color=ink if key == upcoming else SOFT, align="center",
                   px=name_px)  # fmt: skip
            p.text(f"{moment:%H.%M}", cx, y + h * 0.44, col_w, h * 0.3, color=ink, bold=True, align="center",
                   role="number", px=time_px)  # fmt: skip
        return layout
    row_h = h / len(rows)
    px = max(layout.min_px, min(int(row_h / LINE), p.fit_px("Maghrib  00.00", w * 0.8, row_h, True)))
    for i, (key, name, moment) in enumerate(rows):
        ry = y + i * row_h
        if key == upcoming:
            p.rect(x, ry, w, row_h, ACCENT)
        ink = BG_DARK if key == upcoming else WHITE
        text_y = ry + (row_h - px * LINE) / 2
        p.text(name, x + px * 0.5, text_y, w * 0.55, px * LINE, color=ink, px=px)
        p.text(f"{moment:%H.%M}", x + w * 0.5, text_y, w * 0.5 - px * 0.5, px * LINE, color=ink, bold=True,
               align="right", role="number", px=px)  # fmt: skip
    return layout


def layout_strip(parts: list[tuple[str, str]], width: int, height: int, measure: Measure) -> Layout:
    """An overlay strip: ``parts`` (text, colour) on one line, separated by dots; parts that do not fit at a
    legible size are dropped from the end rather than shrunk below the minimum."""
    layout = Layout(width, height, min_text_px(height))
    p = _Painter(layout, measure)
    p.rect(0, 0, width, height, BG_DARK)
    p.rect(0, 0, width, max(2.0, height * 0.06), ACCENT)
    margin = max(4.0, height * 0.3)
    room = width - 2 * margin
    sep = "  ·  "
    while parts:
        line = sep.join(text for text, _ in parts)
        px = p.fit_px(line, room, height * 0.85, True)
        if px >= layout.min_px or len(parts) == 1:
            break
        # drop from the end, but keep the highlighted part (the next prayer) and then the heading longest
        droppable = [i for i in range(len(parts) - 1, 0, -1) if parts[i][1] != ACCENT] or [0]
        parts = [part for i, part in enumerate(parts) if i != droppable[0]]
    if not parts:
        return layout
    px = max(layout.min_px, px)
    x = margin
    for i, (text, color) in enumerate(parts):
        piece = text + (sep if i < len(parts) - 1 else "")
        piece_w = min(measure(piece, px, True), width - margin - x)
        if piece_w <= 0:
            break
        p.text(piece, x, (height - px * LINE) / 2, piece_w, px * LINE, color=color, bold=True, role="footer", px=px)
        x += piece_w
    return layout


def prayer_strip_parts(day: PrayerDay, place: str, now: datetime) -> list[tuple[str, str]]:
    upcoming = day.next_prayer(now)
    parts = [(f"Jadwal Sholat {place}".strip(), SOFT)]
    for key, name, moment in day.rows():
        if key in ("imsak", "terbit"):
            continue
        parts.append((f"{name} {moment:%H}.{moment:%M}", ACCENT if key == upcoming else WHITE))
    return parts


def weather_strip_parts(slide: StatSlide, now: datetime, tz_name: str) -> list[tuple[str, str]]:
    steps = (slide.forecast or {}).get("steps") or []
    local_now = now.astimezone(zone(tz_name)).replace(tzinfo=None)
    upcoming = [s for s in steps if datetime.fromisoformat(str(s["local_datetime"])) > local_now - timedelta(hours=3)]
    parts = [(f"Cuaca {slide.place} (Sumber: BMKG)".replace("  ", " "), SOFT)]
    for i, step in enumerate(upcoming[:6]):
        moment = datetime.fromisoformat(str(step["local_datetime"]))
        parts.append((f"{moment:%H}.{moment:%M} {step.get('weather_desc') or '-'} {round(float(step['t']))}°C",
                      ACCENT if i == 0 else WHITE))  # fmt: skip
    return parts
