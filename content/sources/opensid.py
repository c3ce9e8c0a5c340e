"""OpenSID public pages: statistics categories, population per dusun, and the news feed.

What real OpenSID serves (read in OpenSID/OpenSID and OpenSID/rilis-premium):

* v2405 and later route ``/index.php/data-statistik/{slug}``
  (``donjo-app/config/routes/web.php``, ``fweb/Statistik.php``); v2310..v2404
  know only ``/index.php/first/statistik/{key}`` (``First::statistik``, numeric
  or short keys, see :data:`KEYS`), which v2405+ redirect to the slug page. The
  bantuan statistics have no slug page in any version: only
  ``first/statistik/bantuan_penduduk`` (``daftar_statistik()`` in v2410).
* PHP themes (esensi, natra and their forks) embed the rows as JSON in a
  ``<script>`` (``const dataStats = Object.values(...)`` in esensi, ``const
  rawData = Object.values(...)`` in natra) and render them as a table. We find the
  rows by their *shape* (objects with a name and a count), and cross-check them
  with the table when both are there (a sidebar widget may embed other rows).
* Blade themes of OpenSID premium (lestari, palanta, ...) render an *empty* table
  and load the rows with ``GET {{ ci_route('internal_api.statistik', $key) }}``:
  JSON:API ``{"data": [{"id": "777", "attributes": {"nama", "jumlah", "laki",
  "perempuan", ...}}]}`` (theme-independent; see :mod:`content.sources.opensid_api`).

Summary rows (id 777 "BELUM MENGISI" / "BUKAN PENERIMA", id 888 / key ``total``
"TOTAL", id 666 "JUMLAH" / "PENERIMA") are not categories.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from content.sources.htmltables import Table, scripts, strip_tags, tables
from content.sources.model import Article, Category, Series
from content.sources.numbers import parse_count, parse_date_id


class ParseError(ValueError):
    """The page has no statistics rows we can read (neither embedded JSON nor a table).

    ``empty_table``: the page is a statistics page whose table is empty (a theme that loads the rows with JavaScript).
    """

    def __init__(self, message: str, *, empty_table: bool = False) -> None:
        super().__init__(message)
        self.empty_table = empty_table


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
#: slug -> OpenSID's key for ``first/statistik/{key}`` and ``internal_api/statistik/{key}``
#: (``StatistikPendudukEnum`` / ``StatistikKeluargaEnum`` in v2410; the same keys as ``STAT_PENDUDUK`` in v2310).
KEYS: dict[str, str] = {
    "rentang-umur": "13", "kategori-umur": "15", "pendidikan-dalam-kk": "0", "pendidikan-sedang-ditempuh": "14",
    "pekerjaan": "1", "status-perkawinan": "2", "agama": "3", "jenis-kelamin": "4", "hubungan-dalam-kk": "hubungan_kk",
    "warga-negara": "5", "status-penduduk": "6", "golongan-darah": "7", "penyandang-cacat": "9",
    "penyakit-menahun": "10", "akseptor-kb": "16", "akta-kelahiran": "17", "kepemilikan-ktp": "18",
    "asuransi-kesehatan": "19", "status-covid": "covid", "suku-etnis": "suku",
    "bpjs-ketenagakerjaan": "bpjs-tenagakerja", "status-kehamilan": "hamil", "kepemilikan-kia": "kia",
    "kepemilikan-akta-kematian": "akta-kematian",
    "kelas-sosial": "kelas_sosial", "bantuan-penduduk": "bantuan_penduduk", "bantuan-keluarga": "bantuan_keluarga",
}  # fmt: skip
#: Statistics whose rows may overlap (one person in several programmes): they add up to *at least* the total.
OVERLAPPING = ("bantuan-penduduk", "bantuan-keluarga")
#: The series key of ``/index.php/data-wilayah``.
WILAYAH = "wilayah"

NAME_KEYS = ("nama", "label", "name", "kelompok", "uraian")
COUNT_KEYS = ("jumlah", "total", "count", "value", "y")
MALE_KEYS = ("laki", "laki_laki", "lakilaki", "laki-laki", "male", "l")
FEMALE_KEYS = ("perempuan", "female", "p")
TOTAL_NAMES = ("TOTAL",)
#: ``baris_jumlah()`` rows (id 666): the sum of the categories, titled JUMLAH, PENERIMA or PESERTA.
SUM_NAMES = ("JUMLAH", "PENERIMA", "PESERTA")
#: ``baris_belum()`` rows (id 777): ``judul_belum`` of ``Statistik_penduduk_model`` (bantuan: BUKAN PENERIMA/PESERTA).
UNFILLED_NAMES = ("BELUM MENGISI", "BUKAN PENERIMA", "BUKAN PESERTA")
_OPENING_RE = re.compile(r"[=(:,]\s*([\[{])")
#: Offline mode: "Dalam Perbaikan" (``layouts/maintenance``, v2405+) or "Offline Mode - Desa ..."
#: (``donjo-app/views/offline_mode.php``, v2310 and before).
_MAINTENANCE_RE = re.compile(r"<title>\s*(?:Dalam Perbaikan|Offline Mode)", re.IGNORECASE)
#: A menu the village has not switched on, in OpenSID since v2407: HTTP 200 with ``menu_not_active`` ("Menu Belum
#: Aktif", ``Web_Controller::hak_akses_menu``), where older versions answered 404.
_MENU_OFF_RE = re.compile(r"<h\d[^>]*>\s*Menu\s+Belum\s+Aktif\s*</h\d>", re.IGNORECASE)


def site_prefix(base_url: str) -> str:
    """``/index.php`` unless the configured address already ends with it (``https://desa.id/index.php``)."""
    return "" if base_url.rstrip("/").lower().endswith("/index.php") else "/index.php"


def statistik_path(slug: str, prefix: str = "/index.php") -> str:
    return f"{prefix}/data-statistik/{slug}"


def statistik_paths(slug: str, prefix: str = "/index.php", *, first_style: bool = False) -> list[str]:
    """The pages that may hold ``slug``, most likely first: the slug page (v2405+), ``first/statistik/{key}`` (older).

    The bantuan statistics only ever had ``first/statistik/{key}``; ``first_style`` puts the old route first
    once this site has shown it is an older version.
    """
    slug_page = statistik_path(slug, prefix)
    key = KEYS.get(slug)
    if key is None:
        return [slug_page]
    old_page = f"{prefix}/first/statistik/{key}"
    return [old_page, slug_page] if first_style or slug in OVERLAPPING else [slug_page, old_page]


def is_statistik_url(url: str, slug: str) -> bool:
    """``url`` (where the site's redirects ended) is a statistics page for ``slug``: ``data-statistik/{slug}`` or
    ``first/statistik/{key}`` (or a page of this statistic's own name), not the home page or another statistic."""
    path = urlsplit(url).path.rstrip("/").lower()
    names = {slug.lower(), KEYS.get(slug, slug).lower()}
    return path.rsplit("/", 1)[-1] in names and "statistik" in path


def is_menu_off(html: str) -> bool:
    """The page says the village has not switched this menu on ("Menu Belum Aktif", answered with HTTP 200)."""
    return bool(_MENU_OFF_RE.search(html))


def is_maintenance(html: str) -> bool:
    """OpenSID's offline mode answers every public page with 200 and ``layouts/maintenance`` ("Dalam Perbaikan")."""
    return bool(_MAINTENANCE_RE.search(html[:4000]))


def is_login(url: str) -> bool:
    """A redirect to the admin login (``/siteman``) instead of a public page."""
    return "/siteman" in url.lower()


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


def embedded_candidates(html: str) -> list[list[tuple[str | None, dict[str, Any]]]]:
    """Every JSON value in the page's scripts that is shaped like statistics rows (any variable name), in page order."""
    decoder = json.JSONDecoder()
    found: list[list[tuple[str | None, dict[str, Any]]]] = []
    for script in scripts(html):
        for match in _OPENING_RE.finditer(script):
            try:
                value, _ = decoder.raw_decode(script, match.start(1))
            except ValueError:
                continue
            rows = _rows_of(value)
            if rows is not None:
                found.append(rows)
    return found


def embedded_rows(html: str) -> list[tuple[str | None, dict[str, Any]]] | None:
    """The largest JSON value in the page's scripts that is shaped like statistics rows (any variable name)."""
    best: list[tuple[str | None, dict[str, Any]]] | None = None
    for rows in embedded_candidates(html):
        if best is None or len(rows) > len(best):
            best = rows
    return best


def _names(rows: list[tuple[str | None, dict[str, Any]]]) -> set[str]:
    return {" ".join(str(_first(row, NAME_KEYS)).split()).upper() for _, row in rows}


def _is_total(key: str | None, row_id: object, name: str) -> bool:
    return key == "total" or str(row_id) == "888" or name.strip().upper() in TOTAL_NAMES


def _is_sum(row_id: object, name: str) -> bool:
    return str(row_id) == "666" or name.strip().upper() in SUM_NAMES


def _is_unfilled(row_id: object, name: str) -> bool:
    return str(row_id) == "777" or name.strip().upper() in UNFILLED_NAMES


def series_from_rows(key: str, title: str, rows: list[tuple[str | None, dict[str, Any]]]) -> Series:
    categories: list[Category] = []
    total: tuple[int, int | None, int | None] | None = None
    sum_row: tuple[int, int | None, int | None] | None = None
    unfilled = 0
    for index, (row_key, row) in enumerate(rows):
        name = " ".join(str(_first(row, NAME_KEYS)).split())
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
        elif _is_sum(row_id, name):
            sum_row = (count, male, female)
        else:
            categories.append(Category(name, count, male, female))
    if total is None and sum_row is not None and sum_row[0] == sum(c.total for c in categories) + unfilled:
        total = sum_row  # a theme's own footer "JUMLAH" over every row, BELUM MENGISI included: it is the total
    return Series(
        key=key,
        title=title,
        categories=tuple(categories),
        total=None if total is None else total[0],
        total_male=None if total is None else total[1],
        total_female=None if total is None else total[2],
        unfilled=unfilled,
    )


#: The count columns a statistics row is read for (n, n male, n female): an unreadable one is refused, never skipped.
ROW_COUNTS = 3


def _counts_after_label(cells: list[str]) -> tuple[str, list[int]] | None:
    """(label, counts) of a table row: the first non-numeric cell, then every count cell after it (not %).

    A cell among the first three counts that is no count (``"1.2a4"``) is refused with a ParseError naming it:
    skipping it would shift the columns (the male count read as the total). Cells after those are ignored."""
    for index, cell in enumerate(cells):
        if cell and not _is_number(cell):
            counts = []
            for rest in cells[index + 1 :]:
                if "%" in rest:
                    continue
                try:
                    counts.append(parse_count(rest, "tabel"))
                except ValueError:
                    if len(counts) < ROW_COUNTS and rest.strip():
                        raise ParseError(f"baris {cell!r} tabel statistik: sel {rest!r} bukan angka yang dikenali "
                                         "(diharapkan mis. 1234 atau 1.234)") from None  # fmt: skip
                    continue
            return cell, counts
    return None


def _is_number(cell: str) -> bool:
    try:
        parse_count(cell, "tabel")
    except ValueError:
        return False
    return True


def _statistik_tables(html: str) -> list[Table]:
    """Tables headed like a statistics table: Kelompok, or Jumlah with Laki-laki (not a visitor counter)."""
    found = []
    for table in tables(html):
        header = " ".join(table.header_cells).lower()
        if "kelompok" in header or ("jumlah" in header and "laki" in header):
            found.append(table)
    return found


def table_rows(html: str) -> list[tuple[str | None, dict[str, Any]]] | None:
    """Statistics rows from the server-rendered table (No, Kelompok, n, %, n L, %, n P, %)."""
    for table in _statistik_tables(html):
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


def parse_statistik(html: str, slug: str, title: str | None = None, url: str = "") -> tuple[Series, str]:
    """A statistics page -> (series, how) where how is ``json`` or ``table``; ParseError if neither is readable.

    When the page has both, the embedded rows are used only if they name the same rows as the table: a sidebar
    widget may embed another statistic's rows in the same page.
    """
    title = title or CATEGORIES.get(slug, slug)
    candidates = sorted(embedded_candidates(html), key=len, reverse=True)
    table = table_rows(html)
    if table is not None:
        names = _names(table)
        for rows in candidates:
            if _names(rows) == names:
                return series_from_rows(slug, title, rows), "json"
        return series_from_rows(slug, title, table), "table"
    where = url or statistik_path(slug)
    shown = _statistik_tables(html)
    if shown and not any(t.body or t.foot for t in shown):  # rows come later (JavaScript): page JSON is a widget's
        raise ParseError(f"{slug}: tabel statistik di {where} kosong dan tidak ada data JSON di halaman "
                         "(tema memuat data lewat JavaScript)", empty_table=True)  # fmt: skip
    if candidates:
        return series_from_rows(slug, title, candidates[0]), "json"
    raise ParseError(f"{slug}: {where} bukan halaman statistik OpenSID yang dikenali (diharapkan data JSON "
                     "nama/jumlah di <script> atau tabel berkolom Kelompok/Jumlah)")  # fmt: skip


_WILAYAH_KINDS = {"KK": "households", "L+P": "total", "JUMLAH": "total", "JIWA": "total", "L": "male", "P": "female"}
_KETUA_RE = re.compile(r"\s*,\s*(?:Ketua|Kepala)\b.*$", re.IGNORECASE)


def _wilayah_kinds(table: Table) -> list[str] | None:
    """What the trailing count columns hold (e.g. households, total, male, female), read from the header."""
    kinds: list[str] = []
    for name in reversed([" ".join(c.split()).upper() for c in table.header_cells]):
        kind = _WILAYAH_KINDS.get(name)
        if kind is None:
            break
        kinds.append(kind)
    kinds.reverse()
    return kinds if "total" in kinds else None


def dusun_label(text: str) -> str:
    """``"Dusun Parit Baru , Ketua H. Ahmad"`` -> ``"Dusun Parit Baru"`` (the theme appends the kadus' name)."""
    return _KETUA_RE.sub("", " ".join(text.split()))


def _trailing_counts(cells: list[str], width: int) -> list[int] | None:
    if len(cells) <= width:
        return None
    try:
        return [parse_count(c, "tabel wilayah") for c in cells[-width:]]
    except ValueError:
        return None


def _wilayah_rows(table: Table, kinds: list[str]) -> tuple[dict[str, list[int]], list[int] | None]:
    """dusun label -> counts, and the TOTAL counts. Two shapes:

    * nested (esensi/natra v2310..v2410): a dusun row has its number in the first cell, RW and RT rows leave it empty;
    * flat (``first/wilayah`` up to v22.05: No, Dusun, RW, RT, Ketua, KK, L+P, L, P, rows of
      ``Wilayah_model::list_semua_wilayah``): a dusun row (RW and RT empty), then its RW rows and RT rows, each
      already the sum of the level below, so only the dusun rows are read; the dusun cell is left empty on the rows
      after the first of a dusun. A table of RT rows alone is summed per dusun.
    """
    header = [" ".join(c.split()).upper() for c in table.header_cells]
    flat = "RW" in header and "RT" in header
    rw_at, rt_at = (header.index("RW"), header.index("RT")) if flat else (-1, -1)
    dusun: dict[str, list[int]] = {}
    rt_sums: dict[str, list[int]] = {}
    total: list[int] | None = None
    current: str | None = None
    for cells in table.body + table.foot:
        counts = _trailing_counts(cells, len(kinds))
        if counts is None:
            continue
        leading = cells[: -len(kinds)]
        label = next((c for c in leading if c and not _is_number(c)), "")
        if label.strip().upper() in TOTAL_NAMES:
            total = counts
        elif flat:
            if len(leading) > 1 and leading[1].strip():
                current = dusun_label(leading[1])
            if current is None:
                continue
            rw = leading[rw_at].strip() if rw_at < len(leading) else ""
            rt = leading[rt_at].strip() if rt_at < len(leading) else ""
            if not rw and not rt:
                dusun[current] = counts
            elif rt:
                rt_sums[current] = [a + b for a, b in zip(rt_sums.get(current, [0] * len(counts)), counts, strict=True)]
        elif leading and leading[0].strip():  # top level: the row has its own number in the first column
            if not label and len(leading) > 1 and leading[1].strip():
                label = leading[1]  # a dusun named by a number alone ("2": the village left its title empty)
            if label:
                dusun[dusun_label(label)] = counts
    return (dusun or rt_sums), total


def _pick(counts: list[int] | None, kinds: list[str], kind: str) -> int | None:
    return counts[kinds.index(kind)] if counts is not None and kind in kinds else None


def parse_wilayah(html: str, url: str = "") -> Series:
    """``/index.php/data-wilayah``: one category per dusun (RW/RT rows are not categories), TOTAL kept."""
    empty = False
    for table in tables(html):
        kinds = _wilayah_kinds(table)
        if kinds is None:
            continue
        dusun, total = _wilayah_rows(table, kinds)
        if not dusun and total is None:
            empty = True
            continue

        return Series(
            key=WILAYAH,
            title="Penduduk per Dusun",
            categories=tuple(
                Category(name, c[kinds.index("total")], _pick(c, kinds, "male"), _pick(c, kinds, "female"))
                for name, c in dusun.items()
            ),
            total=_pick(total, kinds, "total"),
            total_male=_pick(total, kinds, "male"),
            total_female=_pick(total, kinds, "female"),
            households=_pick(total, kinds, "households"),
        )
    where = url or "/index.php/data-wilayah"
    if empty:
        raise ParseError(f"data-wilayah: tabel wilayah di {where} kosong (tema memuat data lewat JavaScript?)",
                         empty_table=True)  # fmt: skip
    raise ParseError(f"data-wilayah: {where} tidak berisi tabel wilayah yang dikenali (diharapkan kolom KK, L+P, L, P)")


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
