"""The real captured OpenSID pages (../shared/fixtures/opensid) parse exactly, with their known totals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from content.sources import opensid
from content.sources.model import Snapshot
from content.sources.validate import series_problems, validate

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "opensid"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures/opensid")
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared OpenSID fixtures are not present")


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_jenis_kelamin_page_json_and_table_agree() -> None:
    page = read("data-statistik_jenis-kelamin.html")
    series, how = opensid.parse_statistik(page, "jenis-kelamin")
    assert how == "json"
    assert [(c.label, c.total, c.male, c.female) for c in series.categories] == [
        ("LAKI-LAKI", 46, 46, 0),
        ("PEREMPUAN", 51, 0, 51),
    ]
    assert (series.total, series.total_male, series.total_female, series.unfilled) == (97, 46, 51, 0)
    assert series_problems(series) == []
    # without its script the page still reads, from the server-rendered table
    stripped = re.sub(r"const dataStats = .*?;\n", "", page, flags=re.DOTALL)
    assert opensid.embedded_rows(stripped) is None
    from_table, how = opensid.parse_statistik(stripped, "jenis-kelamin")
    assert how == "table"
    assert from_table == series


def test_page_date_is_the_as_of() -> None:
    stamp = opensid.page_as_of(read("data-statistik_jenis-kelamin.html"))
    assert stamp is not None and (stamp.year, stamp.month, stamp.day) == (2026, 11, 28)


@pytest.mark.parametrize(
    ("name", "slug", "categories", "nonzero"),
    [
        ("data-statistik_agama.json", "agama", 7, {"ISLAM": 90, "HINDU": 7}),
        ("data-statistik_rentang-umur.json", "rentang-umur", None, None),
    ],
)
def test_embedded_objects(name: str, slug: str, categories: int | None, nonzero: dict[str, int] | None) -> None:
    raw = read(name)
    page = f"<html><script>const dataStats = Object.values({raw});</script></html>"
    series, how = opensid.parse_statistik(page, slug)
    assert how == "json"
    assert series.total == 97 and series.total_male == 46 and series.total_female == 51
    assert all(c.label not in ("TOTAL", "BELUM MENGISI", "JUMLAH") for c in series.categories)
    rows = json.loads(raw)
    real_rows = [r for k, r in rows.items() if k != "total" and r["id"] not in (777, 888)]
    assert len(series.categories) == len(real_rows) == (categories or len(real_rows))
    if nonzero:
        assert {c.label: c.total for c in series.categories if c.total} == nonzero
    assert series_problems(series) == []


def test_wilayah_per_dusun() -> None:
    series = opensid.parse_wilayah(read("data-wilayah.html"))
    assert [(c.label, c.total, c.male, c.female) for c in series.categories] == [
        ("Dusun MANGSIT", 19, 10, 9),
        ("Dusun SENGGIGI", 36, 15, 21),
        ("Dusun KERANDANGAN", 14, 8, 6),
        ("Dusun LOCO", 28, 13, 15),
    ]
    assert (series.total, series.total_male, series.total_female, series.households) == (97, 46, 51, 37)
    assert series_problems(series) == []


def test_feed_articles() -> None:
    articles = opensid.parse_feed(read("feed.xml").encode())
    assert len(articles) >= 3
    assert articles[0].title == "Pemutakhiran Data Penduduk Selesai"
    assert articles[0].summary.startswith("Pembaruan data kependudukan")
    assert "<" not in articles[0].summary and articles[0].link.endswith("lab-demo-pemutakhiran-data")


def test_fixture_snapshot_validates_ok() -> None:
    from datetime import UTC, datetime

    series = {
        "jenis-kelamin": opensid.parse_statistik(read("data-statistik_jenis-kelamin.html"), "jenis-kelamin")[0],
        "wilayah": opensid.parse_wilayah(read("data-wilayah.html")),
    }
    snapshot = Snapshot("desa", "opensid", datetime.now(UTC), None, series)
    assert validate(snapshot, None).status == "ok"
