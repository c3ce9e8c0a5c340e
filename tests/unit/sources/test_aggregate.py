"""Kecamatan totals from villages: sums by category, per-village series, missing and stale named."""

from __future__ import annotations

from datetime import UTC, datetime

from content.sources.aggregate import aggregate
from content.sources.model import Category, Series, Snapshot

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def village(male: int, female: int, *, islam: int, katolik: int, with_age: bool = True) -> Snapshot:
    series = {
        "jenis-kelamin": Series("jenis-kelamin", "Jenis Kelamin",
                                (Category("LAKI-LAKI", male, male, 0), Category("PEREMPUAN", female, 0, female)),
                                male + female, male, female),
        "agama": Series("agama", "Agama", (Category("ISLAM", islam), Category("Katolik", katolik)), islam + katolik),
    }  # fmt: skip
    if with_age:
        series["rentang-umur"] = Series("rentang-umur", "Umur", (Category("0-4", male + female, male, female),))
    return Snapshot("x", "opensid", NOW, None, series)


def test_villages_add_up_and_gaps_are_named() -> None:
    result = aggregate(
        {
            "Desa Antibar": village(100, 110, islam=200, katolik=10),
            "Desa Sungai Bakau": village(50, 40, islam=80, katolik=10),
            "Desa Pasir": None,
        },
        stale={"Desa Sungai Bakau"},
    )
    sexes = result.series["jenis-kelamin"]
    assert (sexes.total, sexes.total_male, sexes.total_female) == (300, 150, 150)
    agama = {c.label: c.total for c in result.series["agama"].categories}
    assert agama == {"ISLAM": 280, "Katolik": 20}
    assert [(c.label, c.total) for c in result.series["desa"].categories] == [
        ("Desa Antibar", 210),
        ("Desa Sungai Bakau", 90),
    ]
    assert result.missing == ("Desa Pasir",) and result.stale == ("Desa Sungai Bakau",)
    assert result.footnote() == "Belum ada data: Desa Pasir; data lama: Desa Sungai Bakau"


def test_series_not_given_by_every_village_is_left_out() -> None:
    result = aggregate({"A": village(1, 1, islam=2, katolik=0), "B": village(2, 2, islam=4, katolik=0, with_age=False)},
                       set())  # fmt: skip
    assert "rentang-umur" not in result.series  # a partial sum would understate the kecamatan
    assert result.footnote() == ""
