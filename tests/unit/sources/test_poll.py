"""Polling a loopback fake OpenSID: two theme shapes, conditional GET, and hostile servers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from content.sources import opensid
from content.sources.config import SourceConfig, SourceConfigError, checked
from content.sources.fakeopensid import HUGE_BYTES, FakeOpenSid
from content.sources.http import FetchError, fetch, retry_after_seconds
from content.sources.run import NOT_ENABLED, SourceState, poll, retry_delay_s

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
FEW = ["jenis-kelamin", "agama", "rentang-umur"]


@pytest.fixture(params=["esensi", "natra"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeOpenSid]:
    server = FakeOpenSid(request.param, hang_s=20).start()
    yield server
    server.stop()


def source(fake: FakeOpenSid, **options: object) -> SourceConfig:
    return checked(id="desa-sungai-bakau", kind="opensid", url=fake.url, timeout_s=2.0,
                   options={"categories": FEW, **options})  # fmt: skip


def test_both_theme_shapes_read_from_embedded_json(fake: FakeOpenSid) -> None:
    result = poll(source(fake), SourceState(), None, now=NOW)
    assert result.error is None and result.snapshot is not None
    snap = result.snapshot
    assert snap.validation.status == "ok", snap.validation
    assert all(note.endswith(": json") for note in result.notes)
    assert snap.series["jenis-kelamin"].total == 5861
    assert snap.series["agama"].categories[0].label == "ISLAM"
    assert snap.series["agama"].categories[0].total == 4585
    assert snap.series["wilayah"].total == 5861 and len(snap.series["wilayah"].categories) == 4
    assert snap.articles[0].title.startswith("Posyandu")
    assert snap.as_of is not None and snap.as_of.date().isoformat() == "2026-11-27"  # 28 Nov 00:00 WIB


def test_unchanged_pages_are_not_downloaded_again(fake: FakeOpenSid) -> None:
    first = poll(source(fake), SourceState(), None, now=NOW)
    assert first.snapshot is not None
    second = poll(source(fake), first.state, first.snapshot, now=NOW + timedelta(hours=1))
    assert second.not_modified and second.snapshot is None and second.error is None
    assert second.state.next_due_at == NOW + timedelta(hours=2)
    # one page changes: only it is re-read, the rest comes from the last good snapshot
    fake.overrides["/index.php/data-statistik/agama"] = str(fake.page("/index.php/data-statistik/agama")) + "<!-- x -->"
    third = poll(source(fake), second.state, first.snapshot, now=NOW + timedelta(hours=2))
    assert third.snapshot is not None and third.snapshot.series == first.snapshot.series
    assert any("304" in note for note in third.notes)


def test_malformed_json_falls_back_to_the_table(fake: FakeOpenSid) -> None:
    fake.faults["/index.php/data-statistik/agama"] = "malformed"
    page = fake.page("/index.php/data-statistik/agama")
    assert page is not None and opensid.embedded_rows(page) is None  # the fault really breaks the JSON
    result = poll(source(fake), SourceState(), None, now=NOW)
    assert result.snapshot is not None
    assert "agama: table" in result.notes
    assert result.snapshot.series["agama"].total == 5861
    assert result.snapshot.validation.status == "ok"


def test_404_category_is_reported_as_menu_not_enabled(fake: FakeOpenSid) -> None:
    fake.faults["/index.php/data-statistik/agama"] = "404"
    result = poll(source(fake), SourceState(), None, now=NOW)
    assert result.snapshot is not None and "agama" not in result.snapshot.series
    assert result.snapshot.missing["agama"] == NOT_ENABLED
    assert result.snapshot.validation.status == "ok"


def test_hanging_server_times_out_and_backs_off(fake: FakeOpenSid) -> None:
    fake.faults["/index.php/data-statistik/jenis-kelamin"] = "hang"
    started = time.monotonic()
    result = poll(source(fake), SourceState(), None, now=NOW)
    assert time.monotonic() - started < 15  # timeout_s is 2; the fake would hang 20 s
    assert result.snapshot is None and result.error and "2 s" in result.error
    assert result.state.failures == 1 and result.state.next_due_at == NOW + timedelta(seconds=60)
    again = poll(source(fake), result.state, None, now=NOW)
    assert again.state.failures == 2 and again.state.next_due_at == NOW + timedelta(seconds=120)


def test_429_retry_after_is_respected(fake: FakeOpenSid) -> None:
    fake.faults["/index.php/data-statistik/agama"] = "429"
    result = poll(source(fake), SourceState(), None, now=NOW)
    assert result.snapshot is None and "429" in (result.error or "")
    assert result.state.next_due_at == NOW + timedelta(seconds=120)  # Retry-After: 120 > first backoff 60


@pytest.mark.parametrize("fault", ["huge", "huge-chunked"])
def test_50_mb_response_is_refused_without_reading_it(fake: FakeOpenSid, fault: str) -> None:
    fake.faults["/index.php/data-statistik/agama"] = fault
    result = poll(source(fake), SourceState(), None, now=NOW)
    assert result.snapshot is None and "bytes" in (result.error or "")
    time.sleep(0.5)
    assert fake.huge_bytes_sent < HUGE_BYTES // 2


def test_a_series_that_does_not_add_up_is_left_out_and_the_others_air(fake: FakeOpenSid) -> None:
    page = fake.page("/index.php/data-statistik/agama")
    assert page is not None
    fake.overrides["/index.php/data-statistik/agama"] = page.replace("4585", "4685")  # ISLAM, JSON and table
    result = poll(source(fake), SourceState(), None, now=NOW)
    snap = result.snapshot
    assert snap is not None and snap.validation.status == "ok", snap
    assert "agama" not in snap.series and {"jenis-kelamin", "rentang-umur", "wilayah"} <= set(snap.series)
    why = snap.missing["agama"]
    assert why.startswith("angka tidak konsisten") and "5961" in why and "5861" in why  # added up vs written
    # a later poll with the page mended reads it again (no 304 against data never accepted)
    del fake.overrides["/index.php/data-statistik/agama"]
    mended = poll(source(fake), result.state, snap, now=NOW + timedelta(hours=1)).snapshot
    assert mended is not None and mended.series["agama"].total == 5861 and "agama" not in mended.missing


def test_numbers_that_add_up_nowhere_make_the_snapshot_invalid(fake: FakeOpenSid) -> None:
    for slug in ("jenis-kelamin", "agama", "rentang-umur"):
        path = f"/index.php/data-statistik/{slug}"
        page = fake.page(path)
        assert page is not None and "5861" in page
        fake.overrides[path] = page.replace("5861", "5862")  # every written total off by one
    fake.faults["/index.php/data-wilayah"] = "404"
    result = poll(source(fake), SourceState(), None, now=NOW)
    assert result.snapshot is not None and result.snapshot.validation.status == "invalid"
    assert {p.split(":")[0] for p in result.snapshot.validation.problems} >= {"jenis-kelamin", "agama"}


def test_tenfold_jump_is_held(fake: FakeOpenSid) -> None:
    good = poll(source(fake), SourceState(), None, now=NOW).snapshot
    assert good is not None and good.validation.status == "ok"
    fake.scale = 10
    jumped = poll(source(fake), SourceState(), good, now=NOW + timedelta(hours=1)).snapshot
    assert jumped is not None and jumped.validation.status == "held"
    assert any("58610" in p for p in jumped.validation.problems)


def test_eligible_only_total_is_valid(fake: FakeOpenSid) -> None:
    result = poll(source(fake, categories=["jenis-kelamin", "kepemilikan-ktp"]), SourceState(), None, now=NOW)
    assert result.snapshot is not None and result.snapshot.validation.status == "ok"
    assert result.snapshot.series["kepemilikan-ktp"].total == 4143 < 5861


def test_fetch_sends_validators_and_reads_304() -> None:
    server = FakeOpenSid().start()
    try:
        with requests.Session() as session:
            url = server.url + "/feed.xml"
            first = fetch(session, url, timeout_s=2, max_bytes=100_000)
            assert first.status == 200 and first.etag
            second = fetch(session, url, timeout_s=2, max_bytes=100_000, etag=first.etag)
            assert second.not_modified
            with pytest.raises(FetchError) as caught:
                fetch(session, url, timeout_s=2, max_bytes=1024 * 0 + 10)
            assert caught.value.reason == "too_large"
    finally:
        server.stop()


def test_retry_helpers() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now_s=1445412480 - 60) == 60
    assert retry_after_seconds("soon") is None
    assert [retry_delay_s(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay_s(30) == 6 * 3600


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"id": "Desa X"}, "id"),
        ({"kind": "sid"}, "kind"),
        ({"url": "antibar.desa.id"}, "url"),
        ({"poll_interval_s": 5}, "poll_interval_s"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"options": {"categories": "agama"}}, "options.categories"),
    ],
)
def test_bad_config_names_the_field(values: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"id": "desa-x", "kind": "opensid", "url": "http://127.0.0.1:1"}
    with pytest.raises(SourceConfigError) as caught:
        checked(**{**base, **values})
    assert caught.value.field == field


def test_held_data_is_fetched_again_not_mistaken_for_unchanged(fake: FakeOpenSid) -> None:
    first = poll(source(fake), SourceState(), None, now=NOW)
    assert first.snapshot is not None
    fake.scale = 10
    held = poll(source(fake), first.state, first.snapshot, now=NOW + timedelta(hours=1))
    assert held.snapshot is not None and held.snapshot.validation.status == "held"
    # the server now answers 304 to the validators of the jumped pages; the next poll must not turn that
    # into "same as the last good data" and air the old figures as fresh
    again = poll(source(fake), held.state, first.snapshot, now=NOW + timedelta(hours=2))
    assert again.snapshot is not None and again.snapshot.validation.status == "held"
