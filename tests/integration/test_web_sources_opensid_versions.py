"""The "Sumber data" page against OpenSID sites unlike the captured fixtures: a premium Blade theme that loads its
rows with JavaScript, a page the adapter does not recognise, and a site in offline mode (loopback fake)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sources_support import approve_held, poll_now
from web_support import WebClient, logged_in

from content.sources.fakeopensid import FakeOpenSid

pytestmark = pytest.mark.slow


@pytest.fixture
def blade() -> Iterator[FakeOpenSid]:
    server = FakeOpenSid("lestari", version=2411).start()
    yield server
    server.stop()


def _form(client: WebClient, **fields: str) -> dict[str, str]:
    options = '{"categories": ["jenis-kelamin", "agama", "bantuan-penduduk"], "feed": false}'
    return {"csrf_token": client.token("/admin/sources"), "kind": "opensid", "poll_interval_min": "60",
            "timeout_s": "5", "options": options, **fields}  # fmt: skip


def test_blade_theme_site_is_read_and_its_failures_are_named(live_scheduler: Any, blade: FakeOpenSid) -> None:
    live = live_scheduler
    admin = logged_in(live, "admin")
    tested = admin.post("/admin/sources", _form(admin, id="desa-peniti", url=blade.url, action="test"))
    assert tested.status_code == 200 and "5.861" in tested.text
    assert "Akan ditahan untuk ditinjau" in tested.text and "data pertama dari sumber ini" in tested.text

    admin.post("/admin/sources", _form(admin, id="desa-peniti", name="Desa Peniti", url=blade.url))
    blade.overrides["/index.php/data-statistik/agama"] = "<html><body><h1>Halaman kustom</h1></body></html>"
    poll_now(live.service, "desa-peniti")
    with live.service.lock:  # its first data, read by an approver
        assert approve_held(live.service.db, "desa-peniti", live.service.clock()) is not None
    detail = admin.get("/admin/sources/desa-peniti").text
    assert "Jenis Kelamin" in detail and "Penerima Bantuan" in detail
    assert f"{blade.url}/index.php/data-statistik/agama bukan halaman statistik OpenSID yang dikenali" in detail

    blade.faults["*"] = "maintenance"  # OpenSID's offline mode: every page is "Dalam Perbaikan" with HTTP 200
    poll_now(live.service, "desa-peniti")
    row = admin.get("/admin/sources").text.split('id="source-desa-peniti"', 1)[1].split("</tr>", 1)[0]
    assert ">Gagal</span>" in row and "mode perbaikan" in row
    assert "5.861" in row  # the last good population stays on screen
