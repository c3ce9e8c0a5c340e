"""OpenSID public pages: statistics categories, population per dusun, and the news feed.

OpenSID has no public statistics JSON API. ``/index.php/data-statistik/{slug}``
embeds the rows as a JSON object/array in a ``<script>`` (``const dataStats =
Object.values({...})`` in theme esensi; other themes use another name), and
renders them as a table. We find the rows by their *shape* (objects with a
name and a count), and fall back to the table when the script is absent or
malformed. Summary rows (id 777 "BELUM MENGISI", id 888 / key ``total``
"TOTAL", "JUMLAH") are not categories.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from content.sources.htmltables import Table, scripts, strip_tags, tables
from content.sources.model import Article, Category, Series
from content.sources.numbers import parse_count, parse_date_id


class ParseError(ValueError):
    """The page has no statistics rows we can read (neither embedded JSON nor a table)."""


#: OpenSID's statistics categories (``StatistikPendudukEnum``, keluarga and bantuan), slug -> title.
CATEGORIES: dict[str, str] = {
    "rentang-umur": "Rentang Umur",
    "kategori-umur": "Kategori Umur",
    "pendidikan-dalam-kk": "Pendidikan dalam KK",
    "pendidikan-sedang-ditempuh": "Pendidikan Sedang Ditempuh",
    "pekerjaan": "Pekerjaan",
    "status-perkawinan": "Status Perkawinan",
    "agama": "Agama",
    "jenis-kelamin": "Jenis Kelamin",
    "hubungan-dalam-kk": "Hubungan dalam KK",
    "warga-negara": "Warga Negara",
    "status-penduduk": "Status Penduduk",
    "golongan-darah": "Golongan Darah",
    "penyandang-cacat": "Penyandang Disabilitas",
    "penyakit-menahun": "Penyakit Menahun",
    "akseptor-kb": "Akseptor KB",
    "akta-kelahiran": "Akta Kelahiran",
    "kepemilikan-ktp": "Kepemilikan KTP",
    "asuransi-kesehatan": "Asuransi Kesehatan",
    "status-covid": "Status Covid",
    "suku-etnis": "Suku / Etnis",
    "bpjs-ketenagakerjaan": "BPJS Ketenagakerjaan",
    "status-kehamilan": "Status Kehamilan",
    "kepemilikan-kia": "Kepemilikan KIA",
    "kepemilikan-akta-kematian": "Kepemilikan Akta Kematian",
    "kelas-sosial": "Kelas Sosial",
    "bantuan-penduduk": "Penerima Bantuan (Penduduk)",
    "bantuan-keluarga": "Penerima Bantuan (Keluarga)",
}
#: The series key of ``/index.php/data-wilayah``.
WILAYAH = "wilayah"

NAME_KEYS = ("nama", "label", "name", "kelompok", "uraian")
COUNT_KEYS = ("jumlah", "total", "count", "value", "y")
MALE_KEYS = ("laki", "laki_laki", "lakilaki", "laki-laki", "male", "l")
FEMALE_KEYS = ("perempuan", "female", "p")
TOTAL_NAMES = ("TOTAL", "JUMLAH")
UNFILLED_NAMES = ("BELUM MENGISI",)
_OPENING_RE = re.compile(r"[=(:,]\s*([\[{])")


def statistik_path(slug: str) -> str:
    return f"/index.php/data-statistik/{slug}"


def _first(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in row.items()}
    for key in keys:
        if key in lowered:
            return lowered[key]
    return None


def _row_shaped(row: object) -> bool:
    return isinstance(row, dict) and _first(row, NAME_KEYS) is not None and _first(row, COUNT_KEYS) is not None


def _rows_of(value: object) -> list[tuple[str | None, dict[str, Any]]] | None:
    """The (key, row) pairs of a decoded value if it looks like statistics rows, else None."""
    if isinstance(value, dict):
        pairs: list[tuple[str | None, Any]] = list(value.items())
    elif isinstance(value, list):
        pairs = [(None, v) for v in value]
    else:
        return None
    if not pairs or not all(_row_shaped(v) for _, v in pairs):
        return None
    return [(k, v) for k, v in pairs]


def embedded_rows(html: str) -> list[tuple[str | None, dict[str, Any]]] | None:
    """The largest JSON value in the page's scripts that is shaped like statistics rows (any variable name)."""
    decoder = json.JSONDecoder()
    best: list[tuple[str | None, dict[str, Any]]] | None = None
    for script in scripts(html):
        for match in _OPENING_RE.finditer(script):
            try:
                value, _ = decoder.raw_decode(script, match.start(1))
            except ValueError:
                continue
            rows = _rows_of(value)
            if rows is not None and (best is None or len(rows) > len(best)):
                best = rows
    return best


def _is_total(key: str | None, row_id: object, name: str) -> bool:
    return key == "total" or str(row_id) == "888" or name.strip().upper() in TOTAL_NAMES


def _is_unfilled(row_id: object, name: str) -> bool:
    return str(row_id) == "777" or name.strip().upper() in UNFILLED_NAMES


def series_from_rows(key: str, title: str, rows: list[tuple[str | None, dict[str, Any]]]) -> Series:
    categories: list[Category] = []
    total: tuple[int, int | None, int | None] | None = None
    unfilled = 0
    for index, (row_key, row) in enumerate(rows):
        name = str(_first(row, NAME_KEYS)).strip()
        where = f"{key} baris {index + 1} ({name})"
        count = parse_count(_first(row, COUNT_KEYS), f"{where}: jumlah")
        male_raw, female_raw = _first(row, MALE_KEYS), _first(row, FEMALE_KEYS)
        male = None if male_raw is None else parse_count(male_raw, f"{where}: laki-laki")
        female = None if female_raw is None else parse_count(female_raw, f"{where}: perempuan")
        row_id = row.get("id")
        if _is_total(row_key, row_id, name):
            total = (count, male, female)
        elif _is_unfilled(row_id, name):
            unfilled += count
        else:
            categories.append(Category(name, count, male, female))
    return Series(
        key=key,
        title=title,
        categories=tuple(categories),
        total=None if total is None else total[0],
        total_male=None if total is None else total[1],
        total_female=None if total is None else total[2],
        unfilled=unfilled,
    )


def _counts_after_label(cells: list[str]) -> tuple[str, list[int]] | None:
    """(label, counts) of a table row: the first non-numeric cell, then every count cell after it (not %)."""
    for index, cell in enumerate(cells):
        if cell and not _is_number(cell):
            counts = []
            for rest in cells[index + 1 :]:
                if "%" in rest:
                    continue
                try:
                    counts.append(parse_count(rest, "tabel"))
                except ValueError:
                    continue
            return cell, counts
    return None


def _is_number(cell: str) -> bool:
    try:
        parse_count(cell, "tabel")
    except ValueError:
        return False
    return True


def table_rows(html: str) -> list[tuple[str | None, dict[str, Any]]] | None:
    """Statistics rows from the server-rendered table (No, Kelompok, n, %, n L, %, n P, %)."""
    for table in tables(html):
        header = " ".join(table.header_cells).lower()
        if "jumlah" not in header and "kelompok" not in header:
            continue
        rows: list[tuple[str | None, dict[str, Any]]] = []
        for cells in table.body + table.foot:
            parsed = _counts_after_label(cells)
            if parsed is None or not parsed[1]:
                continue
            label, counts = parsed
            row: dict[str, Any] = {"nama": label, "jumlah": counts[0]}
            if len(counts) >= 3:
                row.update(laki=counts[1], perempuan=counts[2])
            rows.append((None, row))
        if rows:
            return rows
    return None


def page_as_of(html: str) -> datetime | None:
    """The page's own date ("Diperbarui pada : 28 November 2026"), naive local time."""
    match = re.search(r"Diperbarui\s+pada\s*:?\s*([^<]{6,40})", html, re.IGNORECASE)
    return parse_date_id(match.group(1)) if match else None


def parse_statistik(html: str, slug: str, title: str | None = None) -> tuple[Series, str]:
    """A statistics page -> (series, how) where how is ``json`` or ``table``; ParseError if neither is readable."""
    title = title or CATEGORIES.get(slug, slug)
    rows = embedded_rows(html)
    if rows is not None:
        return series_from_rows(slug, title, rows), "json"
    rows = table_rows(html)
    if rows is not None:
        return series_from_rows(slug, title, rows), "table"
    raise ParseError(f"{slug}: halaman tidak berisi data statistik (tidak ada JSON maupun tabel yang terbaca)")


def _wilayah_columns(table: Table) -> dict[str, int] | None:
    """Which count column (in order after the label) is KK, L+P, L, P."""
    names = [c.strip().upper() for c in table.header_cells]
    if "L+P" not in names and "JUMLAH" not in names:
        return None
    label_at = next((i for i, n in enumerate(names) if "WILAYAH" in n or "DUSUN" in n), 1)
    columns: dict[str, int] = {}
    for position, name in enumerate(names[label_at + 1 :]):
        kind = {"KK": "households", "L+P": "total", "JUMLAH": "total", "L": "male", "P": "female"}.get(name)
        if kind:
            columns[kind] = position
    return columns if "total" in columns else None


def parse_wilayah(html: str) -> Series:
    """``/index.php/data-wilayah``: one category per dusun (top-level rows; RW/RT rows are skipped), TOTAL kept."""
    for table in tables(html):
        columns = _wilayah_columns(table)
        if columns is None:
            continue
        categories: list[Category] = []
        total: list[int] | None = None
        for cells in table.body + table.foot:
            parsed = _counts_after_label(cells)
            if parsed is None:
                continue
            label, counts = parsed
            if len(counts) <= max(columns.values()):
                continue
            if label.strip().upper() in TOTAL_NAMES:
                total = counts
            elif cells and cells[0].strip():  # top level: the row has its own number in the first column
                categories.append(Category(label, counts[columns["total"]], _pick(counts, columns, "male"),
                                           _pick(counts, columns, "female")))  # fmt: skip
        return Series(
            key=WILAYAH,
            title="Penduduk per Dusun",
            categories=tuple(categories),
            total=None if total is None else total[columns["total"]],
            total_male=None if total is None else _pick(total, columns, "male"),
            total_female=None if total is None else _pick(total, columns, "female"),
            households=None if total is None else _pick(total, columns, "households"),
        )
    raise ParseError("data-wilayah: tidak ada tabel wilayah (kolom L+P) di halaman")


def _pick(counts: list[int], columns: dict[str, int], kind: str) -> int | None:
    return counts[columns[kind]] if kind in columns else None


def parse_feed(xml_text: str | bytes) -> tuple[Article, ...]:
    """RSS 2.0 items -> articles (title, plain-text summary, link); they become *draft* announcements."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ParseError(f"feed.xml: bukan XML yang sah ({exc})") from exc
    articles = []
    for item in root.iter("item"):
        title = (item.findtext("title") or "").strip()
        link = (item.findtext("link") or "").strip()
        guid = (item.findtext("guid") or link or title).strip()
        summary = strip_tags(item.findtext("description") or "")
        if title:
            articles.append(Article(guid=guid, title=title, summary=summary, link=link,
                                    published_at=(item.findtext("pubDate") or "").strip() or None))  # fmt: skip
    return tuple(articles)
