"""OpenDK, CKAN datastore and generic CSV/JSON sources against loopback fakes answering their real shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_opendk import desa_doc, opendk_doc
from fake_sites import FakeSite, json_answer

from content.sources.config import SourceConfigError, checked
from content.sources.run import SourceState, poll

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


@pytest.fixture
def site() -> Iterator[FakeSite]:
    server = FakeSite()
    yield server
    server.stop()


def test_opendk_dashboard_and_charts(site: FakeSite) -> None:
    site.routes["/api/frontend/v1/statistik-penduduk"] = lambda q: json_answer(opendk_doc())
    site.routes["/api/frontend/v1/desa"] = lambda q: json_answer(desa_doc())
    source = checked(id="kec-mempawah-hilir", kind="opendk", url=site.url, timeout_s=2)
    result = poll(source, SourceState(), None, now=NOW)
    assert result.error is None and result.snapshot is not None, result.error
    snap = result.snapshot
    assert snap.validation.status == "ok", snap.validation
    assert site.requests[0] == ("/api/frontend/v1/statistik-penduduk", {"desa": "Semua", "tahun": "2026"})
    sexes = snap.series["jenis-kelamin"]
    assert (sexes.total, sexes.total_male, sexes.total_female) == (5861, 2987, 2874)
    assert {c.label: c.total for c in snap.series["agama"].categories} == {"Islam": 4585, "Katholik": 590}
    assert {c.label: c.total for c in snap.series["pendidikan"].categories}["SD"] == 1616  # this year's row
    assert snap.series["kategori-umur"].categories[0].label == "Bayi (0 - 5 tahun)"
    assert any("3 desa" in note for note in result.notes)


def test_opendk_php_formatted_strings_and_bad_totals(site: FakeSite) -> None:
    doc = opendk_doc("5,861", "2,987", "2,874")
    site.routes["/api/frontend/v1/statistik-penduduk"] = lambda q: json_answer(doc)
    source = checked(id="kec", kind="opendk", url=site.url, timeout_s=2)
    snap = poll(source, SourceState(), None, now=NOW).snapshot
    assert snap is not None and snap.series["jenis-kelamin"].total == 5861
    site.routes["/api/frontend/v1/statistik-penduduk"] = lambda q: json_answer(opendk_doc(5861, 2987, 2000))
    bad = poll(source, SourceState(), None, now=NOW).snapshot  # L + P != total: that series is left out
    assert bad is not None and "jenis-kelamin" not in bad.series
    assert "L 2987 + P 2000 != 5861" in bad.missing["jenis-kelamin"]
    assert bad.validation.status == "ok" and "agama" in bad.series  # the rest of the kecamatan still airs


def test_opendk_rate_limit_is_respected(site: FakeSite) -> None:
    site.routes["/api/frontend/v1/statistik-penduduk"] = lambda q: (429, {"Retry-After": "45"}, b"Too Many Attempts.")
    result = poll(checked(id="kec", kind="opendk", url=site.url, timeout_s=2), SourceState(failures=1), None, now=NOW)
    assert result.snapshot is None and result.state.failures == 2
    assert result.state.next_due_at == NOW + timedelta(seconds=120)  # backoff (120 s) beats Retry-After (45 s)
    result = poll(checked(id="kec", kind="opendk", url=site.url, timeout_s=2), SourceState(), None, now=NOW)
    assert result.state.next_due_at == NOW + timedelta(seconds=60)
    site.routes["/api/frontend/v1/statistik-penduduk"] = lambda q: (429, {"Retry-After": "300"}, b"")
    result = poll(checked(id="kec", kind="opendk", url=site.url, timeout_s=2), SourceState(), None, now=NOW)
    assert result.state.next_due_at == NOW + timedelta(seconds=300)


def test_opendk_malformed_answer_keeps_last_good(site: FakeSite) -> None:
    site.routes["/api/frontend/v1/statistik-penduduk"] = lambda q: (200, {}, b"<html>maintenance</html>")
    result = poll(checked(id="kec", kind="opendk", url=site.url, timeout_s=2), SourceState(), None, now=NOW)
    assert result.snapshot is None and "JSON" in (result.error or "")


RECORDS = [
    {"_id": i + 1, "kecamatan": kec, "desa": desa, "agama": agama, "jumlah": n}
    for i, (kec, desa, agama, n) in enumerate(
        [("MEMPAWAH HILIR", f"DESA {d}", a, 100 * (d + 1) + len(a)) for d in range(5)
         for a in ("ISLAM", "KATOLIK", "KRISTEN", "BUDHA", "KONGHUCU")]
        + [("SUNGAI PINYUH", "DESA X", "ISLAM", 999)]
    )
]  # fmt: skip


def ckan_routes(site: FakeSite, page_size: int = 10) -> None:
    def search(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if query.get("resource_id") != "res-agama":
            error = {"message": "Not found: Resource", "__type": "Not Found Error"}
            return json_answer({"success": False, "error": error}, 404)
        filters = json.loads(query.get("filters", "{}"))
        rows = [r for r in RECORDS if all(r.get(k) == v for k, v in filters.items())]
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", 100)), page_size)
        rest = "&".join(f"{k}={v}" for k, v in query.items() if k not in ("offset",))
        return json_answer({"help": "...", "success": True, "result": {
            "resource_id": "res-agama", "fields": [{"id": "agama", "type": "text"}],
            "records": rows[offset: offset + limit], "total": len(rows),
            "_links": {"start": f"/api/3/action/datastore_search?{rest}",
                       "next": f"/api/3/action/datastore_search?offset={offset + limit}&{rest}"}}})  # fmt: skip

    site.routes["/api/3/action/datastore_search"] = search


def test_ckan_pages_until_total_and_maps_records(site: FakeSite) -> None:
    ckan_routes(site, page_size=10)
    source = checked(id="satu-data", kind="ckan", url=site.url, timeout_s=2, options={
        "resource_id": "res-agama", "filters": {"kecamatan": "MEMPAWAH HILIR"},
        "mapping": {"series": "agama", "title": "Agama", "label": "agama", "value": "jumlah"}})  # fmt: skip
    result = poll(source, SourceState(), None, now=NOW)
    assert result.error is None and result.snapshot is not None, result.error
    pages = [q for p, q in site.requests if p == "/api/3/action/datastore_search"]
    assert len(pages) == 3 and json.loads(pages[0]["filters"]) == {"kecamatan": "MEMPAWAH HILIR"}
    series = result.snapshot.series["agama"]
    assert len(series.categories) == 5  # 25 rows (5 villages x 5 religions) summed per religion
    assert {c.label: c.total for c in series.categories}["ISLAM"] == sum(100 * (d + 1) + 5 for d in range(5))
    assert "999" not in str(series)  # the filter kept Sungai Pinyuh out
    assert result.snapshot.validation.status == "ok"


def test_ckan_error_envelope_is_reported(site: FakeSite) -> None:
    ckan_routes(site)
    source = checked(id="satu-data", kind="ckan", url=site.url, timeout_s=2, options={
        "resource_id": "salah", "mapping": {"series": "agama", "label": "agama", "value": "jumlah"}})  # fmt: skip
    result = poll(source, SourceState(), None, now=NOW)
    assert result.snapshot is None and result.error is not None


def test_ckan_success_false_with_200(site: FakeSite) -> None:
    site.routes["/api/3/action/datastore_search"] = lambda q: json_answer(
        {"success": False, "error": {"message": "Access denied", "__type": "Authorization Error"}})  # fmt: skip
    source = checked(id="satu-data", kind="ckan", url=site.url, timeout_s=2, options={
        "resource_id": "r", "mapping": {"series": "agama", "label": "agama", "value": "jumlah"}})  # fmt: skip
    result = poll(source, SourceState(), None, now=NOW)
    assert result.snapshot is None and "Authorization Error" in (result.error or "")


def test_csv_and_json_documents_with_mapping(site: FakeSite) -> None:
    csv_body = b"dusun;laki_laki;perempuan\nSungai Bakau;901;872\nParit Baru;744;716\n"
    site.routes["/penduduk.csv"] = lambda q: (200, {"Content-Type": "text/csv"}, csv_body)
    site.routes["/penduduk.json"] = lambda q: json_answer({"data": {"rows": [
        {"dusun": "Sungai Bakau", "l": "901", "p": "872"}, {"dusun": "Parit Baru", "l": 744, "p": 716}]}})  # fmt: skip
    mapping = {"series": "wilayah", "title": "Penduduk per Dusun", "label": "dusun", "male": "laki_laki",
               "female": "perempuan"}  # fmt: skip
    csv_source = checked(
        id="csv", kind="csv", url=site.url + "/penduduk.csv", timeout_s=2, options={"mapping": mapping}
    )
    snap = poll(csv_source, SourceState(), None, now=NOW).snapshot
    assert snap is not None and snap.series["wilayah"].total == 901 + 872 + 744 + 716
    assert snap.series["wilayah"].categories[0].male == 901
    json_source = checked(id="json", kind="json", url=site.url + "/penduduk.json", timeout_s=2, options={
        "records_path": "data.rows", "mapping": {**mapping, "male": "l", "female": "p"}})  # fmt: skip
    snap = poll(json_source, SourceState(), None, now=NOW).snapshot
    assert snap is not None and [c.total for c in snap.series["wilayah"].categories] == [1773, 1460]
    wrong_path = checked(id="json", kind="json", url=site.url + "/penduduk.json", timeout_s=2,
                         options={"records_path": "data.items", "mapping": mapping})  # fmt: skip
    result = poll(wrong_path, SourceState(), None, now=NOW)
    assert result.snapshot is None and "records_path" in (result.error or "")


@pytest.mark.parametrize(
    ("kind", "options", "field"),
    [
        ("ckan", {"mapping": {"series": "a", "label": "a", "value": "n"}}, "options.resource_id"),
        ("ckan", {"resource_id": "r"}, "options.mapping"),
        ("csv", {"mapping": {"series": "Agama!", "label": "a", "value": "n"}}, "options.mapping.series"),
        ("json", {"mapping": {"series": "agama", "label": "a"}}, "options.mapping.value"),
        ("opendk", {"tahun": "tahun ini"}, "options.tahun"),
    ],
)
def test_kind_options_are_checked(kind: str, options: dict[str, Any], field: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        checked(id="x", kind=kind, url="http://127.0.0.1:9", options=options)
    assert caught.value.field == field
