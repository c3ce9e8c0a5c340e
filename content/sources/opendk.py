"""OpenDK (kecamatan dashboard) public JSON API.

``GET /api/frontend/v1/statistik-penduduk?desa=Semua&tahun=YYYY`` answers
``{"data": [{"type": "statistik-penduduk", "attributes": {"dashboard": {...}, "chart": {...}}}]}``:
``dashboard`` has ``total_penduduk``, ``total_lakilaki``, ``total_perempuan`` (integers, or
strings with PHP's thousands comma in older releases); ``chart`` has ``penduduk-usia``
(``umur``/``value``), ``penduduk-pendidikan`` (one object per year with a column per
level), ``penduduk-agama`` (``religion``/``total``), ``penduduk-kawin`` (``status``/``total``)
and ``penduduk-golongan-darah`` (``blod_type``/``total``). ``GET /api/frontend/v1/desa``
lists the villages (``attributes.nama_lengkap``).
"""

from __future__ import annotations

import json
from typing import Any

from content.sources.mapping import count_value, series_from_records
from content.sources.model import Category, Series

STATISTIK_PATH = "/api/frontend/v1/statistik-penduduk"
DESA_PATH = "/api/frontend/v1/desa"
#: chart key -> (series key, title, label field, value field)
CHARTS = {
    "penduduk-usia": ("kategori-umur", "Kelompok Umur", "umur", "value"),
    "penduduk-agama": ("agama", "Agama", "religion", "total"),
    "penduduk-kawin": ("status-perkawinan", "Status Perkawinan", "status", "total"),
    "penduduk-golongan-darah": ("golongan-darah", "Golongan Darah", "blod_type", "total"),
}


class OpenDkError(ValueError):
    pass


def _attributes(body: bytes | str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise OpenDkError(f"statistik-penduduk: bukan JSON ({exc})") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise OpenDkError("statistik-penduduk: 'data' kosong atau bukan daftar")
    attributes = data[0].get("attributes")
    if not isinstance(attributes, dict):
        raise OpenDkError("statistik-penduduk: data[0].attributes tidak ada")
    return attributes


def parse_statistik(body: bytes | str, year: int) -> dict[str, Series]:
    attributes = _attributes(body)
    dashboard = attributes.get("dashboard") or {}
    chart = attributes.get("chart") or {}
    out: dict[str, Series] = {}
    if "total_penduduk" in dashboard:
        total = count_value(dashboard["total_penduduk"], "dashboard.total_penduduk")
        male = count_value(dashboard.get("total_lakilaki", 0), "dashboard.total_lakilaki")
        female = count_value(dashboard.get("total_perempuan", 0), "dashboard.total_perempuan")
        out["jenis-kelamin"] = Series(
            "jenis-kelamin", "Jenis Kelamin",
            (Category("LAKI-LAKI", male, male, 0), Category("PEREMPUAN", female, 0, female)),
            total=total, total_male=male, total_female=female,
        )  # fmt: skip
    for chart_key, (key, title, label, value) in CHARTS.items():
        chart_rows = chart.get(chart_key)
        if isinstance(chart_rows, list) and chart_rows:
            series = series_from_records(chart_rows, {"series": key, "title": title, "label": label, "value": value})
            out[key] = Series(key, title, series.categories)  # the chart has no total of its own
    levels = chart.get("penduduk-pendidikan")
    if isinstance(levels, list) and levels:
        row = next((r for r in levels if str(r.get("year")) == str(year)), levels[-1])
        records = [{"label": k, "n": v} for k, v in row.items() if k != "year"]
        series = series_from_records(records, {"series": "pendidikan", "label": "label", "value": "n"})
        out["pendidikan"] = Series("pendidikan", "Pendidikan", series.categories)
    if not out:
        raise OpenDkError("statistik-penduduk: tidak ada dashboard maupun chart yang terbaca")
    return out


def parse_desa(body: bytes | str) -> list[str]:
    """Village names from ``/api/frontend/v1/desa``."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise OpenDkError(f"desa: bukan JSON ({exc})") from None
    names = []
    for entry in doc.get("data") or [] if isinstance(doc, dict) else []:
        attributes = entry.get("attributes") or {} if isinstance(entry, dict) else {}
        name = attributes.get("nama_lengkap") or attributes.get("nama")
        if name:
            names.append(str(name))
    return names
