"""Kemenag prayer times checked against published Kemenag schedules for Mempawah and Pontianak (±2 min).

References (Bimas Islam Kemenag figures as quoted by the press; the Kemenag site itself is not
reachable offline):

* Kab. Mempawah, Selasa 26 Maret 2024: Magrib 17:56, Isya 19:04 WIB — SuaraKalbar.id,
  "Jadwal Buka Puasa Mempawah Hari Ini Selasa 26 Maret 2024" ("dikutip dari Kemenag").
* Kota Pontianak (25 km from the regency's southern border), Rabu 21 April 2021: Imsak 04.12,
  Subuh 04.22, Terbit 05.35, Zuhur 11.45, Ashar 15.01, Maghrib 17.48, Isya 18.58 WIB —
  SuaraKalbar.id, "Jadwal imsakiyah Pontianak, Rabu 21 April 2021", "dikutip dari ... Bimas Islam
  Kementerian Agama".
* Kota Pontianak, Selasa 18 Maret 2025: Imsak 04:23, Subuh 04:33, Terbit 05:44, Zuhur 11:54,
  Asar 14:55, Magrib 17:57, Isya 19:05 WIB — SuaraKalbar.id, "Jadwal Imsak dan Salat Pontianak Hari Ini".

Coordinates: Mempawah town 0.3622 N, 108.9614 E; Pontianak -0.0263, 109.3425.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from signage.clock import zone
from signage.prayer import kemenag_times

MEMPAWAH = (0.3622, 108.9614)
PONTIANAK = (-0.0263, 109.3425)
TOLERANCE = timedelta(minutes=2)

REFERENCES = [
    (MEMPAWAH, date(2024, 3, 26), {"maghrib": "17:56", "isya": "19:04"}),
    (PONTIANAK, date(2021, 4, 21), {"imsak": "04:12", "subuh": "04:22", "terbit": "05:35", "dzuhur": "11:45",
                                    "ashar": "15:01", "maghrib": "17:48", "isya": "18:58"}),
    (PONTIANAK, date(2025, 3, 18), {"imsak": "04:23", "subuh": "04:33", "terbit": "05:44", "dzuhur": "11:54",
                                    "ashar": "14:55", "maghrib": "17:57", "isya": "19:05"}),
]  # fmt: skip


@pytest.mark.parametrize(("where", "day", "published"), REFERENCES, ids=lambda v: str(v))
def test_matches_published_kemenag_schedule(where: tuple[float, float], day: date, published: dict[str, str]) -> None:
    computed = kemenag_times(*where, day, "Asia/Pontianak")
    local = zone("Asia/Pontianak")
    for key, text in published.items():
        hour, minute = map(int, text.split(":"))
        expected = datetime(day.year, day.month, day.day, hour, minute, tzinfo=local)
        got = getattr(computed, key)
        assert abs(got - expected) <= TOLERANCE, f"{key}: computed {got:%H:%M}, Kemenag {text}"


def test_imsak_is_ten_minutes_before_subuh_and_order_is_right() -> None:
    day = kemenag_times(*MEMPAWAH, date(2026, 11, 28), "Asia/Pontianak")
    assert day.subuh - day.imsak == timedelta(minutes=10)
    times = [t for _, _, t in day.rows()]
    assert times == sorted(times)
    assert day.next_prayer(day.dzuhur - timedelta(minutes=1)) == "dzuhur"
    assert day.next_prayer(day.isya + timedelta(minutes=1)) is None


def test_bad_coordinates_are_refused() -> None:
    with pytest.raises(ValueError, match="coordinates"):
        kemenag_times(108.96, 0.36, date(2026, 1, 1), "Asia/Pontianak")
