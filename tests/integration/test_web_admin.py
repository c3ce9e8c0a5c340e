"""Web admin pages over real HTTP: previews and warnings before approval, language, users, audit filters, emergency."""

from __future__ import annotations

from typing import Any

import pytest
from tests_support import draft_poster
from web_support import WebClient, logged_in

from scheduler.announcements import create_announcement, displays_reached

pytestmark = pytest.mark.slow


def _new(client: WebClient, **fields: str | list[str]) -> Any:
    form: dict[str, Any] = {"csrf_token": client.token(), "recurrence": "every_day", "layer": "normal",
                            "duration_s": "10", **fields}  # fmt: skip
    return client.post("/admin/announcements/new", form)


def test_text_preview_at_each_target_canvas_warns_when_text_is_cut_before_approval(live_scheduler: Any) -> None:
    editor = logged_in(live_scheduler, "editor")
    long_body = " ".join(["Pengumuman penting untuk seluruh warga Kabupaten Mempawah."] * 30)
    r = _new(editor, title="Teks sangat panjang", body=long_body, group="led-luar-ruang")
    assert r.status_code == 200 and "Draf" in r.text
    # led-luar-ruang = the 768x432 and 400x300 screens: a preview of each, and the cut warning in Indonesian.
    assert "768x432" in r.text and "400x300" in r.text and "1920x1080" not in r.text
    assert "Teks terlalu panjang untuk layar 400x300" in r.text
    ann_id = r.url.rstrip("/").rsplit("/", 1)[1]
    image = editor.get(f"/admin/announcements/{ann_id}/preview/400x300")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert editor.get(f"/admin/announcements/{ann_id}/preview/1920x1080").status_code == 404  # not a target


def test_language_is_a_user_setting(live_scheduler: Any) -> None:
    editor = logged_in(live_scheduler, "editor")
    assert ">Pengumuman</a>" in editor.get("/admin/").text
    r = editor.post("/admin/language", {"csrf_token": editor.token(), "language": "en", "next": "/admin/announcements"})
    assert r.url.endswith("/admin/announcements") and ">Announcements</a>" in r.text and 'lang="en"' in r.text
    again = logged_in(live_scheduler, "editor")  # stored with the user, not the session
    assert ">Announcements</a>" in again.get("/admin/").text
    assert "Videotron" in WebClient(live_scheduler.url).get("/admin/login?lang=en").text


def test_admin_manages_users_and_the_audit_records_before_and_after(live_scheduler: Any) -> None:
    admin = logged_in(live_scheduler, "admin")
    new_user = {"csrf_token": admin.token(), "username": "budi", "role": "editor", "language": "id"}
    r = admin.post("/admin/users", new_user)
    assert "Pengguna budi dibuat." in r.text
    password = r.text.split('<code class="password">', 1)[1].split("<", 1)[0]
    with live_scheduler.service.lock:
        budi = next(live_scheduler.service.db.table("users").rows_where("username = 'budi'"))
    assert budi["must_change_password"] == 1 and password not in budi["password_hash"]
    bad = admin.post("/admin/users", {"csrf_token": admin.token(), "username": "budi", "role": "editor"})
    assert bad.status_code == 400 and "Nama pengguna" in bad.text and "budi" in bad.text  # typed value kept

    token = admin.token("/admin/users")
    admin.post(f"/admin/users/{budi['id']}/role", {"csrf_token": token, "role": "approver"})
    client = WebClient(live_scheduler.url)
    assert client.login("budi", password).headers["location"] == "/admin/password"
    admin.post(f"/admin/users/{budi['id']}/disable", {"csrf_token": token})
    assert client.get("/admin/password", allow_redirects=False).headers["location"] == "/admin/login"  # session ended
    assert client.login("budi", password).status_code == 401
    reset = admin.post(f"/admin/users/{budi['id']}/reset", {"csrf_token": token})
    new_password = reset.text.split('<code class="password">', 1)[1].split("<", 1)[0]
    admin.post(f"/admin/users/{budi['id']}/enable", {"csrf_token": token})
    assert client.login("budi", new_password).headers["location"] == "/admin/password"
    me = admin.post("/admin/users/1/disable", {"csrf_token": token})
    assert me.status_code == 400 and "sendiri" in me.text

    audit = admin.get("/admin/audit?who=1&action=user.role").text.split('id="audit"', 1)[1]  # the table
    assert "user.role" in audit and "user.create" not in audit and "budi" in audit
    assert '<pre class="diff">Penulis<' in audit and '<pre class="diff">Penyetuju<' in audit  # before, after, in words
    assert "password_hash" not in admin.get("/admin/audit").text
    none = admin.get("/admin/audit?since=2001-01-01&until=2001-01-02").text
    assert "Tidak ada catatan untuk saringan ini" in none


def test_editor_cannot_use_the_emergency_form_and_it_checks_its_fields(live_scheduler: Any) -> None:
    editor = logged_in(live_scheduler, "editor")
    assert editor.get("/admin/emergency").status_code == 403
    form = {"csrf_token": editor.token(), "title": "x", "ends_local": "2030-01-01T00:00"}
    r = editor.post("/admin/emergency/send", form)
    assert r.status_code == 403
    admin = logged_in(live_scheduler, "admin")
    form = {"csrf_token": admin.token(), "severity": "emergency", "title": "", "scope": "all", "ends_local": ""}
    r = admin.post("/admin/emergency", form)
    assert r.status_code == 400 and "Judul pesan" in r.text
    r = admin.post("/admin/emergency", {**form, "title": "Kebakaran", "ends_local": "2001-01-01T00:00"})
    assert r.status_code == 400 and "Berakhir pada" in r.text and 'value="Kebakaran"' in r.text
    r = admin.post("/admin/emergency", {**form, "title": "Kebakaran", "ends_local": "2030-01-01T00:00"})
    assert r.status_code == 200 and "Periksa dan konfirmasi" in r.text and "DARURAT: Kebakaran" in r.text
    with live_scheduler.service.lock:
        assert live_scheduler.service.db.table("announcements").count_where("layer = 'emergency'") == 0


def test_validation_error_keeps_what_was_typed(live_scheduler: Any) -> None:
    editor = logged_in(live_scheduler, "editor")
    r = _new(editor, title="Jadwal salah", body="isi", display="kantor-bupati", recurrence="monthly", monthday="40",
             from_time="07:00", to_time="09:00")  # fmt: skip
    assert r.status_code == 400
    assert "Pengulangan: pilih tanggal antara 1 dan 31." in r.text
    assert 'value="Jadwal salah"' in r.text and 'value="40"' in r.text and 'value="07:00"' in r.text
    assert 'value="kantor-bupati" checked' in r.text


def test_a_workflow_step_that_no_longer_applies_is_explained_in_words(live_scheduler: Any) -> None:
    editor = logged_in(live_scheduler, "editor")
    r = _new(editor, title="Sudah diarsipkan", display="kantor-bupati")
    ann_id = r.url.rstrip("/").rsplit("/", 1)[1]
    token = editor.token()
    editor.post(f"/admin/announcements/{ann_id}/archive", {"csrf_token": token})
    admin = logged_in(live_scheduler, "admin")
    r = admin.post(f"/admin/announcements/{ann_id}/approve", {"csrf_token": admin.token()})  # a stale page's button
    assert r.status_code == 200
    assert "tidak dapat dilakukan selama pengumuman berstatus &#39;Diarsipkan&#39;" in r.text
    r = admin.post(f"/admin/announcements/{ann_id}/withdraw", {"csrf_token": admin.token(), "reason": ""})
    assert "Alasan: tulis alasannya (ditampilkan kepada penulis)." in r.text  # the reason is checked first


def test_missing_announcement_is_a_404_page_in_indonesian(live_scheduler: Any) -> None:
    r = logged_in(live_scheduler, "editor").get("/admin/announcements/4242")
    assert r.status_code == 404 and "Tidak ditemukan" in r.text and "Tidak ada (lagi)" in r.text


def test_poster_preview_is_the_players_frame_and_warns_when_too_small_to_read(live_scheduler: Any) -> None:
    """The 16:9 demo poster on the 400x300 P10 panel: letterboxed, its fine print unreadable -> warned before
    approval; the preview image is the player's renderer's frame at that canvas (same bytes as the API's)."""
    import io

    import requests
    from PIL import Image

    service = live_scheduler.service
    auth = ("admin", service.demo_accounts.admin_password)
    poster = draft_poster(live_scheduler)  # a 16:9 poster made for the big screen
    admin = logged_in(live_scheduler, "admin")
    page = admin.get(f"/admin/announcements/{poster['id']}")
    assert page.status_code == 200
    assert "Di layar 400x300 tulisan kecil pada gambar ini hanya sekitar" in page.text
    assert "Di layar 1920x1080 tulisan kecil" not in page.text  # the poster reads fine on the big screen
    image = admin.get(f"/admin/announcements/{poster['id']}/preview/400x300")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(image.content)) as frame:
        assert frame.size == (400, 300)
        top, middle = frame.convert("RGB").getpixel((200, 5)), frame.convert("RGB").getpixel((200, 150))
    assert top == (0, 0, 0) and middle != (0, 0, 0)  # letterboxed by the player's image fitter
    api = requests.get(f"{live_scheduler.url}/api/v1/admin/preview/announcements/{poster['id']}.png",
                       params={"display": "desa-antibar"}, auth=auth, timeout=120)
    assert api.status_code == 200 and api.content == image.content


def test_schedule_page_shows_the_frame_at_a_chosen_time(live_scheduler: Any) -> None:
    import html
    import io
    import re

    from PIL import Image

    viewer = logged_in(live_scheduler, "admin")
    page = viewer.get("/admin/schedule", params={"display": "desa-antibar", "at": "10:00"})
    assert page.status_code == 200
    src = html.unescape(re.search(r'class="frame-preview" src="([^"]+)"', page.text).group(1))
    frame = viewer.get(src)  # the session cookie is enough: no separate API login
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(frame.content)) as image:
        assert image.size == (400, 300)
    refused = viewer.get("/admin/schedule", params={"display": "desa-antibar", "at": "25:00"})
    assert refused.status_code == 400 and "Pratinjau pukul: tulis jam seperti 09.00" in refused.text
    assert 'class="frame-preview"' not in refused.text


def test_a_frame_that_cannot_be_drawn_is_explained_not_a_broken_image(
    live_scheduler: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The third review: a folder named player/ where the scheduler was started hid the real package from the
    # renderer, and the page then showed a broken image over a bare JSON 404.
    import scheduler.preview_render as preview_render

    shadow = tmp_path / "cwd"
    (shadow / "player").mkdir(parents=True)
    (shadow / "player" / "__init__.py").write_text("raise ImportError('not the real player')\n")
    monkeypatch.chdir(shadow)
    viewer = logged_in(live_scheduler, "admin")
    page = viewer.get("/admin/schedule", params={"display": "desa-antibar", "at": "10:17"})
    assert page.status_code == 200 and 'class="frame-preview"' in page.text and 'id="frame-error"' not in page.text

    monkeypatch.setattr(preview_render, "CODE_ROOT", shadow)  # now the renderer really cannot load
    page = viewer.get("/admin/schedule", params={"display": "desa-antibar", "at": "10:19"})
    assert page.status_code == 200 and 'class="frame-preview"' not in page.text
    assert "Pratinjau tidak dapat digambar" in page.text.split('id="frame-error"', 1)[1].split("</p>", 1)[0]


def test_an_approval_reaching_many_screens_answers_at_once_and_publishes_behind(live_scheduler: Any) -> None:
    """Above publish_inline_max_displays the request does not wait for the publish; the screens still get it."""
    from dataclasses import replace

    service = live_scheduler.service
    service.config = replace(service.config, publish_inline_max_displays=1)  # the demo's outdoor group is 2+
    editor = logged_in(live_scheduler, "editor")
    r = _new(editor, title="Vaksinasi massal", body="Di puskesmas terdekat.", group="led-luar-ruang")
    ann_id = int(r.url.rstrip("/").rsplit("/", 1)[1])
    with service.lock:
        reached = displays_reached(service.db, {"groups": ["led-luar-ruang"]})
    assert len(reached) >= 2
    admin = logged_in(live_scheduler, "admin")
    r = admin.post(f"/admin/announcements/{ann_id}/approve", {"csrf_token": admin.token()})
    assert r.status_code == 200
    assert f"{len(reached)} layar sedang diperbarui di latar belakang" in r.text
    assert service.publish_behind is not None and service.publish_behind.wait_idle(120)
    for display_id in reached:
        latest = service.publisher.latest(display_id)
        assert latest is not None and "Vaksinasi massal" in latest.body.decode()
    # the API says the same: nothing published in the request, the count left to the background
    r = admin.post(f"/admin/announcements/{ann_id}/withdraw", {"csrf_token": admin.token(), "reason": "Salah tanggal"})
    assert "Ditarik. " in r.text and "latar belakang" in r.text
    assert service.publish_behind.wait_idle(120)
    for display_id in reached:
        latest = service.publisher.latest(display_id)
        assert latest is not None and "Vaksinasi massal" not in latest.body.decode()


def test_the_audit_page_says_actions_and_subjects_in_words(live_scheduler: Any) -> None:
    """Found by the fourth review's Chromium walk: the Indonesian Audit page showed codes (announcement.approve,
    display:kec-anjongan) where staff read what happened to what."""
    admin = logged_in(live_scheduler, "admin")
    assert admin.post("/admin/displays/new", {"csrf_token": admin.token("/admin/displays/new"), "id": "kec-anjongan",
                                              "name": "LED Kecamatan Anjongan", "width": "768", "height": "432",
                                              "timezone": "Asia/Pontianak"}).status_code == 200  # fmt: skip
    page = admin.get("/admin/audit").text
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]  # the newest entry
    assert "Menambah layar" in row and "LED Kecamatan Anjongan" in row, row
    assert 'value="display.create">Menambah layar</option>' in page and 'value="login">Masuk</option>' in page


def test_the_audit_refuses_a_date_filter_it_cannot_apply_instead_of_ignoring_it(live_scheduler: Any) -> None:
    """Left alone by the fifth review, fixed now: a reversed or unreadable date filter showed every entry, as if
    it had been applied."""
    admin = logged_in(live_scheduler, "admin")
    assert admin.get("/admin/audit?since=2026-12-01&until=2026-12-31").status_code == 200
    for query, words in (("since=2026-12-09&until=2026-12-01", "&#34;Dari tanggal&#34; harus sebelum"),
                         ("since=20266-01-01", "20266-01-01"), ("until=2026-02-30", "2026-02-30")):  # fmt: skip
        r = admin.get(f"/admin/audit?{query}")
        assert r.status_code == 400, query
        alert = r.text.split('role="alert">', 1)[1].split("</div>", 1)[0]
        assert words in alert, alert
        assert "Tidak ada catatan untuk saringan ini" in r.text  # no entry is shown under a refused filter
        assert _field_of(r.text, "since").count("invalid") == 1


def test_a_screens_page_says_how_to_install_and_enrol_its_player(live_scheduler: Any) -> None:
    """Found by the fourth review's Chromium walk: the help named only `signage player run` (not how to install it)
    and sent staff to a code box the Displays page only shows while a player waits."""
    page = logged_in(live_scheduler, "admin").get("/admin/displays/desa-antibar").text
    help_text = page.split('class="player-help"', 1)[1].split("</details>", 1)[0]
    assert f"deploy/install-player.sh --server {live_scheduler.url}" in help_text
    assert "Pemutar yang menunggu pendaftaran" in help_text and "bukan 127.0.0.1" in help_text


def test_a_refused_file_marks_the_file_field_and_says_what_to_do(live_scheduler: Any) -> None:
    """Found by the fourth review's Chromium walk: an empty file said only 'upload it again' and left the file field
    unmarked; the hint listed fewer formats than are accepted."""
    editor = logged_in(live_scheduler, "editor")
    form = {"csrf_token": editor.token(), "recurrence": "every_day", "layer": "normal", "duration_s": "10",
            "title": "Poster kosong", "display": "kantor-bupati"}  # fmt: skip
    r = editor.post("/admin/announcements/new", form, files={"file": ("poster.png", b"", "image/png")})
    assert r.status_code == 400
    assert "Berkas ditolak: Berkasnya kosong (0 bita)" in r.text
    field = r.text.split('<label for="file">', 1)[0].rsplit("<div", 1)[1]
    assert "invalid" in field, field
    assert "MOV, MKV, WebM" in r.text


def test_a_new_screen_starts_in_the_regency_group(live_scheduler: Any) -> None:
    """Found by the fourth review's Chromium walk: a screen saved without groups got no regency-wide content."""
    page = logged_in(live_scheduler, "admin").get("/admin/displays/new").text
    assert 'value="kabupaten" checked' in page
    assert 'value="kec-sungai-pinyuh" checked' not in page and 'value="led-luar-ruang" checked' not in page


def _field_of(page: str, label_for: str) -> str:
    """The opening tag of the field wrapper that holds the label for ``label_for``."""
    return page.split(f'<label for="{label_for}">', 1)[0].rsplit("<div", 1)[1]


def test_a_form_with_several_mistakes_lists_and_marks_them_all(live_scheduler: Any) -> None:
    """Found by a staffer's walk: the form named one mistake per save, so a form with four took four saves."""
    editor = logged_in(live_scheduler, "editor")
    r = _new(editor, title="  ", duration_s="sepuluh", from_time="7", to_time="", layer="interrupt",
             share_percent="", valid_from="2026-12-10T08:00", valid_until="2026-12-09T08:00")  # fmt: skip
    assert r.status_code == 400
    alert = r.text.split('class="flash err" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "Perbaiki yang berikut, lalu simpan lagi:" in alert
    items = alert.split("<li>")[1:]
    for words in ("Judul:", "Durasi (detik):", "Jam tayang:", "Jatah tayang (%):", "Layar tujuan:", "Berlaku sampai:"):
        assert sum(words in item for item in items) == 1, (words, items)
    assert len(items) == 6, items
    for label_for in ("title", "duration_s", "from_time", "share_percent", "valid_until"):
        assert "invalid" in _field_of(r.text, label_for), label_for
    assert "invalid" not in _field_of(r.text, "valid_from")
    # what was typed is kept, and nothing was saved
    assert 'value="sepuluh"' in r.text and 'value="2026-12-10T08:00"' in r.text
    with live_scheduler.service.lock:
        assert not live_scheduler.service.db.table("announcements").count_where("title = ''")
    # one mistake alone is said as before, without a list
    one = _new(editor, title="Satu kesalahan", duration_s="0", display="kantor-bupati")
    alert = one.text.split('class="flash err" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "<li>" not in alert and "Durasi (detik)" in alert


def test_the_api_lists_every_mistake_of_a_body(live_scheduler: Any) -> None:
    import requests

    def post(body: dict[str, Any]) -> Any:
        return requests.post(f"{live_scheduler.url}/api/v1/admin/announcements", json=body, timeout=30,
                             auth=("editor", live_scheduler.service.demo_accounts.editor_password))  # fmt: skip

    r = post({"title": "Tiga salah", "targets": {"groups": ["tidak-ada"]}, "layer": "interrupt",
              "starts_at": "2026-12-10T00:00:00Z", "ends_at": "2026-12-09T00:00:00Z"})  # fmt: skip
    assert r.status_code == 400, r.text
    body = r.json()
    fields = [e["field"] for e in body["errors"]]
    assert fields == ["targets.groups[0]", "ends_at", "schedule.share"], body
    assert body["field"] == "targets.groups[0]" and body["error"] == body["errors"][0]["error"]
    # the framework's own checks of the body's shape list each too
    r = post({"title": "", "duration_s": "lama", "targets": {"groups": ["kabupaten"]}})
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == {"title", "duration_s"}, r.text
    # one mistake: the shape as before, no list
    r = post({"title": "Satu", "targets": {"groups": ["tidak-ada"]}})
    assert r.status_code == 400 and "errors" not in r.json() and r.json()["field"] == "targets.groups[0]"


def test_staff_make_a_village_statistics_slide_in_the_form_and_it_reaches_the_screens(live_scheduler: Any) -> None:
    """Found by the admin's walk: a source's data could be approved, but no page could make a slide of it (only the
    API); and editing a demo data slide in the form turned it into a text slide showing its JSON."""
    import json

    from sources_support import add_village_with_good_data

    service = live_scheduler.service
    add_village_with_good_data(service)
    editor = logged_in(live_scheduler, "editor")
    form = editor.get("/admin/announcements/new").text
    assert 'name="slide"' in form and 'value="desa-sungai-bakau"' in form and 'value="agama"' in form
    assert 'value="rentang-umur"' not in form  # age bands have their own slide (as bars they sort by count)
    # mistakes first: no source, no category
    r = _new(editor, title="Agama warga", slide="bars", group="kabupaten")
    assert r.status_code == 400
    alert = r.text.split('class="flash err" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "Sumber data: centang desa" in alert and "Kategori: pilih kategori" in alert, alert
    r = _new(editor, title="Agama warga", slide="bars", slide_source="desa-sungai-bakau", slide_series="agama",
             slide_top_n="6", group="kabupaten", body="teks yang tidak dipakai")  # fmt: skip
    assert r.status_code == 200, r.text[:500]
    ann_id = int(r.url.rstrip("/").rsplit("/", 1)[1])
    facts = r.text.split('id="slide-facts">', 1)[1].split("</dd>", 1)[0]
    assert "Satu kategori sebagai batang" in facts and "Desa Sungai Bakau" in facts and "Agama" in facts, facts
    with service.lock:
        row = service.db.table("announcements").get(ann_id)
    assert row["kind"] == "stat" and json.loads(row["body"]) == {
        "slide": "bars", "source": "desa-sungai-bakau", "series": "agama", "top_n": 6}  # fmt: skip
    # the edit form shows it as a data slide, and saving it unchanged keeps it one
    edit = editor.get(f"/admin/announcements/{ann_id}/edit").text
    assert 'value="bars" selected' in edit and 'value="desa-sungai-bakau" checked' in edit
    assert 'value="agama" selected' in edit and 'value="6"' in edit
    with service.lock:  # one made through the API, as the demo's are
        made = create_announcement(service.db, {"title": "Jumlah Penduduk", "kind": "stat", "targets": {
            "groups": ["kabupaten"]}, "body": json.dumps({"slide": "population", "source": "desa-sungai-bakau"})},
            1, service.clock())  # fmt: skip
    values = editor.get(f"/admin/announcements/{made}/edit").text
    assert 'value="population" selected' in values and '"source"' not in values.split('id="body"', 1)[1][:200]
    saved = editor.post(f"/admin/announcements/{ann_id}/edit", {
        "csrf_token": editor.token(), "title": "Agama warga", "slide": "bars", "slide_source": "desa-sungai-bakau",
        "slide_series": "agama", "slide_top_n": "6", "recurrence": "every_day", "layer": "normal",
        "duration_s": "10", "group": "kabupaten"})  # fmt: skip
    assert saved.status_code == 200
    with service.lock:
        assert service.db.table("announcements").get(ann_id)["kind"] == "stat"
    # approved by another person, it reaches the screens as a data slide
    admin = logged_in(live_scheduler, "admin")
    admin.post(f"/admin/announcements/{ann_id}/approve", {"csrf_token": admin.token()})
    if service.publish_behind is not None:
        assert service.publish_behind.wait_idle(120)
    latest = service.publisher.latest("kantor-bupati")
    assert latest is not None
    items = json.loads(latest.body)["manifest"]["items"]
    mine = items[f"ann-{ann_id}"] if isinstance(items, dict) else next(i for i in items if i["id"] == f"ann-{ann_id}")
    assert mine["type"] == "stat" and mine["data"], mine


def test_an_announcement_whose_validity_is_over_says_it_will_not_be_on_screen(live_scheduler: Any) -> None:
    """Found by a staffer's walk: 1-20 November was saved and submitted on 1 December without a word."""
    editor = logged_in(live_scheduler, "editor")
    r = _new(editor, title="Lomba yang sudah lewat", display="kantor-bupati", valid_from="2026-11-01T08:00",
             valid_until="2026-11-20T17:00", then_submit="1")  # fmt: skip
    assert r.status_code == 200
    note = r.text.split('id="validity-over">', 1)[1].split("</p>", 1)[0]
    assert "tidak akan tampil di layar mana pun" in note and "20 November 2026" in note, note
    fresh = _new(editor, title="Lomba minggu depan", display="kantor-bupati", valid_until="2027-01-20T17:00")
    assert 'id="validity-over"' not in fresh.text


def test_the_language_switch_on_a_refused_form_brings_back_a_page_that_opens(live_scheduler: Any) -> None:
    """Found by the admin's walk: after a refused group rename (POST /admin/groups/x/edit) the language switch led to
    that address, which only works from its button ("Permintaan ditolak")."""
    import html

    admin = logged_in(live_scheduler, "admin")
    refused = admin.post("/admin/groups/kabupaten/edit", {"csrf_token": admin.token("/admin/groups"), "name": ""})
    assert refused.status_code == 400
    back = html.unescape(refused.text.split('name="next" value="', 1)[1].split('"', 1)[0])
    assert back == "/admin/groups", back
    switched = admin.post("/admin/language", {"csrf_token": admin.token("/admin/groups"), "language": "en",
                                              "next": back})  # fmt: skip
    assert switched.status_code == 200 and switched.url.endswith("/admin/groups") and 'lang="en"' in switched.text
    # a page that opens again keeps its address and query
    page = admin.get("/admin/schedule", params={"display": "desa-antibar", "at": "09:00"}).text
    assert 'name="next" value="/admin/schedule?display=desa-antibar&amp;at=09%3A00"' in page or \
        'name="next" value="/admin/schedule?display=desa-antibar&amp;at=09:00"' in page  # fmt: skip
    # a refused new announcement comes back to its form (what was typed is kept by the page itself)
    form = admin.post("/admin/announcements/new", {"csrf_token": admin.token(), "title": ""})
    assert 'name="next" value="/admin/announcements/new"' in form.text


def test_the_audit_details_say_fields_people_and_times_in_words(live_scheduler: Any) -> None:
    """Found by both walks of the fifth review: opened, an audit entry showed `contributors`, `updated_by`, user ids
    (2 -> 1), status codes ("submitted" -> "approved"), UTC times, "address 127.0.0.1 (web)" and "user:hapus"."""
    editor = logged_in(live_scheduler, "editor")
    r = _new(editor, title="Kerja bakti", display="kantor-bupati", then_submit="1")
    ann_id = int(r.url.rstrip("/").rsplit("/", 1)[1])
    admin = logged_in(live_scheduler, "admin")
    admin.post(f"/admin/announcements/{ann_id}/approve", {"csrf_token": admin.token()})
    from web_support import WebClient

    WebClient(live_scheduler.url).login("hapus", "bukan-sandi-siapa-pun")
    page = admin.get("/admin/audit").text
    approve = page.split('<tbody>', 1)[1].split("Menyetujui pengumuman", 1)[1].split("</details>", 1)[0]
    assert "Status diubah oleh" in approve and ">admin<" in approve and "Disetujui" in approve, approve
    for raw in ("status_by", '"approved"', "contributors", "Z</pre>"):
        assert raw not in approve, (raw, approve)
    assert "WIB" in approve  # times in local time
    failed = page.split("<tbody>", 1)[1].split(">Gagal masuk<", 1)[1].split("</tr>", 1)[0]
    assert "hapus" in failed and "user:hapus" not in failed and "dari alamat 127.0.0.1" in failed, failed


def test_beranda_says_a_screen_without_a_player_has_none_not_that_it_is_offline(live_scheduler: Any) -> None:
    """Found by the admin's walk: Beranda showed a screen with no player in red as "luring — belum pernah
    tersambung" while Layar said "Tanpa pemutar"."""
    service = live_scheduler.service
    with service.lock:
        enrolled = {r[0] for r in service.db.execute("select display_id from display_tokens where revoked_at is null")}
    page = logged_in(live_scheduler, "admin").get("/admin/").text
    alerts = page.split('id="alerts"', 1)[1].split("</section>", 1)[0]
    for display_id in ("kantor-bupati", "desa-antibar"):
        if display_id in enrolled:
            continue
        line = alerts.split(f'href="/admin/displays/{display_id}"', 1)[0].rsplit("<li", 1)[1]
        assert "belum ada pemutar terdaftar" in line and "luring" not in line, line


def test_a_prayer_slide_for_screens_without_coordinates_says_why_instead_of_a_broken_picture(
    live_scheduler: Any,
) -> None:
    """Found by the fifth review: a prayer (or weather) slide for screens without latitude/longitude (region code)
    showed broken images on its page, and Jadwal blamed "media not ready"."""
    import json

    editor = logged_in(live_scheduler, "editor")
    r = _new(editor, title="Salat", slide="prayer", display="kantor-bupati")
    assert r.status_code == 200, r.text[:300]
    previews = r.text.split('id="previews"', 1)[1].split("</section>", 1)[0]
    assert 'class="thumb"' not in previews and "belum punya Lintang dan Bujur" in previews, previews
    ann_id = int(r.url.rstrip("/").rsplit("/", 1)[1])
    assert editor.get(f"/admin/announcements/{ann_id}/preview/1920x1080").status_code == 404
    service = live_scheduler.service
    with service.lock:  # the screen gets its coordinates: the slide is drawn
        service.db.table("displays").update("kantor-bupati", {"latitude": 0.3622, "longitude": 108.9614})
    page = editor.get(f"/admin/announcements/{ann_id}").text
    assert 'class="thumb"' in page.split('id="previews"', 1)[1]
    image = editor.get(f"/admin/announcements/{ann_id}/preview/1920x1080")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    with service.lock:
        service.db.table("displays").update("kantor-bupati", {"latitude": None, "longitude": None})
        body = json.loads(service.db.table("announcements").get(ann_id)["body"])
    assert body == {"slide": "prayer"}
    admin = logged_in(live_scheduler, "admin")
    editor.post(f"/admin/announcements/{ann_id}/submit", {"csrf_token": editor.token()})
    admin.post(f"/admin/announcements/{ann_id}/approve", {"csrf_token": admin.token()})
    jadwal = editor.get("/admin/schedule", params={"display": "kantor-bupati"}).text
    row = jadwal.split(f'id="item-ann-{ann_id}"', 1)[1].split("</tr>", 1)[0]
    assert "jadwal salat memerlukan Lintang dan Bujur" in row and "medianya belum siap" not in row, row


def test_the_day_sheet_needs_a_staff_login_and_a_real_date(live_scheduler: Any) -> None:
    """The contact-sheet endpoint (new this round) starts a renderer: never for a stranger, never for a bad date."""
    import requests

    url = f"{live_scheduler.url}/api/v1/admin/preview/displays/kantor-bupati/sheet.png"
    assert requests.get(url, timeout=30).status_code == 401
    auth = ("editor", live_scheduler.service.demo_accounts.editor_password)
    bad = requests.get(url, params={"day": "x" * 11}, auth=auth, timeout=30)
    assert bad.status_code == 422  # over the query's bound, refused before any work
    assert requests.get(url, params={"day": "2026-13-01"}, auth=auth, timeout=30).json()["field"] == "day"
    assert requests.get(url.replace("kantor-bupati", "tidak-ada"), auth=auth, timeout=30).status_code == 404
