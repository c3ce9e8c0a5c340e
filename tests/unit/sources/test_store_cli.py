"""``signage sources`` against a loopback fake, and the store's rule: only good snapshots air."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sources_support import approve_held

from content.sources.config import checked
from content.sources.fakeopensid import FakeOpenSid
from scheduler.sources import last_good, list_sources, poll_now, review, save_source, snapshots
from scheduler.store import open_store
from signage.cli import cli
from signage.errors import UserError

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeOpenSid]:
    server = FakeOpenSid("natra").start()
    yield server
    server.stop()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    if isinstance(result.exception, UserError):
        raise result.exception
    return result.exit_code, result.output


def test_cli_add_test_fetch_list(tmp_path: Path, fake: FakeOpenSid) -> None:
    data = ["--data-dir", str(tmp_path)]
    code, out = run("sources", "add", "desa-sungai-bakau", "--url", fake.url, "--name", "Desa Sungai Bakau", *data)
    assert code == 0, out
    code, out = run("sources", "test", "desa-sungai-bakau", *data)
    assert code == 0, out
    assert "Validasi: DITAHAN" in out and "agama" in out and "5.861" in out  # its first data: held until read
    assert "menu tidak diaktifkan" in out  # the fake enables only some of OpenSID's categories
    assert len(out.splitlines()) <= 16  # one screen
    db = open_store(tmp_path / "signage.db")
    assert snapshots(db, "desa-sungai-bakau") == []  # test stores nothing
    code, out = run("sources", "fetch", "desa-sungai-bakau", *data)
    assert code == 0 and "Disimpan sebagai snapshot" in out
    # a source's first data is held until an approver has read its labels
    assert "DITAHAN" in out and "data pertama" in out and "agama: ISLAM" in out
    assert last_good(db, "desa-sungai-bakau") is None
    first_id = snapshots(db, "desa-sungai-bakau")[0]["id"]
    code, out = run("sources", "review", str(first_id), "--approve", *data)
    assert code == 0 and "approved" in out
    assert last_good(db, "desa-sungai-bakau") is not None
    code, out = run("sources", "list", *data)
    assert "desa-sungai-bakau" in out and "terakhir baik: 20" in out and "snapshot 1 approved" in out
    assert "galat" not in out  # the held first data was decided: no error left on the list


def test_cli_test_url_reports_failure(fake: FakeOpenSid) -> None:
    fake.faults["/index.php/data-statistik/agama"] = "429"
    code, out = run("sources", "test", "--url", fake.url, "--category", "agama")
    assert code == 1 and "GAGAL" in out and "429" in out


def test_cli_bad_input_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        run("sources", "add", "Desa X", "--url", "http://127.0.0.1:9", "--data-dir", str(tmp_path))
    assert caught.value.field == "id"
    with pytest.raises(UserError) as caught:
        run("sources", "test")
    assert caught.value.field == "source"


def test_failed_or_invalid_fetch_never_replaces_last_good(tmp_path: Path, fake: FakeOpenSid) -> None:
    db = open_store(tmp_path / "s.db")
    save_source(db, checked(id="desa", kind="opensid", url=fake.url, timeout_s=2,
                            options={"categories": ["jenis-kelamin", "agama"]}))  # fmt: skip
    result, first_id = poll_now(db, "desa", NOW)
    assert first_id is not None and result.snapshot is not None
    assert approve_held(db, "desa", NOW) == first_id
    good = last_good(db, "desa")
    assert good is not None and good[0] == first_id
    # the site breaks: an error is recorded, the good snapshot stays
    fake.faults["/index.php/data-statistik/agama"] = "404"
    fake.faults["/index.php/data-statistik/jenis-kelamin"] = "hang"
    result, snapshot_id = poll_now(db, "desa", NOW + timedelta(hours=2))
    assert snapshot_id is None and result.error
    assert last_good(db, "desa") == good
    assert "2 s" in (list_sources(db)[0].last_error or "")
    # numbers that add up nowhere (every total written one too high): stored for the record, not aired
    fake.faults.clear()
    for path in ("/index.php/data-statistik/agama", "/index.php/data-statistik/jenis-kelamin",
                 "/index.php/data-wilayah"):
        fake.overrides[path] = str(fake.page(path)).replace("5861", "5862")
    _, bad_id = poll_now(db, "desa", NOW + timedelta(hours=4))
    assert bad_id is not None and snapshots(db, "desa", 1)[0]["status"] == "invalid"
    assert last_good(db, "desa") == good
    # one series that does not add up: left out (named, with why), the others air
    fake.overrides.clear()
    page = str(fake.page("/index.php/data-statistik/agama")).replace("4585", "4685")
    fake.overrides["/index.php/data-statistik/agama"] = page
    _, partial_id = poll_now(db, "desa", NOW + timedelta(hours=6))
    partial = last_good(db, "desa")
    assert partial is not None and partial[0] == partial_id
    assert "agama" not in partial[1].series and "jenis-kelamin" in partial[1].series
    assert partial[1].missing["agama"].startswith("angka tidak konsisten")


def test_held_snapshot_airs_only_after_approval(tmp_path: Path, fake: FakeOpenSid) -> None:
    db = open_store(tmp_path / "s.db")
    save_source(db, checked(id="desa", kind="opensid", url=fake.url, options={"categories": ["jenis-kelamin"]}))
    _, first_id = poll_now(db, "desa", NOW)
    assert approve_held(db, "desa", NOW) == first_id
    fake.scale = 10
    _, held_id = poll_now(db, "desa", NOW + timedelta(hours=2))
    assert held_id is not None and snapshots(db, "desa", 1)[0]["status"] == "held"
    assert last_good(db, "desa")[0] == first_id  # type: ignore[index]
    with pytest.raises(UserError):
        review(db, int(first_id or 0), "approved", None, NOW)  # only held snapshots are reviewed
    review(db, held_id, "approved", None, NOW + timedelta(hours=3))
    now_good = last_good(db, "desa")
    assert now_good is not None and now_good[0] == held_id
    assert now_good[1].series["jenis-kelamin"].total == 58610


def test_cli_summaries_for_alerts_and_forecasts() -> None:
    from datetime import datetime as _datetime

    from fake_bmkg import forecast_doc
    from fake_cap import FakeCapFeed, cap_document
    from fake_sites import FakeSite, json_answer

    feed = FakeCapFeed()
    site = FakeSite()
    try:
        feed.publish("CKB001", cap_document("CKB001"))
        options = '{"areas": {"Mempawah": ["kabupaten"]}}'
        code, out = run("sources", "test", "--kind", "cap", "--url", feed.url, "--options", options)
        assert code == 0 and "1 peringatan aktif" in out and "Severe/Immediate Hujan Lebat" in out
        site.routes["/cuaca"] = lambda q: json_answer(forecast_doc(_datetime(2026, 11, 28, 7)))
        code, out = run("sources", "test", "--kind", "bmkg", "--url", site.url + "/cuaca", "--options",
                        '{"adm4": "61.04.01.2001"}')  # fmt: skip
        assert code == 0 and "prakiraan 24 langkah untuk Antibar" in out and "Cerah Berawan" in out
    finally:
        feed.stop()
        site.stop()


def test_cli_summaries_for_opendk_and_csv() -> None:
    from fake_opendk import desa_doc, opendk_doc
    from fake_sites import FakeSite, json_answer

    site = FakeSite()
    try:
        site.routes["/api/frontend/v1/statistik-penduduk"] = lambda q: json_answer(opendk_doc())
        site.routes["/api/frontend/v1/desa"] = lambda q: json_answer(desa_doc())
        code, out = run("sources", "test", "--kind", "opendk", "--url", site.url)
        assert code == 0 and "3 desa: Desa Antibar" in out and "5.861" in out
        assert "Validasi: DITAHAN" in out  # a new source's first data waits for an approver to read its labels
        site.routes["/data.csv"] = lambda q: (200, {}, b"agama,jumlah\nISLAM,4585\nKATOLIK,590\n")
        mapping = '{"mapping": {"series": "agama", "label": "agama", "value": "jumlah"}}'
        code, out = run("sources", "test", "--kind", "csv", "--url", site.url + "/data.csv", "--options", mapping)
        assert code == 0 and "2 baris data" in out and "5.175" in out
    finally:
        site.stop()
