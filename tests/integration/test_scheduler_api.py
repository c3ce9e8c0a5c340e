"""The scheduler's HTTP API over real HTTP on loopback (uvicorn in a thread)."""

from __future__ import annotations

import json
import time

import requests
from tests_support import collect_request, enrolment_request, post_approve

from signage.manifest import parse_manifest
from signage.signing import public_key_from_text, verify_envelope

TIMEOUT_S = 10
SECRET = "s" * 43


def _admin(live) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return ("admin", live.service.demo_accounts.admin_password)


def _editor(live) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return ("editor", live.service.demo_accounts.editor_password)


def _post(live, path: str, auth: tuple[str, str], body: dict | None = None) -> requests.Response:  # type: ignore[no-untyped-def]
    """POST to the admin API (``path`` below /api/v1/admin)."""
    if path.endswith("/approve") and body is None:
        return post_approve(f"{live.url}/api/v1/admin{path}", auth=auth, timeout=TIMEOUT_S)
    return requests.post(f"{live.url}/api/v1/admin{path}", json=body, auth=auth, timeout=TIMEOUT_S)


def _assert_error_shape(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == status and isinstance(body["error"], str)
    assert "field" in body
    return body


def enrol(  # type: ignore[no-untyped-def]
    live, display_id: str = "kantor-bupati", code: str = "ABC234", secret: str = SECRET
) -> dict:
    body = enrolment_request(code, secret, name="test")
    r = requests.post(f"{live.url}/api/v1/enrolments", json=body, timeout=TIMEOUT_S)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    collect_url = f"{live.url}/api/v1/enrolments/{code}/collect"
    assert requests.post(collect_url, json=collect_request(secret), timeout=TIMEOUT_S).json()["status"] == "pending"
    r = requests.post(
        f"{live.url}/api/v1/admin/enrolments/{code}/approve",
        json={"display_id": display_id},
        auth=_admin(live),
        timeout=TIMEOUT_S,
    )
    assert r.status_code == 200, r.text
    r = requests.post(collect_url, json=collect_request(secret), timeout=TIMEOUT_S)
    assert r.status_code == 200
    return r.json()


def test_enrolment_hands_out_token_once_and_replay_is_refused(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    identity = enrol(live_scheduler)
    assert identity["display_id"] == "kantor-bupati" and len(identity["token"]) > 20
    assert identity["public_keys"]
    collect_url = f"{live_scheduler.url}/api/v1/enrolments/ABC234/collect"
    replay = requests.post(collect_url, json=collect_request(SECRET), timeout=TIMEOUT_S)
    assert "already" in _assert_error_shape(replay, 410)["error"]
    again = requests.post(
        f"{live_scheduler.url}/api/v1/enrolments", json=enrolment_request("ABC234", SECRET), timeout=TIMEOUT_S
    )
    _assert_error_shape(again, 410)
    # the token is stored hashed only
    rows = list(live_scheduler.service.db["display_tokens"].rows)
    assert identity["token"] not in json.dumps(rows)
    assert not list(live_scheduler.service.db["enrolments"].rows_where("token_plain is not null"))


def test_bad_enrolment_codes_are_refused_with_the_field(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    r = requests.post(
        f"{live_scheduler.url}/api/v1/enrolments", json=enrolment_request("I0O1!!", SECRET), timeout=TIMEOUT_S
    )
    assert _assert_error_shape(r, 400)["field"] == "code"
    r = requests.post(
        f"{live_scheduler.url}/api/v1/enrolments", json={**enrolment_request("ABC234", SECRET), "code": 5},
        timeout=TIMEOUT_S,
    )
    assert _assert_error_shape(r, 422)["field"] == "code"


def test_manifest_needs_a_valid_token_and_supports_304(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    url = f"{live_scheduler.url}/api/v1/player/manifest"
    _assert_error_shape(requests.get(url, timeout=TIMEOUT_S), 401)
    _assert_error_shape(requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=TIMEOUT_S), 401)
    identity = enrol(live_scheduler)
    auth = {"Authorization": f"Bearer {identity['token']}"}
    r = requests.get(url, headers=auth, timeout=TIMEOUT_S)
    assert r.status_code == 200 and r.headers["ETag"]
    keys = {k: public_key_from_text(v) for k, v in identity["public_keys"].items()}
    manifest = parse_manifest(verify_envelope(r.content, keys))
    assert manifest.display_id == "kantor-bupati" and manifest.canvas.width == 1920
    titles = {item.title for item in manifest.items.values()}
    assert "Pelayanan KTP Elektronik Keliling" in titles
    assert "Jadwal Pemeliharaan Jaringan Listrik" not in titles  # a draft never reaches a screen
    r304 = requests.get(url, headers={**auth, "If-None-Match": r.headers["ETag"]}, timeout=TIMEOUT_S)
    assert r304.status_code == 304 and r304.content == b""


def test_media_is_content_addressed_with_ranges(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    sha = next(live_scheduler.service.db["media"].rows)["sha256"]
    url = f"{live_scheduler.url}/api/v1/media/{sha}"
    staff = ("editor", live_scheduler.service.demo_accounts.editor_password)
    # the store holds drafts' media too: a display's token or staff credentials, never the hash alone
    _assert_error_shape(requests.get(url, timeout=TIMEOUT_S), 401)
    _assert_error_shape(requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=TIMEOUT_S), 401)
    whole = requests.get(url, auth=staff, timeout=TIMEOUT_S)
    assert whole.status_code == 200 and "immutable" in whole.headers["Cache-Control"]
    assert "private" in whole.headers["Cache-Control"]  # no shared cache hands it to someone else
    part = requests.get(url, headers={"Range": "bytes=100-199"}, auth=staff, timeout=TIMEOUT_S)
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole.content)}"
    tail = requests.get(url, headers={"Range": "bytes=100-"}, auth=staff, timeout=TIMEOUT_S)
    assert tail.content == whole.content[100:]
    bad = requests.get(url, headers={"Range": f"bytes={len(whole.content) + 10}-"}, auth=staff, timeout=TIMEOUT_S)
    assert bad.status_code == 416
    _assert_error_shape(requests.get(f"{live_scheduler.url}/api/v1/media/{'0' * 64}", auth=staff,
                                     timeout=TIMEOUT_S), 404)  # fmt: skip
    not_hex = _assert_error_shape(
        requests.get(f"{live_scheduler.url}/api/v1/media/../etc/passwd", auth=staff, timeout=TIMEOUT_S), 404
    )
    assert not_hex["ok"] is False
    assert (
        _assert_error_shape(
            requests.get(f"{live_scheduler.url}/api/v1/media/{'Z' * 64}", auth=staff, timeout=TIMEOUT_S), 422
        )["field"]
        == "sha256"
    )


def test_announcement_validation_names_the_field(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    url = f"{live_scheduler.url}/api/v1/admin/announcements"
    before = live_scheduler.service.db["announcements"].count
    cases = [
        ({"targets": {"groups": ["kabupaten"]}}, 422, "title"),
        ({"title": "x", "targets": {"displays": ["nowhere"]}}, 400, "targets.displays[0]"),
        ({"title": "x", "targets": {}}, 400, "targets"),
        ({"title": "x", "duration_s": "long", "targets": {"groups": ["kabupaten"]}}, 422, "duration_s"),
        ({"title": "x", "kind": "image", "targets": {"groups": ["kabupaten"]}}, 400, "media_sha256"),
        (
            {
                "title": "x",
                "targets": {"groups": ["kabupaten"]},
                "starts_at": "2026-12-02T00:00:00Z",
                "ends_at": "2026-12-01T00:00:00Z",
            },
            400,
            "ends_at",
        ),
        ({"title": "x", "targets": {"groups": ["kabupaten"]}, "starts_at": "besok"}, 400, "starts_at"),
    ]
    for body, status, field in cases:
        r = requests.post(url, json=body, auth=_editor(live_scheduler), timeout=TIMEOUT_S)
        assert _assert_error_shape(r, status)["field"] == field, (body, r.text)
    r = requests.post(
        url,
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        auth=_editor(live_scheduler),
        timeout=TIMEOUT_S,
    )
    _assert_error_shape(r, 422)
    assert live_scheduler.service.db["announcements"].count == before
    _assert_error_shape(requests.post(url, json={"title": "x"}, timeout=TIMEOUT_S), 401)


def test_approval_needs_a_second_person_and_publishes(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    identity = enrol(live_scheduler, "desa-antibar", "XYZ789")
    auth = {"Authorization": f"Bearer {identity['token']}"}
    manifest_url = f"{live_scheduler.url}/api/v1/player/manifest"
    v1 = requests.get(manifest_url, headers=auth, timeout=TIMEOUT_S).headers["X-Manifest-Version"]
    r = requests.post(
        f"{live_scheduler.url}/api/v1/admin/announcements",
        json={
            "title": "Siaga Banjir Rob",
            "body": "Warga pesisir harap waspada.",
            "targets": {"displays": ["desa-antibar"]},
        },
        auth=_editor(live_scheduler),
        timeout=TIMEOUT_S,
    )
    assert r.status_code == 201
    ann_id = r.json()["announcement"]["id"]
    approve_url = f"{live_scheduler.url}/api/v1/admin/announcements/{ann_id}/approve"
    _assert_error_shape(post_approve(approve_url, auth=_editor(live_scheduler), timeout=TIMEOUT_S), 403)
    assert requests.get(manifest_url, headers=auth, timeout=TIMEOUT_S).headers["X-Manifest-Version"] == v1
    r = post_approve(approve_url, auth=_admin(live_scheduler), timeout=TIMEOUT_S)
    assert r.status_code == 200 and r.json()["published"] == [{"display_id": "desa-antibar", "version": int(v1) + 1}]
    body = requests.get(manifest_url, headers=auth, timeout=TIMEOUT_S)
    assert body.headers["X-Manifest-Version"] == str(int(v1) + 1)
    assert "Siaga Banjir Rob" in body.content.decode()


def test_author_cannot_approve_own_announcement(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    r = _post(live_scheduler, "/announcements", _admin(live_scheduler),
              {"title": "Rapat", "targets": {"groups": ["kabupaten"]}})  # fmt: skip
    ann_id = r.json()["announcement"]["id"]
    r = _post(live_scheduler, f"/announcements/{ann_id}/approve", _admin(live_scheduler))
    assert "two-person" in _assert_error_shape(r, 403)["error"]


def test_edit_returns_to_draft_and_archive_takes_it_off_screen(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    identity = enrol(live_scheduler, "kec-sungai-pinyuh", "EDT234")
    auth = {"Authorization": f"Bearer {identity['token']}"}
    url = f"{live_scheduler.url}/api/v1/admin/announcements"
    body = {"title": "Lomba Sampan", "targets": {"displays": ["kec-sungai-pinyuh"]}}
    ann_id = requests.post(url, json=body, auth=_editor(live_scheduler), timeout=TIMEOUT_S).json()["announcement"]["id"]
    post_approve(f"{url}/{ann_id}/approve", auth=_admin(live_scheduler), timeout=TIMEOUT_S).raise_for_status()

    def on_screen() -> str:
        return requests.get(f"{live_scheduler.url}/api/v1/player/manifest", headers=auth, timeout=TIMEOUT_S).text

    assert "Lomba Sampan" in on_screen()
    edited = requests.put(
        f"{url}/{ann_id}", json={**body, "title": "Lomba Sampan 2026"}, auth=_editor(live_scheduler), timeout=TIMEOUT_S
    )
    assert edited.status_code == 200 and edited.json()["announcement"]["status"] == "submitted"
    assert "Lomba Sampan" not in on_screen()  # the edit is not on air until approved again
    post_approve(f"{url}/{ann_id}/approve", auth=_admin(live_scheduler), timeout=TIMEOUT_S).raise_for_status()
    assert "Lomba Sampan 2026" in on_screen()
    assert requests.delete(f"{url}/{ann_id}", auth=_editor(live_scheduler), timeout=TIMEOUT_S).status_code == 200
    assert "Lomba Sampan" not in on_screen()
    again = post_approve(f"{url}/{ann_id}/approve", auth=_admin(live_scheduler), timeout=TIMEOUT_S)
    assert _assert_error_shape(again, 400)["field"] == "status"
    _assert_error_shape(requests.delete(f"{url}/999999", auth=_editor(live_scheduler), timeout=TIMEOUT_S), 404)


def test_enrolment_attempts_are_rate_limited(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    url = f"{live_scheduler.url}/api/v1/enrolments"
    codes = [f"RT{chr(65 + i // 8)}{chr(65 + i % 8)}{'2' * 2}" for i in range(25)]
    started_s = time.monotonic()
    statuses = [
        requests.post(url, json=enrolment_request(code, SECRET), timeout=TIMEOUT_S).status_code for code in codes
    ]
    elapsed_s = time.monotonic() - started_s
    assert statuses[:20] == [202] * 20
    # the bucket refills one request per 3 s, so a slow run may let one more through per 3 s
    assert statuses.count(202) <= 20 + elapsed_s / 3 + 1 and 429 in statuses
    assert live_scheduler.service.db["enrolments"].count == statuses.count(202)


def test_an_api_approval_reaching_many_displays_returns_before_the_publish(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    service = live_scheduler.service
    service.config = replace(service.config, publish_inline_max_displays=1)
    identity = enrol(live_scheduler, "desa-antibar", "BGP234")
    auth = {"Authorization": f"Bearer {identity['token']}"}
    targets = {"displays": ["desa-antibar", "kantor-bupati"]}
    r = _post(live_scheduler, "/announcements", _editor(live_scheduler), {"title": "Pasar murah", "targets": targets})
    ann_id = r.json()["announcement"]["id"]
    r = _post(live_scheduler, f"/announcements/{ann_id}/approve", _admin(live_scheduler))
    assert r.status_code == 200, r.text
    assert r.json()["published"] == [] and r.json()["publishing_in_background"] == 2
    assert service.publish_behind.wait_idle(120)
    manifest = requests.get(f"{live_scheduler.url}/api/v1/player/manifest", headers=auth, timeout=TIMEOUT_S)
    assert "Pasar murah" in manifest.content.decode()
    # at or below the limit the request publishes and lists the versions, as before
    service.config = replace(service.config, publish_inline_max_displays=50)
    r = requests.delete(f"{live_scheduler.url}/api/v1/admin/announcements/{ann_id}", auth=_editor(live_scheduler),
                        timeout=TIMEOUT_S)  # fmt: skip
    body = r.json()
    assert body["publishing_in_background"] == 0 and {p["display_id"] for p in body["published"]} == set(
        targets["displays"]
    )


def test_key_rotation_and_group_removal_reaching_many_displays_return_before_the_publish(live_scheduler,  # type: ignore[no-untyped-def]
                                                                                         monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Re-signing a whole fleet after a rotation (minutes at a thousand displays) and republishing a removed
    group's members run behind the request, like a large approval."""
    from dataclasses import replace

    service = live_scheduler.service
    identity = enrol(live_scheduler, "desa-antibar", "BGQ234")
    auth = {"Authorization": f"Bearer {identity['token']}"}
    old_keys = {k: public_key_from_text(v) for k, v in identity["public_keys"].items()}
    fleet = service.db.table("displays").count
    monkeypatch.setattr(service, "config", replace(service.config, publish_inline_max_displays=1))
    rounds = service.publish_behind.rounds
    r = _post(live_scheduler, "/keys/rotate", _admin(live_scheduler))
    assert r.status_code == 200, r.text
    assert (r.json()["republished"], r.json()["republishing_in_background"]) == (0, fleet)
    assert service.publish_behind.wait_idle(120) and service.publish_behind.rounds > rounds
    manifest = requests.get(f"{live_scheduler.url}/api/v1/player/manifest", headers=auth, timeout=TIMEOUT_S)
    assert verify_envelope(manifest.content, old_keys)["key_id"] == r.json()["key_id"]  # via the introduction

    assert _post(live_scheduler, "/groups", _admin(live_scheduler),
                 {"id": "uji-hapus", "name": "Uji hapus", "kind": "tag"}).status_code == 201  # fmt: skip
    for display_id in ("desa-antibar", "kantor-bupati"):
        groups = service.db.table("displays").get(display_id)["groups"]
        r = requests.patch(f"{live_scheduler.url}/api/v1/admin/displays/{display_id}", auth=_admin(live_scheduler),
                           json={"groups": [*json.loads(groups), "uji-hapus"]}, timeout=TIMEOUT_S)  # fmt: skip
        assert r.status_code == 200, r.text
    rounds = service.publish_behind.rounds
    r = requests.delete(f"{live_scheduler.url}/api/v1/admin/groups/uji-hapus", auth=_admin(live_scheduler),
                        timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 200, r.text
    assert sorted(r.json()["republished"]) == ["desa-antibar", "kantor-bupati"]
    assert r.json()["publishing_in_background"] == 2
    assert service.publish_behind.wait_idle(120) and service.publish_behind.rounds == rounds + 1
    assert all("uji-hapus" not in service.db.table("displays").get(d)["groups"] for d in ("desa-antibar",
                                                                                           "kantor-bupati"))


def test_a_displays_token_reads_only_the_media_of_its_own_manifests(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    """The sixth review: any display's token read any stored file by its hash, a draft's media among them."""
    service = live_scheduler.service
    token = enrol(live_scheduler, "kantor-bupati", "MED234")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = requests.get(f"{live_scheduler.url}/api/v1/player/manifest", headers=auth, timeout=TIMEOUT_S).content
    items = json.loads(body)["manifest"]["items"].values()
    mine = {i["media"]["sha256"] for i in items if i.get("media")}
    assert mine
    for sha in mine:  # what it was sent, it reads
        assert requests.get(f"{live_scheduler.url}/api/v1/media/{sha}", headers=auth, timeout=TIMEOUT_S).ok
    with service.lock:
        stored = {row["sha256"] for row in service.db["media"].rows} | {
            row["sha256"] for row in service.db["media_variants"].rows}  # fmt: skip
    others = sorted(stored - mine)
    assert others  # drafts' media, other canvases' variants
    staff = ("editor", service.demo_accounts.editor_password)
    for sha in others[:5]:
        refused = requests.get(f"{live_scheduler.url}/api/v1/media/{sha}", headers=auth, timeout=TIMEOUT_S)
        assert _assert_error_shape(refused, 404)["field"] == "sha256"
        assert requests.get(f"{live_scheduler.url}/api/v1/media/{sha}", auth=staff, timeout=TIMEOUT_S).ok
