"""BMKG prakiraan-cuaca answers in their real shape (lokasi + data[0].cuaca: days of 3-hour steps)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

WEATHER = ["Cerah Berawan", "Berawan", "Hujan Ringan", "Hujan Petir", "Cerah", "Berawan Tebal", "Hujan Sedang",
           "Cerah Berawan"]  # fmt: skip


def forecast_doc(
    start_local: datetime, *, adm4: str = "61.04.01.2001", temperature: float | None = None
) -> dict[str, Any]:
    days: list[list[dict[str, Any]]] = []
    for day in range(3):
        steps = []
        for k in range(8):
            moment = start_local + timedelta(days=day, hours=3 * k)
            steps.append({
                "datetime": (moment - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "t": temperature if temperature is not None else 24 + (k * 3) % 9, "tcc": 60, "tp": 0.4,
                "weather": 3, "weather_desc": WEATHER[k], "weather_desc_en": "Mostly Cloudy", "wd_deg": 225,
                "wd": "SW", "wd_to": "NE", "ws": 6.4 + k, "hu": 70 + k * 3, "vs": 9000, "vs_text": "> 8 km",
                "time_index": f"{k}-{k + 1}", "analysis_date": "2026-11-27T12:00:00",
                "image": "https://api-apps.bmkg.go.id/storage/icon/cuaca/berawan-am.svg",
                "utc_datetime": (moment - timedelta(hours=7)).strftime("%Y-%m-%d %H:%M:%S"),
                "local_datetime": moment.strftime("%Y-%m-%d %H:%M:%S"),
            })  # fmt: skip
        days.append(steps)
    lokasi = {"adm1": "61", "adm2": "61.04", "adm3": "61.04.01", "adm4": adm4, "provinsi": "Kalimantan Barat",
              "kotkab": "Mempawah", "kecamatan": "Mempawah Hilir", "desa": "Antibar", "lon": 108.96, "lat": 0.36,
              "timezone": "Asia/Pontianak"}  # fmt: skip
    return {"lokasi": lokasi, "data": [{"lokasi": {**lokasi, "type": "adm4"}, "cuaca": days}]}
