"""BMKG public weather forecast by village (Kemendagri adm4 code).

``GET https://api.bmkg.go.id/publik/prakiraan-cuaca?adm4=61.04.01.2001`` answers
``{"lokasi": {"adm4", "provinsi", "kotkab", "kecamatan", "desa", "lat", "lon", "timezone"},
"data": [{"lokasi": {...}, "cuaca": [[{step}, ...], ...]}]}``: three days of 3-hour
steps, each with ``local_datetime`` ("2026-11-28 10:00:00"), ``t`` (°C), ``hu`` (%),
``weather_desc`` (Indonesian), ``weather_desc_en``, ``ws`` (km/h), ``wd`` (from),
``tcc`` (%) and ``analysis_date``. BMKG asks that "Sumber: BMKG" be shown.
"""

from __future__ import annotations

import json
import re
from typing import Any

DEFAULT_URL = "https://api.bmkg.go.id/publik/prakiraan-cuaca"
ADM4_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
FIELDS = ("local_datetime", "t", "hu", "weather_desc", "weather_desc_en", "ws", "wd", "tcc")


class BmkgError(ValueError):
    pass


def parse_forecast(body: bytes | str) -> dict[str, Any]:
    """``{"place", "adm4", "timezone", "analysis_date", "steps": [...]}``; BmkgError when unreadable."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise BmkgError(f"prakiraan-cuaca: bukan JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list) or not doc["data"]:
        raise BmkgError("prakiraan-cuaca: 'data' kosong")
    lokasi = doc.get("lokasi") or {}
    steps: list[dict[str, Any]] = []
    analysis = None
    for day in doc["data"][0].get("cuaca") or []:
        for step in day if isinstance(day, list) else []:
            if not isinstance(step, dict) or not step.get("local_datetime"):
                continue
            steps.append({k: step.get(k) for k in FIELDS})
            analysis = analysis or step.get("analysis_date")
    if not steps:
        raise BmkgError("prakiraan-cuaca: tidak ada langkah prakiraan")
    steps.sort(key=lambda s: str(s["local_datetime"]))
    place = " ".join(p for p in (lokasi.get("desa"), lokasi.get("kecamatan") and f"({lokasi['kecamatan']})") if p)
    return {"place": place or str(lokasi.get("adm4") or ""), "adm4": lokasi.get("adm4"),
            "timezone": lokasi.get("timezone") or "Asia/Pontianak", "analysis_date": analysis,
            "steps": steps}  # fmt: skip


def forecast_problems(forecast: dict[str, Any]) -> list[str]:
    problems = []
    for step in forecast.get("steps", []):
        when = step.get("local_datetime")
        t, hu, ws = step.get("t"), step.get("hu"), step.get("ws")
        if not isinstance(t, int | float) or not -10 <= t <= 50:
            problems.append(f"cuaca {when}: suhu tidak masuk akal ({t!r})")
        if hu is not None and (not isinstance(hu, int | float) or not 0 <= hu <= 100):
            problems.append(f"cuaca {when}: kelembapan tidak masuk akal ({hu!r})")
        if ws is not None and (not isinstance(ws, int | float) or not 0 <= ws <= 300):
            problems.append(f"cuaca {when}: angin tidak masuk akal ({ws!r})")
        if not str(step.get("weather_desc") or "").strip():
            problems.append(f"cuaca {when}: keterangan cuaca kosong")
    return problems[:10]
