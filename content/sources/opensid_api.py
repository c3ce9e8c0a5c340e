"""OpenSID's JSON endpoints that Blade themes (OpenSID premium) load with JavaScript; theme-independent.

* ``GET /index.php/internal_api/statistik/{key}``: the theme's statistics page has an empty table and fills it from
  ``{{ ci_route('internal_api.statistik', $key) }}?tahun=`` (e.g. ``storage/app/themes/lestari/resources/views/
  partials/statistik/index.blade.php`` in OpenSID/rilis-premium). JSON:API: ``{"data": [{"type": ..., "id": "777",
  "attributes": {"nama", "jumlah", "laki", "perempuan", "persen", "persen1", "persen2"}}]}``; the themes treat ids
  ``"666"``/``"777"``/``"888"`` as the JUMLAH / BELUM MENGISI / TOTAL rows. Some builds nest the rows one level
  deeper (``data[0].attributes.data[].attributes``); both are read.
* ``GET .../internal_api/wilayah/administratif`` (Laravel ``route('api.wilayah.administratif')`` in the themes'
  ``data-wilayah`` pages): ``data[].attributes`` per dusun with ``sebutan_dusun``, ``dusun``,
  ``keluarga_aktif_count``, ``penduduk_pria_wanita_count``, ``penduduk_pria_count``, ``penduduk_wanita_count``.

A PHP notice printed before the JSON (``display_errors`` on shared hosting) or a UTF-8 BOM does not stop us.
"""

from __future__ import annotations

import json
import re
from typing import Any

from content.sources.model import Category, Series
from content.sources.numbers import parse_count
from content.sources.opensid import CATEGORIES, WILAYAH, ParseError, dusun_label, series_from_rows

_API_RE = re.compile(r"(internal_api/[A-Za-z0-9_\-/]+)")


def api_path_in(html: str, marker: str, key: str | None = None) -> str | None:
    """``internal_api/...`` as the page itself calls it, else None.

    With ``key`` (a statistic's number or name), only the address ending in ``/{key}``: an address for another
    statistic (a sidebar widget's, or the only one on a "Menu Belum Aktif" page) is never taken for this one.
    Without ``key``, the only address containing ``marker``; else None (ambiguous).
    """
    found = list(dict.fromkeys(m.group(1).rstrip("/") for m in _API_RE.finditer(html) if marker in m.group(1)))
    if key is not None:
        return next((path for path in found if path.endswith(f"/{key}")), None)
    return found[0] if len(found) == 1 else None


def decode(body: bytes, url: str) -> Any:
    """The JSON document in ``body``; ParseError naming ``url`` when there is none (an HTML page, a login form)."""
    text = body.decode("utf-8-sig", errors="replace").strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    start = text.find('{"data"')  # PHP warnings before the document
    if start > 0:
        try:
            return json.JSONDecoder().raw_decode(text, start)[0]
        except ValueError:
            pass
    head = " ".join(text[:80].split())
    raise ParseError(f'{url}: bukan JSON (diharapkan {{"data": [...]}}), awal jawaban: {head!r}')


def _attributes(item: object) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    attributes = item.get("attributes", item)
    return attributes if isinstance(attributes, dict) else None


def statistik_rows(document: Any) -> list[tuple[str | None, dict[str, Any]]]:
    """The ``(None, row)`` pairs of a JSON:API statistics answer, flat or nested; the row's ``id`` from the item."""
    data = document.get("data") if isinstance(document, dict) else None
    rows: list[tuple[str | None, dict[str, Any]]] = []
    for item in data if isinstance(data, list) else []:
        attributes = _attributes(item)
        if attributes is None:
            continue
        if "nama" in attributes and "jumlah" in attributes:
            rows.append((None, {**attributes, "id": item.get("id", attributes.get("id"))}))
            continue
        for inner in attributes.get("data") or []:
            nested = _attributes(inner)
            if nested is not None and "nama" in nested and "jumlah" in nested:
                rows.append((None, {**nested, "id": inner.get("id", nested.get("id"))}))
    return rows


def parse_statistik(body: bytes, slug: str, url: str) -> Series:
    rows = statistik_rows(decode(body, url))
    if not rows:
        raise ParseError(f"{slug}: {url} tidak berisi baris statistik (diharapkan data[].attributes.nama/jumlah)")
    return series_from_rows(slug, CATEGORIES.get(slug, slug), rows)


def parse_wilayah(body: bytes, url: str) -> Series:
    document = decode(body, url)
    data = document.get("data") if isinstance(document, dict) else None
    categories: list[Category] = []
    households = 0
    for index, item in enumerate(data if isinstance(data, list) else []):
        a = _attributes(item)
        if a is None or "dusun" not in a or "penduduk_pria_wanita_count" not in a:
            continue
        name = dusun_label(f"{a.get('sebutan_dusun') or 'Dusun'} {a['dusun']}")
        where = f"wilayah baris {index + 1} ({name})"
        male, female = a.get("penduduk_pria_count"), a.get("penduduk_wanita_count")
        categories.append(Category(
            name, parse_count(a["penduduk_pria_wanita_count"], f"{where}: L+P"),
            None if male is None else parse_count(male, f"{where}: L"),
            None if female is None else parse_count(female, f"{where}: P"),
        ))  # fmt: skip
        households += parse_count(a.get("keluarga_aktif_count") or 0, f"{where}: KK")
    if not categories:
        raise ParseError(f"data-wilayah: {url} tidak berisi dusun (diharapkan data[].attributes.dusun dan "
                         "penduduk_pria_wanita_count)")  # fmt: skip
    males = [c.male for c in categories if c.male is not None]
    females = [c.female for c in categories if c.female is not None]
    return Series(
        key=WILAYAH,
        title="Penduduk per Dusun",
        categories=tuple(categories),
        total=sum(c.total for c in categories),
        total_male=sum(males) if len(males) == len(categories) else None,
        total_female=sum(females) if len(females) == len(categories) else None,
        households=households,
    )
