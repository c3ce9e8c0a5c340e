"""Prayer times and weather per display: each display's coordinates and village code (kode wilayah), on the
real scheduler (admin API over HTTP) with a loopback fake BMKG."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from fake_bmkg import forecast_doc
from fake_sites import FakeSite, json_answer
from sources_support import approve_held
from tests_support import post_approve
from web_support import logged_in

from content.sources.config import checked
from scheduler.sources import poll_now, save_source

pytestmark = pytest.mark.slow
TIMEOUT_S = 10
START = datetime(2026, 11, 30, 7, 0)


@pytest.fixture
def site() -> Iterator[FakeSite]:
    server = FakeSite()
    server.routes["/publik/prakiraan-cuaca"] = lambda q: json_answer(forecast_doc(START, adm4=q["adm4"]))
    yield server
    server.stop()


def _api(live: Any, method: str, path: str, who: str = "admin", **kwargs: Any) -> requests.Response:
    accounts = live.service.demo_accounts
    auth = ("admin", accounts.admin_password) if who == "admin" else ("editor", accounts.editor_password)
    if method == "POST" and path.endswith("/approve") and not kwargs:
        return post_approve(f"{live.url}/api/v1/admin{path}", auth=auth, timeout=TIMEOUT_S)
    return requests.request(method, f"{live.url}/api/v1/admin{path}", auth=auth, timeout=TIMEOUT_S, **kwargs)


def _display(live: Any, display_id: str, **fields: Any) -> None:
    body = {"id": display_id, "name": display_id, "width": 768, "height": 432, **fields}
    r = _api(live, "POST", "/displays", json=body)
    assert r.status_code == 201, r.text


def _template(live: Any, title: str, body: dict[str, Any], displays: list[str]) -> int:
    announcement = {"title": title, "kind": "stat", "body": json.dumps(body), "targets": {"displays": displays}}
    r = _api(live, "POST", "/announcements", who="editor", json=announcement)
    assert r.status_code == 201, r.text
    ann_id = int(r.json()["announcement"]["id"])
    _api(live, "POST", f"/announcements/{ann_id}/approve").raise_for_status()
    return ann_id


def _items(live: Any, display_id: str, kind: str) -> list[dict[str, Any]]:
    _compiled, items = live.service.publisher.compile(display_id)
    return [i for i in items.values() if i["type"] == kind]


def test_prayer_times_use_each_displays_own_coordinates(live_scheduler: Any) -> None:
    live = live_scheduler
    _display(live, "led-mempawah", latitude=0.3622, longitude=108.9614, location="Mempawah")
    _display(live, "led-sungai-pinyuh", latitude=0.2167, longitude=109.0333, location="Sungai Pinyuh")
    _display(live, "led-tanpa-koordinat")
    _template(live, "Jadwal Sholat", {"slide": "prayer"}, ["led-mempawah", "led-sungai-pinyuh", "led-tanpa-koordinat"])
    [mempawah] = _items(live, "led-mempawah", "prayer")
    [pinyuh] = _items(live, "led-sungai-pinyuh", "prayer")
    assert mempawah["data"] == {"lat": 0.3622, "lon": 108.9614, "place": "Mempawah"}
    assert pinyuh["data"] == {"lat": 0.2167, "lon": 109.0333, "place": "Sungai Pinyuh"}
    assert _items(live, "led-tanpa-koordinat", "prayer") == []  # no coordinates anywhere: left out, not a guess

    # A template with coordinates is the fallback for displays without their own; the display's own win.
    _template(live, "Jadwal Sholat Kabupaten", {"slide": "prayer", "lat": 0.35, "lon": 108.95, "place": "Mempawah"},
              ["led-tanpa-koordinat", "led-sungai-pinyuh"])  # fmt: skip
    [fallback] = _items(live, "led-tanpa-koordinat", "prayer")
    assert (fallback["data"]["lat"], fallback["data"]["lon"]) == (0.35, 108.95)
    assert {(i["data"]["lat"], i["data"]["lon"]) for i in _items(live, "led-sungai-pinyuh", "prayer")} == {
        (0.2167, 109.0333)
    }
    # Moving a display moves its prayer times (the edit republishes).
    _api(live, "PATCH", "/displays/led-tanpa-koordinat", json={"latitude": 0.1, "longitude": 109.1}).raise_for_status()
    moved = _items(live, "led-tanpa-koordinat", "prayer")
    assert [(i["data"]["lat"], i["data"]["lon"]) for i in moved] == [(0.1, 109.1)] * 2  # both templates


def test_each_display_gets_the_forecast_of_its_own_village_code(live_scheduler: Any, site: FakeSite) -> None:
    live, service = live_scheduler, live_scheduler.service
    bad = _api(live, "POST", "/displays", json={"id": "led-x", "name": "x", "width": 768, "height": 432,
                                                "region_code": "6104"})  # fmt: skip
    assert bad.status_code == 400 and bad.json()["field"] == "region_code" and "61.04.01.2001" in bad.text
    _display(live, "led-antibar", region_code="61.04.01.2001")
    _display(live, "led-pasir", region_code="61.04.01.2005")
    _display(live, "led-tanpa-kode")
    url = site.url + "/publik/prakiraan-cuaca"
    with service.lock:
        for source_id, name, adm4 in (("cuaca-antibar", "Desa Antibar", "61.04.01.2001"),
                                      ("cuaca-pasir", "Desa Pasir", "61.04.01.2005")):  # fmt: skip
            save_source(service.db, checked(id=source_id, kind="bmkg", url=url, name=name, timeout_s=2,
                                            options={"adm4": adm4}))  # fmt: skip
            poll_now(service.db, source_id, service.clock())
            approve_held(service.db, source_id, service.clock())  # a source's first data: read, then aired
    _template(live, "Prakiraan Cuaca", {"slide": "weather"}, ["led-antibar", "led-pasir", "led-tanpa-kode"])
    [antibar] = _items(live, "led-antibar", "stat")
    [pasir] = _items(live, "led-pasir", "stat")
    assert antibar["data"]["slide"] == "weather" and antibar["data"]["source_name"] == "Desa Antibar"
    assert pasir["data"]["source_name"] == "Desa Pasir" and len(pasir["data"]["forecast"]["steps"]) == 24
    assert antibar["data"]["snapshot"] != pasir["data"]["snapshot"]
    assert _items(live, "led-tanpa-kode", "stat") == []  # no kode wilayah: no forecast of somewhere else
    assert {q["adm4"] for _path, q in site.requests} == {"61.04.01.2001", "61.04.01.2005"}

    from scheduler.dataslides import displays_for_source

    with service.lock:
        assert displays_for_source(service.db, "cuaca-pasir") == {"led-pasir"}  # new data republishes this one


def test_kode_wilayah_in_the_display_form(live_scheduler: Any) -> None:
    live = live_scheduler
    _display(live, "led-form")
    admin = logged_in(live, "admin")
    form = {"csrf_token": admin.token("/admin/displays/led-form/edit"), "name": "LED Form", "width": "768",
            "height": "432", "rotation": "0", "timezone": "Asia/Pontianak", "region_code": "61.04"}  # fmt: skip
    bad = admin.post("/admin/displays/led-form/edit", form)
    assert bad.status_code == 400 and "Kode wilayah" in bad.text and 'value="61.04"' in bad.text
    ok = admin.post("/admin/displays/led-form/edit", {**form, "region_code": "61.04.01.2001"})
    assert ok.status_code == 200 and "61.04.01.2001" in ok.text
    with live.service.lock:
        assert live.service.db.table("displays").get("led-form")["region_code"] == "61.04.01.2001"
