"""Real OpenSID installations other than the captured v2410/esensi fixtures: older routes, premium Blade themes
that load rows with JavaScript, other table shapes, offline mode and login redirects (loopback fake only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from content.sources import opensid, opensid_api
from content.sources.config import SourceConfig, checked
from content.sources.fakeopensid import KADUS, FakeOpenSid, statistik_page
from content.sources.model import Category, Series, Snapshot
from content.sources.run import SourceState, poll
from content.sources.sample import BANTUAN_RECIPIENTS, VILLAGE, WILAYAH, opensid_rows
from content.sources.validate import series_problems

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
FEW = ["rentang-umur", "jenis-kelamin", "agama", "pekerjaan", "bantuan-penduduk"]
POPULATION = 2987 + 2874


@pytest.fixture
def servers() -> Iterator[list[FakeOpenSid]]:
    started: list[FakeOpenSid] = []
    yield started
    for server in started:
        server.stop()


def site(servers: list[FakeOpenSid], theme: str, version: int = 2410) -> FakeOpenSid:
    server = FakeOpenSid(theme, version=version).start()
    servers.append(server)
    return server


def source(url: str, **options: object) -> SourceConfig:
    return checked(id="desa-sungai-bakau", kind="opensid", url=url, timeout_s=5.0,
                   options={"categories": FEW, "feed": False, **options})  # fmt: skip


def figures(snapshot: Snapshot | None) -> dict[str, tuple[tuple[Category, ...], int | None, int]]:
    assert snapshot is not None
    return {k: (s.categories, s.total, s.unfilled) for k, s in snapshot.series.items()}


def test_older_opensid_is_read_from_first_statistik(servers: list[FakeOpenSid]) -> None:
    """v2310..v2404 know only first/statistik/{key} (data-statistik/{slug} came in v2405): every page was a 404."""
    old = site(servers, "natra", version=2310)
    result = poll(source(old.url), SourceState(), None, now=NOW)
    assert result.error is None and result.snapshot is not None
    assert set(result.snapshot.series) == {*FEW, "wilayah"}, result.snapshot.missing
    assert result.snapshot.validation.status == "ok", result.snapshot.validation.problems
    assert result.snapshot.series["agama"].total == POPULATION
    # once the site showed it is an older version, the slug route is not tried again for every category
    assert old.hits.get("/index.php/data-statistik/agama", 0) == 0
    assert old.hits["/index.php/first/statistik/3"] == 1
    # the same figures as a current version serves
    new = site(servers, "natra")
    assert figures(result.snapshot) == figures(poll(source(new.url), SourceState(), None, now=NOW).snapshot)


def test_bantuan_is_read_from_its_only_route_and_overlapping_programmes_are_valid(
    servers: list[FakeOpenSid],
) -> None:
    """No version has data-statistik/bantuan-penduduk; its page lists programmes that overlap, BUKAN PENERIMA
    (id 777) and the whole population as TOTAL (Statistik_penduduk_model::Penduduk_penerima_bantuan)."""
    fake = site(servers, "esensi")
    result = poll(source(fake.url), SourceState(), None, now=NOW)
    assert result.snapshot is not None and result.snapshot.validation.status == "ok"
    bantuan = result.snapshot.series["bantuan-penduduk"]
    assert [c.label for c in bantuan.categories] == [name for name, _, _ in VILLAGE["bantuan-penduduk"][1]]
    assert bantuan.total == POPULATION
    assert bantuan.unfilled == POPULATION - sum(BANTUAN_RECIPIENTS)
    assert fake.hits["/index.php/first/statistik/bantuan_penduduk"] == 1
    assert fake.hits.get("/index.php/data-statistik/bantuan-penduduk", 0) == 0


def test_bantuan_rows_adding_up_to_less_than_the_total_are_invalid() -> None:
    short = Series("bantuan-penduduk", "Bantuan", (Category("PKH", 10, 4, 6),), total=100, unfilled=80)
    assert series_problems(short) and "kurang dari" in series_problems(short)[0]
    overlapping = Series("bantuan-penduduk", "B", (Category("PKH", 30, 10, 20),), total=100, unfilled=80)
    assert series_problems(overlapping) == []
    # any other statistic must still add up exactly
    assert series_problems(Series("agama", "Agama", (Category("ISLAM", 30, 10, 20),), total=100, unfilled=80))


def test_blade_theme_figures_that_change_behind_an_unchanged_page_are_read(servers: list[FakeOpenSid]) -> None:
    """A Blade theme's page is the same empty table whatever the figures (it answers 304): its internal_api is
    asked again, so the screens do not keep the first poll's figures for ever."""
    blade = site(servers, "lestari", version=2411)
    first = poll(source(blade.url), SourceState(), None, now=NOW)
    assert first.snapshot is not None and first.snapshot.series["jenis-kelamin"].total == POPULATION
    blade.scale = 2  # the village's data changes; its pages' HTML does not
    second = poll(source(blade.url), first.state, first.snapshot, now=NOW)
    assert second.snapshot is not None, second
    assert second.snapshot.series["jenis-kelamin"].total == 2 * POPULATION
    assert second.snapshot.series["wilayah"].total == 2 * POPULATION
    assert "jenis-kelamin: api" in second.notes
    # nothing changed at all: the pages and the internal_api all answer 304, no snapshot is made
    third = poll(source(blade.url), second.state, second.snapshot, now=NOW)
    assert third.not_modified and third.snapshot is None


def test_blade_theme_rows_come_from_internal_api(servers: list[FakeOpenSid]) -> None:
    """Premium Blade themes (lestari...) render an empty table and fetch internal_api/statistik/{key}."""
    blade = site(servers, "lestari", version=2411)
    result = poll(source(blade.url), SourceState(), None, now=NOW)
    assert result.snapshot is not None and result.snapshot.validation.status == "ok", result.snapshot
    assert set(result.snapshot.series) == {*FEW, "wilayah"}, result.snapshot.missing
    assert "agama: api" in result.notes
    assert blade.hits["/index.php/internal_api/statistik/3"] == 1
    assert blade.hits["/index.php/internal_api/wilayah/administratif"] == 1
    assert result.snapshot.as_of is not None  # the page's "Diperbarui pada" still dates the data
    php = site(servers, "esensi")
    assert figures(result.snapshot) == figures(poll(source(php.url), SourceState(), None, now=NOW).snapshot)


def test_dusun_labels_leave_out_the_kadus(servers: list[FakeOpenSid]) -> None:
    """The themes print "Dusun X , Ketua NAME" once a kadus is set; the screen shows the dusun's name."""
    fake = site(servers, "esensi")
    page = fake.page("/index.php/data-wilayah")
    assert page is not None and f", Ketua {KADUS[0]}" in page
    series = opensid.parse_wilayah(page)
    assert [(c.label, c.total, c.male, c.female) for c in series.categories] == [
        (name, male + female, male, female) for name, _, male, female in WILAYAH
    ]
    assert series.households == sum(kk for _, kk, _, _ in WILAYAH)
    assert series_problems(series) == []


def test_flat_wilayah_table_of_older_themes() -> None:
    """No, Dusun, RW, RT, Nama Kepala/Ketua, KK, L+P, L, P: one row per RT, the dusun named on its first row
    (the non-premium branch of a theme's ``partials/statistics/regions.php``)."""
    rows = [
        ("1", "SUNGAI BAKAU", "001", "001", "Ahmad", 20, 60, 31, 29),
        ("2", "", "", "002", "Budi", 15, 41, 20, 21),
        ("3", "PARIT BARU", "002", "001", "Citra", 9, 30, 14, 16),
    ]
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    page = (
        "<table><thead><tr><th>No</th><th>Dusun</th><th>RW</th><th>RT</th><th>Nama Kepala/Ketua</th>"
        f"<th class='center'>KK</th><th>L+P</th><th>L</th><th>P</th></tr></thead><tbody>{body}</tbody>"
        "<tfoot><tr><td colspan='5'><label>TOTAL</label></td><td>44</td><td>131</td><td>65</td><td>66</td></tr>"
        "</tfoot></table>"
    )
    series = opensid.parse_wilayah(page)
    assert [(c.label, c.total, c.male, c.female) for c in series.categories] == [
        ("SUNGAI BAKAU", 101, 51, 50),
        ("PARIT BARU", 30, 14, 16),
    ]
    assert (series.total, series.total_male, series.total_female, series.households) == (131, 65, 66, 44)


def test_a_widgets_rows_do_not_replace_the_pages_rows() -> None:
    """A sidebar widget may embed another statistic's rows (more of them) in the same page: the page's own rows
    are those the table shows."""
    mine = opensid_rows([("TETAP", 2900, 2800), ("TIDAK TETAP", 87, 74)], (0, 0))
    widget = opensid_rows(VILLAGE["agama"][1], (0, 0))
    page = statistik_page("Status Penduduk", mine, "esensi").replace(
        "<body>", f"<body><aside><script>const widgetRows = {json.dumps(widget)};</script></aside>"
    )
    series, how = opensid.parse_statistik(page, "status-penduduk")
    assert how == "json"
    assert [c.label for c in series.categories] == ["TETAP", "TIDAK TETAP"]
    assert series.total == POPULATION


def test_offline_mode_fails_the_poll_with_its_reason(servers: list[FakeOpenSid]) -> None:
    fake = site(servers, "esensi")
    fake.faults["*"] = "maintenance"
    result = poll(source(fake.url), SourceState(), None, now=NOW)
    assert result.snapshot is None and result.error is not None
    assert "mode perbaikan" in result.error and fake.url in result.error
    assert result.state.failures == 1


def test_redirect_to_the_admin_login_fails_the_poll_with_its_reason(servers: list[FakeOpenSid]) -> None:
    fake = site(servers, "natra")
    fake.faults["*"] = "login"
    result = poll(source(fake.url), SourceState(), None, now=NOW)
    assert result.snapshot is None and result.error is not None
    assert "/siteman" in result.error and "login" in result.error


def test_address_given_with_index_php(servers: list[FakeOpenSid]) -> None:
    fake = site(servers, "esensi")
    result = poll(source(fake.url + "/index.php/"), SourceState(), None, now=NOW)
    assert result.snapshot is not None and set(result.snapshot.series) == {*FEW, "wilayah"}
    assert fake.hits["/index.php/data-statistik/agama"] == 1


def test_unrecognised_page_names_the_address_and_what_was_expected(servers: list[FakeOpenSid]) -> None:
    fake = site(servers, "esensi")
    fake.overrides["/index.php/data-statistik/agama"] = "<html><body><p>Halaman kustom desa</p></body></html>"
    result = poll(source(fake.url), SourceState(), None, now=NOW)
    assert result.snapshot is not None
    why = result.snapshot.missing["agama"]
    assert f"{fake.url}/index.php/data-statistik/agama" in why and "Kelompok/Jumlah" in why


def test_internal_api_answers_are_read_defensively() -> None:
    rows = opensid_rows([("ISLAM", 3, 4)], (1, 0))
    document = {"data": [{"type": "statistik", "id": str(r["id"]), "attributes": r} for r in rows]}
    noisy = b"\xef\xbb\xbf<br />\n<b>Deprecated</b>: Creation of dynamic property in x.php<br />\n"
    series = opensid_api.parse_statistik(noisy + json.dumps(document).encode(), "agama", "http://127.0.0.1/x")
    assert [(c.label, c.total) for c in series.categories] == [("ISLAM", 7)]
    assert (series.total, series.unfilled) == (8, 1)
    nested = {"data": [{"attributes": {"label": "Agama", "data": document["data"]}}]}
    assert opensid_api.parse_statistik(json.dumps(nested).encode(), "agama", "u") == series
    with pytest.raises(opensid.ParseError, match=r"http://127\.0\.0\.1/login: bukan JSON"):
        opensid_api.parse_statistik(b"<html><form>Masuk</form></html>", "agama", "http://127.0.0.1/login")
    with pytest.raises(opensid.ParseError, match="data\\[\\]\\.attributes"):
        opensid_api.parse_statistik(b'{"data": []}', "agama", "u")


def test_table_without_closing_tags_and_a_nested_table() -> None:
    """HTML lets a page leave out ``</td>`` and ``</tr>``; a theme may put a small table inside a cell."""
    page = (
        "<table class='table'><thead><tr><th>No<th>Kelompok<th>Jumlah<th>%<th>Laki-laki<th>%<th>Perempuan<th>%"
        "<tbody><tr><td>1<td>ISLAM <table><tr><td>ikon</table><td>1.234<td>90,00%<td>600<td>45%<td>634<td>45%"
        "<tr><td>2<td>KRISTEN<td>137<td>10,00%<td>70<td>5%<td>67<td>5%"
        "<tfoot><tr><td><td>TOTAL<td>1.371<td>100%<td>670<td>50%<td>701<td>50%</table>"
    )
    series, how = opensid.parse_statistik(page, "agama")
    assert how == "table"
    assert [(c.label, c.total, c.male, c.female) for c in series.categories] == [
        ("ISLAM", 1234, 600, 634),  # the nested table is a table of its own
        ("KRISTEN", 137, 70, 67),
    ]
    assert (series.total, series.total_male, series.total_female) == (1371, 670, 701)
    assert series_problems(series) == []


def test_a_missing_internal_api_category_is_reported_not_fatal(servers: list[FakeOpenSid]) -> None:
    blade = site(servers, "lestari", version=2411)
    blade.faults["/index.php/internal_api/statistik/3"] = "404"
    result = poll(source(blade.url), SourceState(), None, now=NOW)
    assert result.error is None and result.snapshot is not None
    assert "agama" not in result.snapshot.series and "pekerjaan" in result.snapshot.series
    why = result.snapshot.missing["agama"]
    assert "tabel statistik" in why and "/index.php/internal_api/statistik/3: HTTP 404" in why


def test_a_jumlah_row_is_the_total_only_when_it_counts_every_row() -> None:
    def rows(jumlah: int) -> list[tuple[str | None, dict[str, object]]]:
        named = [("ISLAM", 90), ("HINDU", 7), ("BELUM MENGISI", 3), ("JUMLAH", jumlah)]
        return [(None, {"nama": name, "jumlah": str(n)}) for name, n in named]

    footer = opensid.series_from_rows("agama", "Agama", rows(100))  # a theme's own footer over every row
    assert (footer.total, footer.unfilled, [c.label for c in footer.categories]) == (100, 3, ["ISLAM", "HINDU"])
    assert series_problems(footer) == []
    categories_only = opensid.series_from_rows("agama", "Agama", rows(97))  # OpenSID's baris_jumlah (id 666)
    assert categories_only.total is None and series_problems(categories_only) == []


def test_an_error_page_for_one_category_does_not_stop_the_others(servers: list[FakeOpenSid]) -> None:
    """One category's query may fail on a village's database (HTTP 500): the rest of the site is still read."""
    fake = site(servers, "esensi")
    fake.faults["/index.php/data-statistik/agama"] = "500"
    fake.faults["/index.php/data-wilayah"] = "500"
    result = poll(source(fake.url), SourceState(), None, now=NOW)
    assert result.error is None and result.snapshot is not None
    assert set(result.snapshot.series) == set(FEW) - {"agama"}
    assert "HTTP 500" in result.snapshot.missing["agama"] and "HTTP 500" in result.snapshot.missing["wilayah"]
    assert result.snapshot.validation.status == "ok"
    fake.faults["*"] = "500"  # the whole site failing is still a failed poll, and the last good data stays
    failed = poll(source(fake.url), SourceState(), None, now=NOW)
    assert failed.snapshot is None and failed.error is not None and "HTTP 500" in failed.error


# The sixth review read OpenSID's own source for shapes other than the fixtures' (findings 1-7 below).

MENU_OFF = """<html><head><title>Desa Sungai Bakau</title></head><body><h1>PEMBERITAHUAN</h1>
<h3 class="text-h3">Menu Belum Aktif</h3><aside><script>$.get(`{url}/index.php/internal_api/statistik/4`)</script>
</aside></body></html>"""


def test_a_switched_off_menu_answering_200_is_not_read_as_another_statistic(servers: list[FakeOpenSid]) -> None:
    """OpenSID v2407+ answers a menu the village has not switched on with HTTP 200 "Menu Belum Aktif"
    (``Web_Controller::hak_akses_menu``). The page's only internal_api address was a widget's (statistic 4,
    jenis kelamin), and its rows were taken as the religion figures, validated "ok"."""
    fake = site(servers, "lestari")
    fake.overrides["/index.php/data-statistik/agama"] = MENU_OFF.format(url=fake.url)
    result = poll(source(fake.url), SourceState(), None, now=NOW)
    assert result.snapshot is not None
    assert "agama" not in result.snapshot.series
    assert result.snapshot.missing["agama"].startswith("menu tidak diaktifkan"), result.snapshot.missing
    assert result.snapshot.series["jenis-kelamin"].total == POPULATION  # the others are read as before
    assert opensid_api.api_path_in(MENU_OFF.format(url="http://x"), "internal_api/statistik", "3") is None


def test_a_redirect_away_from_the_statistics_page_is_refused_not_read(servers: list[FakeOpenSid]) -> None:
    """A page moved to the home page, whose widget table (Kelompok, Jumlah, Laki-laki, Perempuan) held the
    jenis-kelamin rows: they were read as the religion figures."""
    fake = site(servers, "esensi")
    fake.faults["/index.php/data-statistik/agama"] = "redirect:/index.php/"
    fake.overrides["/index.php/"] = fake.page("/index.php/data-statistik/jenis-kelamin") or ""
    result = poll(source(fake.url), SourceState(), None, now=NOW)
    assert result.snapshot is not None and "agama" not in result.snapshot.series
    why = result.snapshot.missing["agama"]
    assert "mengalihkan ke" in why and f"{fake.url}/index.php/" in why and "bukan halaman statistik agama" in why
    assert result.snapshot.series["jenis-kelamin"].total == POPULATION


def test_offline_mode_of_older_versions_is_recognised() -> None:
    """v2310 and before: ``donjo-app/views/offline_mode.php``, titled "Offline Mode - Desa ..."."""
    assert opensid.is_maintenance("<html><head><title>Offline Mode - Desa Sungai Bakau</title></head>")
    assert opensid.is_maintenance("<html><head><title>Dalam Perbaikan</title></head>")
    assert not opensid.is_maintenance("<html><head><title>Statistik Agama</title></head>")


FLAT_V2205 = """<table class="table"><thead><tr><th>No</th><th>Dusun</th><th>RW</th><th>RT</th>
<th>Nama Kepala/Ketua</th><th class="center">KK</th><th class="center">L+P</th><th class="center">L</th>
<th class="center">P</th></tr></thead><tbody>
<tr><td>1</td><td>DUSUN I</td><td></td><td></td><td>Ahmad</td><td>20</td><td>60</td><td>31</td><td>29</td></tr>
<tr><td>2</td><td></td><td>001</td><td></td><td>Budi</td><td>20</td><td>60</td><td>31</td><td>29</td></tr>
<tr><td>3</td><td></td><td></td><td>001</td><td>Citra</td><td>12</td><td>35</td><td>18</td><td>17</td></tr>
<tr><td>4</td><td></td><td></td><td>002</td><td>Dedi</td><td>8</td><td>25</td><td>13</td><td>12</td></tr>
<tr><td>5</td><td>DUSUN II</td><td></td><td></td><td>Eka</td><td>11</td><td>37</td><td>17</td><td>20</td></tr>
<tr><td>6</td><td></td><td>001</td><td></td><td>Fajar</td><td>11</td><td>37</td><td>17</td><td>20</td></tr>
<tr><td>7</td><td></td><td></td><td>001</td><td>Gita</td><td>11</td><td>37</td><td>17</td><td>20</td></tr>
</tbody><tfoot><tr><td colspan="5"><label>TOTAL</label></td><td>31</td><td>97</td><td>48</td><td>49</td></tr>
</tfoot></table>"""


def test_wilayah_of_v2205_and_before_is_read_from_first_wilayah_dusun_rows_only(servers: list[FakeOpenSid]) -> None:
    """Up to v22.05 the page is only ``first/wilayah`` (``data-wilayah`` came in v22.06), and its flat table
    (``Wilayah_model::list_semua_wilayah``) has a dusun row, RW rows and RT rows, each the sum of the level below:
    it was reported "menu tidak diaktifkan", and summing every row tripled each dusun (180 of a total of 97)."""
    fake = site(servers, "natra", version=2310)
    fake.faults["/index.php/data-wilayah"] = "404"
    fake.overrides["/index.php/first/wilayah"] = FLAT_V2205
    result = poll(source(fake.url), SourceState(), None, now=NOW)
    assert result.snapshot is not None and "wilayah" in result.snapshot.series, result.snapshot.missing
    wilayah = result.snapshot.series["wilayah"]
    assert [(c.label, c.total, c.male, c.female) for c in wilayah.categories] == [
        ("DUSUN I", 60, 31, 29), ("DUSUN II", 37, 17, 20)]  # fmt: skip
    assert (wilayah.total, wilayah.households) == (97, 31)
    assert series_problems(wilayah) == []


def test_a_count_written_with_a_thousands_comma_is_read_and_an_unreadable_one_is_named() -> None:
    """PHP's number_format() writes 1,234. The unreadable cell was skipped, so the male count became the total
    and the site was blamed for figures that do not add up."""
    def page(count: str) -> str:
        return ("<table><thead><tr><th>No</th><th>Kelompok</th><th>Jumlah</th><th>%</th><th>Laki-laki</th>"
                "<th>%</th><th>Perempuan</th><th>%</th></tr></thead><tbody>"
                f"<tr><td>1</td><td>ISLAM</td><td>{count}</td><td>97,86%</td><td>600</td><td>48%</td><td>634</td>"
                "<td>52%</td></tr><tr><td>2</td><td>KRISTEN</td><td>27</td><td>2,14%</td><td>13</td><td>1%</td>"
                "<td>14</td><td>1%</td></tr></tbody></table>")  # fmt: skip

    series, how = opensid.parse_statistik(page("1,234"), "agama")
    assert how == "table"
    assert [(c.label, c.total, c.male, c.female) for c in series.categories] == [
        ("ISLAM", 1234, 600, 634), ("KRISTEN", 27, 13, 14)]  # fmt: skip
    with pytest.raises(opensid.ParseError) as refused:
        opensid.parse_statistik(page("1.2a4"), "agama")
    assert "'ISLAM'" in str(refused.value) and "'1.2a4'" in str(refused.value)


def test_an_empty_village_and_a_dusun_named_by_a_number() -> None:
    """esensi's regions table of a village without dusun has no <tbody> (its row fell into the header: "no
    recognised table"); a dusun whose title is empty is named "2" alone (its row was skipped)."""
    empty = ("<table><thead><tr><th>No</th><th>Wilayah / Ketua</th><th>KK</th><th>L+P</th><th>L</th><th>P</th></tr>"
             "</thead><tr><td colspan=6>Daftar masih kosong</td></tr></table>")  # fmt: skip
    with pytest.raises(opensid.ParseError) as refused:
        opensid.parse_wilayah(empty)
    assert refused.value.empty_table and "kosong" in str(refused.value)
    numbered = ("<table><thead><tr><th>No</th><th colspan=8>Wilayah / Ketua</th><th>KK</th><th>L+P</th><th>L</th>"
                "<th>P</th></tr></thead><tbody><tr><td>1</td><td colspan=8>Dusun Parit</td><td>10</td><td>30</td>"
                "<td>15</td><td>15</td></tr><tr><td>2</td><td colspan=8> 2</td><td>5</td><td>20</td><td>9</td>"
                "<td>11</td></tr></tbody><tfoot><tr><td colspan=9>TOTAL</td><td>15</td><td>50</td><td>24</td>"
                "<td>26</td></tr></tfoot></table>")  # fmt: skip
    series = opensid.parse_wilayah(numbered)
    assert [(c.label, c.total) for c in series.categories] == [("Dusun Parit", 30), ("2", 20)]
    assert series_problems(series) == []
