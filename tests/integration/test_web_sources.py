"""The "Sumber data" admin page over real HTTP against a loopback fake OpenSID village."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sources_support import approve_held, poll_now
from web_support import WebClient, logged_in

from content.sources.fakeopensid import FakeOpenSid
from scheduler.auth import create_user
from scheduler.sources import last_good, snapshots

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeOpenSid]:
    server = FakeOpenSid("natra").start()
    yield server
    server.stop()


def _form(client: WebClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": client.token("/admin/sources"), "kind": "opensid", "poll_interval_min": "60",
            "timeout_s": "5", "options": '{"categories": ["jenis-kelamin", "agama"]}', **fields}  # fmt: skip


def _audit(service: Any, action: str) -> list[dict[str, Any]]:
    with service.lock:
        return list(service.db.table("audit_log").rows_where("action = ?", [action]))


def test_admin_adds_tests_and_sees_a_source_and_an_approver_reviews_a_held_jump(
    live_scheduler: Any, fake: FakeOpenSid
) -> None:
    live, service = live_scheduler, live_scheduler.service
    admin = logged_in(live, "admin")
    page = admin.get("/admin/sources")
    assert page.status_code == 200 and ">Sumber data</a>" in page.text and "Tambah sumber" in page.text

    # A bad address: refused naming the field, what was typed stays, nothing stored.
    bad = admin.post("/admin/sources", _form(admin, id="desa-sungai-bakau", name="Desa Sungai Bakau", url="antibar"))
    assert bad.status_code == 400 and "Alamat: alamat situs" in bad.text
    assert 'class="field invalid"><label for="url">' in bad.text and 'value="Desa Sungai Bakau"' in bad.text
    bad_options = admin.post("/admin/sources", _form(admin, id="desa-x", url=fake.url, options="{categories"))
    assert bad_options.status_code == 400 and 'class="field invalid"><label for="options">' in bad_options.text
    assert "{categories" in bad_options.text

    # Test now: fetched and summarised, nothing stored.
    tested = admin.post("/admin/sources", _form(admin, id="desa-sungai-bakau", url=fake.url, action="test"))
    assert tested.status_code == 200 and "Hasil uji (tidak ada yang disimpan)" in tested.text
    assert "5.861" in tested.text  # population, Indonesian digits
    # as it would be stored: a new source's first data is held until an approver has read its words
    assert "Akan ditahan untuk ditinjau" in tested.text and "data pertama dari sumber ini" in tested.text
    with service.lock:
        assert service.db.table("data_sources").count == 0

    saved = admin.post("/admin/sources", _form(admin, id="desa-sungai-bakau", name="Desa Sungai Bakau", url=fake.url))
    assert saved.url.endswith("/admin/sources/desa-sungai-bakau") and "Sumber desa-sungai-bakau disimpan" in saved.text
    [created] = _audit(service, "source.create")
    assert created["subject"] == "source:desa-sungai-bakau" and "password" not in (created["after"] or "")
    again = admin.post("/admin/sources", _form(admin, id="desa-sungai-bakau", url=fake.url))
    assert again.status_code == 400 and "sudah ada" in again.text

    # Its first data is held: the words it would put on screen are listed; the admin who added the source
    # (who chose the site) may not air them; another approver reads them and approves.
    poll_now(service, "desa-sungai-bakau")
    first = admin.get("/admin/sources/desa-sungai-bakau").text
    words = first.split('id="held-texts"', 1)[1].split("</dl>", 1)[0]
    assert "<dt>Agama</dt>" in words and "ISLAM" in words and "LAKI-LAKI" in words
    assert 'id="approve-snapshot"' not in first and 'id="review-by-other"' in first
    with service.lock:
        first_id = int(snapshots(service.db, "desa-sungai-bakau", 1)[0]["id"])
    own = admin.post(f"/admin/sources/desa-sungai-bakau/snapshots/{first_id}/approve",
                     {"csrf_token": admin.token("/admin/sources")})  # fmt: skip
    assert own.status_code == 403
    with service.lock:
        assert last_good(service.db, "desa-sungai-bakau") is None
        create_user(service.db, "penyetuju", "approver", "password-penyetuju", service.now_iso())
    approver = logged_in(live, "penyetuju", "password-penyetuju")
    aired = approver.post(f"/admin/sources/desa-sungai-bakau/snapshots/{first_id}/approve",
                          {"csrf_token": approver.token("/admin/sources")})  # fmt: skip
    assert aired.status_code == 200 and 'id="held"' not in aired.text
    # (the fifth review) the audit says it in words: no "snapshot.approve", "snapshot 3" or "held"
    entry = admin.get("/admin/audit").text.split("<tbody>", 1)[1].split("</details>", 1)[0]
    assert "Menyetujui data sumber yang ditahan" in entry and f"pengambilan data no. {first_id}" in entry, entry
    assert "snapshot" not in entry.replace('title="snapshot.approve"', "") and "held" not in entry, entry
    listing = admin.get("/admin/sources").text.split('id="sources"', 1)[1]
    assert "Desa Sungai Bakau" in listing and ">Baik</span>" in listing and "5.861" in listing
    assert "WIB" in listing  # last fetch and next poll in local time
    detail = admin.get("/admin/sources/desa-sungai-bakau").text
    assert "Data baik terakhir" in detail and "Agama" in detail and 'id="held"' not in detail

    # Test now on the stored source stores nothing either.
    with service.lock:
        count = service.db.table("snapshots").count
    now = admin.post("/admin/sources/desa-sungai-bakau/test", {"csrf_token": admin.token("/admin/sources")})
    assert "Hasil uji" in now.text and "5.861" in now.text
    with service.lock:
        assert service.db.table("snapshots").count == count

    # A x10 jump is held: old and new figures side by side; an editor may not decide.
    fake.scale = 10
    poll_now(service, "desa-sungai-bakau")
    detail = admin.get("/admin/sources/desa-sungai-bakau").text
    held = detail.split('id="held-table"', 1)[1].split("</table>", 1)[0]
    assert "5.861" in held and "58.610" in held
    assert "Ditahan, perlu ditinjau" in admin.get("/admin/sources").text
    assert 'id="held-texts"' not in detail  # the same words as the good data: only the numbers are held
    snapshot_id = int(approver.get("/admin/sources/desa-sungai-bakau").text.split("/snapshots/", 1)[1].split("/")[0])
    editor = logged_in(live, "editor")
    assert 'id="approve-snapshot"' not in editor.get("/admin/sources/desa-sungai-bakau").text
    refused = editor.post(f"/admin/sources/desa-sungai-bakau/snapshots/{snapshot_id}/approve",
                          {"csrf_token": editor.token("/admin/sources")})  # fmt: skip
    assert refused.status_code == 403
    no_csrf = admin.post(f"/admin/sources/desa-sungai-bakau/snapshots/{snapshot_id}/approve", {})
    assert no_csrf.status_code == 403
    with service.lock:
        assert last_good(service.db, "desa-sungai-bakau")[1].series["jenis-kelamin"].total == 5861  # type: ignore[index]

    approved = approver.post(f"/admin/sources/desa-sungai-bakau/snapshots/{snapshot_id}/approve",
                             {"csrf_token": approver.token("/admin/sources")})  # fmt: skip
    assert "Angka baru disetujui" in approved.text and 'id="held"' not in approved.text
    with service.lock:
        good = last_good(service.db, "desa-sungai-bakau")
    assert good is not None and good[0] == snapshot_id and good[1].series["jenis-kelamin"].total == 58610
    first_decision, decision = _audit(service, "snapshot.approve")
    assert str(first_id) in first_decision["detail"]
    assert decision["subject"] == "source:desa-sungai-bakau" and str(snapshot_id) in decision["detail"]


def test_a_failing_source_shows_the_reason_and_keeps_its_last_good_data(live_scheduler: Any, fake: FakeOpenSid) -> None:
    live, service = live_scheduler, live_scheduler.service
    admin = logged_in(live, "admin")
    admin.post("/admin/sources", _form(admin, id="desa-antibar", name="Desa Antibar", url=fake.url, timeout_s="2"))
    poll_now(service, "desa-antibar")
    with service.lock:
        assert approve_held(service.db, "desa-antibar", service.clock()) is not None  # its first data, read
    fake.faults["/index.php/data-statistik/jenis-kelamin"] = "429"
    fake.faults["/index.php/data-statistik/agama"] = "429"
    fake.scale = 10  # (would be held, were it read)
    poll_now(service, "desa-antibar")
    row = admin.get("/admin/sources").text.split('id="source-desa-antibar"', 1)[1].split("</tr>", 1)[0]
    assert ">Gagal</span>" in row and 'class="reason"' in row and "429" in row
    assert "5.861" in row  # the last good population is still what is on screen
    detail = admin.get("/admin/sources/desa-antibar").text
    assert "Gagal" in detail and "5.861" in detail

    viewer_page = logged_in(live, "editor").get("/admin/sources").text
    assert "Tambah sumber" not in viewer_page and "Desa Antibar" in viewer_page  # editors see, admins add
    refused = logged_in(live, "editor")
    r = refused.post("/admin/sources", _form(refused, id="desa-lain", url=fake.url))
    assert r.status_code == 403


def test_a_source_without_a_good_fetch_for_long_says_its_figures_show_as_data_lama(
    live_scheduler: Any, fake: FakeOpenSid
) -> None:
    """Found on a staffer's walk: after the scheduler was off for days the page said "Baik" while the screens
    marked the village's figures DATA LAMA. The page now judges it as the slides do."""
    from datetime import timedelta

    from scheduler.dataslides import stale_after_s
    from signage.clock import format_utc

    live, service = live_scheduler, live_scheduler.service
    admin = logged_in(live, "admin")
    admin.post("/admin/sources", _form(admin, id="desa-antibar", name="Desa Antibar", url=fake.url))
    poll_now(service, "desa-antibar")
    with service.lock:
        assert approve_held(service.db, "desa-antibar", service.clock()) is not None

    def badge() -> str:
        row = admin.get("/admin/sources").text.split('id="source-desa-antibar"', 1)[1].split("</tr>", 1)[0]
        return row.split('class="badge ', 1)[1].split("</span>", 1)[0]

    assert badge() == 'source-ok">Baik'
    just_fresh = service.clock() - timedelta(seconds=stale_after_s(3600) - 120)
    too_old = service.clock() - timedelta(seconds=stale_after_s(3600) + 60)
    stale = 'source-stale">Usang: layar menampilkan DATA LAMA'
    for when, expected in ((just_fresh, 'source-ok">Baik'), (too_old, stale)):
        with service.lock:
            service.db.table("data_sources").update("desa-antibar", {"last_ok_at": format_utc(when)})
        assert badge() == expected
    assert "Usang" in admin.get("/admin/sources/desa-antibar").text


def test_a_site_that_cannot_be_reached_is_said_in_words(live_scheduler: Any) -> None:
    """Found by the admin's walk: "Uji sekarang" on an address where nothing answers showed urllib3's English
    ("ConnectionError: HTTPConnectionPool(host=..., port=1): Max retries exceeded ... [Errno 111]")."""
    from content.sources.http import FetchError
    from scheduler.i18n import translator
    from scheduler.web.fetch_errors import plain_fetch_error

    admin = logged_in(live_scheduler, "admin")
    tested = admin.post("/admin/sources", _form(admin, id="desa-mati", url="http://127.0.0.1:1", action="test",
                                                timeout_s="2"))  # fmt: skip
    result = tested.text.split('id="test-result"', 1)[1].split("</section>", 1)[0]
    assert "Situs menolak sambungan" in result and "Max retries" not in result and "Errno" not in result, result
    t = translator("id")
    for message, words in (
        ("http://x: HTTP 404", "Halaman tidak ditemukan"),
        ("http://x: HTTP 503 (Retry-After None)", "(HTTP 503)"),
        ("http://x: no answer within 5 s", "tidak menjawab tepat waktu"),
        ("http://x: ConnectionError: ... NameResolutionError(...)", "Nama situs tidak dikenal"),
    ):
        assert words in plain_fetch_error(str(FetchError("http", message)), t), message
    assert plain_fetch_error("tidak ada data yang terbaca: agama: 404", t).startswith("tidak ada data")


def test_held_source_data_waits_on_the_approvers_home_page(live_scheduler: Any, fake: FakeOpenSid) -> None:
    """Found by the admin's walk: a source's first data is always held, but an approver's Beranda listed only
    announcements under "Menunggu persetujuan"; she found it only by opening the source."""
    live, service = live_scheduler, live_scheduler.service
    admin = logged_in(live, "admin")
    admin.post("/admin/sources", _form(admin, id="desa-antibar", name="Desa Antibar", url=fake.url))
    poll_now(service, "desa-antibar")
    home = admin.get("/admin/").text
    item = home.split('id="held-source-desa-antibar">', 1)[1].split("</li>", 1)[0]
    assert 'href="/admin/sources/desa-antibar"' in item and "Data baru dari Desa Antibar ditahan" in item, item
    with service.lock:
        approve_held(service.db, "desa-antibar", service.clock())
    assert 'id="held-source-desa-antibar"' not in admin.get("/admin/").text


def test_a_new_source_with_several_mistakes_names_them_all(live_scheduler: Any) -> None:
    """Found by the admin's walk: ID "Desa Antibar", address "antibar.desa.id" and options "{adm4: 1}" took three
    saves to learn about (only the options were named first)."""
    admin = logged_in(live_scheduler, "admin")
    r = admin.post("/admin/sources", _form(admin, id="Desa Antibar", url="antibar.desa.id", options="{adm4: 1}"))
    assert r.status_code == 400
    alert = r.text.split('class="flash err" role="alert">', 1)[1].split("</div>", 1)[0]
    assert alert.count("<li>") == 3 and "ID:" in alert and "Alamat:" in alert and "Opsi:" in alert, alert
    assert alert.index("ID:") < alert.index("Alamat:") < alert.index("Opsi:")  # the form's order
    for name in ("id", "url", "options"):
        assert "invalid" in r.text.split(f'name="{name}"', 1)[0].rsplit('<div class="field', 1)[1], name
