"""BMKG village forecasts: parsed from the real answer shape, validated, offered to a weather slide."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fake_bmkg import forecast_doc
from fake_sites import FakeSite, json_answer
from sources_support import approve_held

from content.sources.bmkg import parse_forecast
from content.sources.config import SourceConfigError, checked
from content.sources.run import SourceState, poll
from scheduler.dataslides import stat_item, validate_template
from scheduler.sources import poll_now, save_source
from scheduler.store import open_store
from signage.dataslide import parse_stat

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
START = datetime(2026, 11, 28, 7, 0)  # local WIB


@pytest.fixture
def site() -> Iterator[FakeSite]:
    server = FakeSite()
    yield server
    server.stop()


def test_parse_three_days_of_steps() -> None:
    forecast = parse_forecast(json.dumps(forecast_doc(START)))
    assert forecast["place"] == "Antibar (Mempawah Hilir)" and len(forecast["steps"]) == 24
    assert forecast["steps"][0]["local_datetime"] == "2026-11-28 07:00:00"
    assert forecast["steps"][0]["weather_desc"] == "Cerah Berawan"


def test_poll_and_validate(site: FakeSite) -> None:
    site.routes["/publik/prakiraan-cuaca"] = lambda q: json_answer(forecast_doc(START, adm4=q["adm4"]))
    source = checked(id="cuaca-antibar", kind="bmkg", url=site.url + "/publik/prakiraan-cuaca", timeout_s=2,
                     options={"adm4": "61.04.01.2001"})  # fmt: skip
    result = poll(source, SourceState(), None, now=NOW)
    assert result.snapshot is not None and result.snapshot.validation.status == "ok", result.error
    assert site.requests[0][1] == {"adm4": "61.04.01.2001"}
    assert result.snapshot.forecast is not None and len(result.snapshot.forecast["steps"]) == 24
    assert result.snapshot.as_of == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    site.routes["/publik/prakiraan-cuaca"] = lambda q: json_answer(forecast_doc(START, temperature=95.0))
    hot = poll(source, SourceState(), None, now=NOW).snapshot
    assert hot is not None and hot.validation.status == "invalid"
    assert any("suhu" in p for p in hot.validation.problems)


def test_adm4_is_required() -> None:
    with pytest.raises(SourceConfigError) as caught:
        checked(id="cuaca", kind="bmkg", url="http://127.0.0.1:9/publik/prakiraan-cuaca", options={"adm4": "6104"})
    assert caught.value.field == "options.adm4"


def test_weather_template_fills_a_weather_item(site: FakeSite, tmp_path: Path) -> None:
    site.routes["/publik/prakiraan-cuaca"] = lambda q: json_answer(forecast_doc(START))
    db = open_store(tmp_path / "s.db")
    save_source(db, checked(id="cuaca-antibar", kind="bmkg", url=site.url + "/publik/prakiraan-cuaca",
                            options={"adm4": "61.04.01.2001"}))  # fmt: skip
    poll_now(db, "cuaca-antibar", NOW)
    assert approve_held(db, "cuaca-antibar", NOW) is not None  # a source's first data: read, then aired
    body = validate_template(db, '{"source": "cuaca-antibar", "slide": "weather"}')
    item = stat_item(db, {"id": 1, "title": "Prakiraan Cuaca", "body": body}, {}, NOW)
    assert item is not None and item["type"] == "stat"
    slide = parse_stat(item["data"])
    assert slide.slide == "weather" and slide.forecast is not None and slide.place == "Antibar (Mempawah Hilir)"
