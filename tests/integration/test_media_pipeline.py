"""Uploads through the real API are normalised per display canvas by the content pipeline."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ffmpeg
import pytest
import requests
from PIL import Image
from tests_support import post_approve
from web_support import logged_in

from signage.errors import UserError

pytestmark = pytest.mark.slow
TIMEOUT_S = 120


def _editor(live: Any) -> tuple[str, str]:
    return ("editor", live.service.demo_accounts.editor_password)


def _admin(live: Any) -> tuple[str, str]:
    return ("admin", live.service.demo_accounts.admin_password)


def _manifest_items(live: Any, display_id: str) -> dict[str, Any]:
    latest = live.service.publisher.latest(display_id)
    return json.loads(latest.body)["manifest"]["items"]  # type: ignore[no-any-return]


def test_portrait_phone_video_is_normalised_for_each_canvas(live_scheduler: Any, tmp_path: Path) -> None:
    source = tmp_path / "vid_hp.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=720x1280:rate=30:duration=2",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(source)],
        check=True,
    )  # fmt: skip
    with source.open("rb") as fh:
        r = requests.post(
            f"{live_scheduler.url}/api/v1/admin/media?wait=true",
            files={"file": ("vid hp.mp4", fh, "video/mp4")},
            auth=_editor(live_scheduler),
            timeout=TIMEOUT_S,
        )
    assert r.status_code == 202, r.text
    upload = r.json()
    assert upload["kind"] == "video" and upload["job"]["state"] == "done" and upload["job"]["percent"] == 100
    job = requests.get(
        f"{live_scheduler.url}/api/v1/admin/jobs/{upload['job']['id']}", auth=_editor(live_scheduler), timeout=10
    ).json()["job"]
    assert job["state"] == "done" and any("1920x1080" in n for n in job["notes"])
    body = {
        "title": "Video warga",
        "kind": "video",
        "media_sha256": upload["sha256"],
        "targets": {"groups": ["kabupaten"]},
    }
    ann = requests.post(
        f"{live_scheduler.url}/api/v1/admin/announcements", json=body, auth=_editor(live_scheduler), timeout=10
    )
    ann_id = ann.json()["announcement"]["id"]
    assert post_approve(
        f"{live_scheduler.url}/api/v1/admin/announcements/{ann_id}/approve", auth=_admin(live_scheduler), timeout=30
    ).ok
    for display_id, (width, height) in {"desa-antibar": (400, 300), "kantor-bupati": (1920, 1080)}.items():
        item = _manifest_items(live_scheduler, display_id)[f"ann-{ann_id}"]
        media = requests.get(f"{live_scheduler.url}/api/v1/media/{item['media']['sha256']}",
                             auth=_editor(live_scheduler), timeout=30)  # fmt: skip
        path = tmp_path / f"{display_id}.mp4"
        path.write_bytes(media.content)
        stream = next(s for s in ffmpeg.probe(str(path))["streams"] if s["codec_type"] == "video")
        assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", width, height)
        assert item["duration_s"] == pytest.approx(2.0, abs=0.1)


def test_text_announcement_becomes_a_slide_at_the_display_canvas(live_scheduler: Any) -> None:
    items = _manifest_items(live_scheduler, "desa-antibar")
    ktp = next(i for i in items.values() if i["title"] == "Pelayanan KTP Elektronik Keliling")
    assert ktp["type"] == "image" and ktp["text"]["title"] == "Pelayanan KTP Elektronik Keliling"
    png = requests.get(f"{live_scheduler.url}/api/v1/media/{ktp['media']['sha256']}", auth=_editor(live_scheduler),
                       timeout=10).content  # fmt: skip
    assert Image.open(io.BytesIO(png)).size == (400, 300)


def test_non_media_upload_is_refused_and_stores_nothing(live_scheduler: Any) -> None:
    store_root = live_scheduler.service.media.root
    before = sorted(p.name for p in store_root.iterdir())
    for name, data, reason in [("pengumuman.mp4", b"ini bukan video, hanya teks\n" * 20, "JPEG"),
                               ("kosong.png", b"", "empty")]:
        r = requests.post(
            f"{live_scheduler.url}/api/v1/admin/media",
            files={"file": (name, data, "application/octet-stream")},
            auth=_editor(live_scheduler),
            timeout=10,
        )
        assert r.status_code == 400 and r.json()["field"] == "file", r.text
        assert reason in r.json()["error"], r.json()  # each refusal says why: the formats accepted, or empty
    assert sorted(p.name for p in store_root.iterdir()) == before


def test_cli_ingest_and_missing_file(demo_service: Any, tmp_path: Path) -> None:
    image = tmp_path / "Poster Lomba.jpg"
    Image.new("CMYK", (1200, 900), (0, 120, 200, 0)).save(image, "JPEG")
    data_dir = str(demo_service.data_dir)
    demo_service.close()
    proc = subprocess.run(
        [sys.executable, "-m", "signage", "ingest", str(image), str(tmp_path / "hilang.mp4"),
         "--group", "kec-mempawah-timur", "--data-dir", data_dir],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "OK       Poster Lomba.jpg: image for 400x300 -> draft created for group kec-mempawah-timur" in proc.stdout
    assert "REFUSED  hilang.mp4: file not found" in proc.stdout
    assert "Traceback" not in proc.stderr
    from scheduler.service import Service
    from signage.config import SchedulerConfig

    service = Service(SchedulerConfig(data_dir=data_dir))
    drafts = list(service.db["announcements"].rows_where("title = 'Poster Lomba'"))
    assert drafts and drafts[0]["status"] == "draft"
    service.close()


def test_inbox_drop_becomes_a_draft(tmp_path: Path, seeded_template: Path) -> None:
    import shutil
    import threading

    import uvicorn
    from tests_support import free_port

    from scheduler.app import create_app
    from scheduler.service import Service
    from signage.config import SchedulerConfig

    data_dir = tmp_path / "scheduler"
    shutil.copytree(seeded_template, data_dir)
    service = Service(SchedulerConfig(data_dir=str(data_dir)))
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=free_port(), log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        group_dir = data_dir / "inbox" / "kec-sungai-pinyuh"
        group_dir.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (800, 600), (200, 30, 30)).save(group_dir / "Jadwal Posyandu.png")
        (group_dir / "Jadwal Posyandu.yaml").write_text("title: Jadwal Posyandu Desember\nlayer: normal\n")
        (group_dir / "rusak.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
        # the sixth review: a dropped file could ask for the emergency layer, and 370 bytes of nested YAML aliases
        # wrote a 68 MB error file (and exhausted memory a level deeper)
        Image.new("RGB", (800, 600), (30, 30, 200)).save(group_dir / "darurat.png")
        (group_dir / "darurat.yaml").write_text("title: Siaga banjir\nlayer: emergency\n")
        Image.new("RGB", (800, 600), (30, 200, 30)).save(group_dir / "bom.png")
        laughs = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'] + [
            f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]  # fmt: skip
        (group_dir / "bom.yaml").write_text("\n".join(laughs) + "\nlayer: *a8\n")
        names = ("rusak.jpg", "darurat.png", "bom.png")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with service.lock:
                drafts = list(service.db["announcements"].rows_where("title = 'Jadwal Posyandu Desember'"))
            failed = {n: data_dir / "inbox" / "failed" / f"{n}.error.txt" for n in names}
            if drafts and all(f.exists() for f in failed.values()):
                break
            time.sleep(0.3)
        assert drafts and drafts[0]["status"] == "draft"
        assert json.loads(drafts[0]["targets"]) == {"displays": [], "groups": ["kec-sungai-pinyuh"]}
        assert failed["rusak.jpg"].read_text().strip()
        assert "layer emergency is not taken from a dropped file" in failed["darurat.png"].read_text()
        bomb = failed["bom.png"]
        assert bomb.stat().st_size < 4096 and "aliases" in bomb.read_text(), bomb.stat().st_size
        with service.lock:
            assert not list(service.db["announcements"].rows_where("title in ('Siaga banjir', 'bom')"))
        _whoever_dropped_a_file_cannot_approve_it_alone(service, int(drafts[0]["id"]))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        service.close()


def _whoever_dropped_a_file_cannot_approve_it_alone(service: Any, ann_id: int) -> None:
    """The sixth review: an approver who could also write to the inbox folder approved what they dropped there
    (its author was the system account, so the two-person rule saw two people)."""
    from scheduler.announcements import approve_announcement, get_announcement, submit_announcement
    from scheduler.auth import create_user
    from scheduler.policy import PolicyDenied, can

    def user(name: str) -> dict[str, Any]:
        return dict(next(service.db["users"].rows_where("username = ?", [name])))

    with service.lock:
        create_user(service.db, "penyetuju2", "approver", "kalimat-sandi-penyetuju", service.now_iso())
        admin, second = user("admin"), user("penyetuju2")
        for who in (admin, second):
            with pytest.raises(PolicyDenied) as refused:
                approve_announcement(service.db, ann_id, who, service.clock())
            assert refused.value.reason == "unvouched" and "kotak masuk" in refused.value.text("id")
        # an editor, who wrote none of it, may answer for it (submit); then no longer approve it
        editor = user("editor")
        assert can(editor, "submit", get_announcement(service.db, ann_id))
        submit_announcement(service.db, ann_id, admin, service.clock())  # admin answers for it now
        with pytest.raises(PolicyDenied) as refused:
            approve_announcement(service.db, ann_id, admin, service.clock())
        assert refused.value.reason == "two_person"
        assert approve_announcement(service.db, ann_id, second, service.clock())["status"] == "approved"


def test_media_gc_keeps_referenced_and_collects_after_grace(demo_service: Any) -> None:
    from scheduler import mediagc

    stray = demo_service.media.put_bytes(b"tidak dipakai siapa pun")
    used = mediagc.referenced_media(demo_service)
    assert stray.sha256 not in used
    now_s = time.time()
    first = mediagc.collect(demo_service, now_s)
    assert stray.sha256 not in first.deleted and demo_service.media.has(stray.sha256)  # grace starts now
    later = mediagc.collect(demo_service, now_s + 8 * 86400)
    assert later.deleted == (stray.sha256,)
    assert all(demo_service.media.has(sha) for sha in used if sha)


# -- hostile uploads over HTTP (issue 9, item 11) ------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _hostile_files(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    """Files the sniffer lets through but the pipeline refuses later: name -> (bytes, reason fragment)."""
    import struct
    import zlib

    def ffmpeg_out(name: str, *args: str) -> Path:
        out = tmp_path / name
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, str(out)], check=True)
        return out

    args = ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3", "-c:v", "libx264", "-preset", "ultrafast"]
    clip = ffmpeg_out("clip.mp4", *args, "-pix_fmt", "yuv420p")  # moov at the end
    no_moov = clip.read_bytes()[: clip.stat().st_size // 2]
    sound = ffmpeg_out("lagu.mp4", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", "-f", "mp4", "-brand", "isom")
    ihdr = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)  # 400 megapixels declared
    bomb = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 1000))
            + _png_chunk(b"IEND", b""))  # fmt: skip
    faststart = ffmpeg_out("faststart.mp4", "-i", str(clip), "-c", "copy", "-movflags", "+faststart")
    cut = faststart.read_bytes()[: faststart.stat().st_size * 35 // 100]
    return {
        "terpotong-moov.mp4": (no_moov, "damaged or incomplete"),
        "hanya-suara.mp4": (sound.read_bytes(), "only sound"),
        "raksasa.png": (bomb, "too large"),
        "terpotong-tengah.mp4": (cut, "incomplete"),
    }


def _store_names(live: Any) -> set[str]:
    root = live.service.media.root
    return {p.name for p in root.iterdir() if p.name != ".meta"} | {p.name for p in (root / ".meta").glob("*")}


def _wait_job(live: Any, job_id: int, states: tuple[str, ...] = ("done", "failed")) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        job = requests.get(f"{live.url}/api/v1/admin/jobs/{job_id}", auth=_editor(live), timeout=10).json()["job"]
        if job["state"] in states:
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_late_refusal_with_wait_is_a_400_and_leaves_nothing(live_scheduler: Any, tmp_path: Path) -> None:
    import hashlib

    before = _store_names(live_scheduler)
    for name, (data, reason) in _hostile_files(tmp_path).items():
        r = requests.post(
            f"{live_scheduler.url}/api/v1/admin/media?wait=true",
            files={"file": (name, data, "application/octet-stream")},
            auth=_editor(live_scheduler),
            timeout=TIMEOUT_S,
        )
        assert r.status_code == 400, (name, r.text)
        body = r.json()
        assert body["ok"] is False and body["field"] == "file" and reason in body["error"], (name, body)
        assert not body["error"].lstrip().startswith("[") and '["' not in body["error"]
        sha = hashlib.sha256(data).hexdigest()
        assert not live_scheduler.service.media.has(sha), name
        assert _store_names(live_scheduler) == before, name
        with live_scheduler.service.lock:  # the uploader was told why: no media row is kept either
            assert not live_scheduler.service.db.table("media").count_where("sha256 = ?", [sha]), name


def test_late_refusal_without_wait_ends_failed_and_is_cleaned_at_once(live_scheduler: Any, tmp_path: Path) -> None:
    hostile = _hostile_files(tmp_path)
    before = _store_names(live_scheduler)
    # a broken video is refused as it is uploaded, even without wait: never "received" behind a busy queue and
    # then failed (the sixth review); nothing of it is kept
    for name in ("terpotong-moov.mp4", "terpotong-tengah.mp4", "hanya-suara.mp4"):
        data, reason = hostile[name]
        r = requests.post(f"{live_scheduler.url}/api/v1/admin/media", files={"file": (name, data, "video/mp4")},
                          auth=_editor(live_scheduler), timeout=TIMEOUT_S)  # fmt: skip
        assert r.status_code == 400 and r.json()["field"] == "file" and reason in r.json()["error"], r.text
        assert _store_names(live_scheduler) == before
    # what only the conversion finds (a picture that declares 400 megapixels) ends failed without wait
    data, reason = hostile["raksasa.png"]
    r = requests.post(
        f"{live_scheduler.url}/api/v1/admin/media",
        files={"file": ("rusak.png", data, "image/png")},
        auth=_editor(live_scheduler),
        timeout=TIMEOUT_S,
    )
    assert r.status_code == 202, r.text
    job = _wait_job(live_scheduler, r.json()["job"]["id"])
    assert job["state"] == "failed" and reason in job["error"]
    assert job["notes"] == [] and job["warnings"] == []
    assert _store_names(live_scheduler) == before
    # the failed media cannot be used for a new announcement, and the reason is plain text
    body = {"title": "Rusak", "kind": "image", "media_sha256": r.json()["sha256"], "targets": {"groups": ["kabupaten"]}}
    ann = requests.post(
        f"{live_scheduler.url}/api/v1/admin/announcements",
        json=body,
        auth=_editor(live_scheduler),
        timeout=10,
    )
    assert ann.status_code == 400 and ann.json()["field"] == "media_sha256"
    assert reason in ann.json()["error"] and '["' not in ann.json()["error"]


def test_notes_and_warnings_are_lists_in_every_answer(live_scheduler: Any, tmp_path: Path) -> None:
    small = io.BytesIO()
    Image.new("RGB", (120, 90), (20, 120, 200)).save(small, "PNG")  # enlarged > 2x: a warning
    r = requests.post(
        f"{live_scheduler.url}/api/v1/admin/media?wait=true",
        files={"file": ("kecil.png", small.getvalue(), "image/png")},
        auth=_editor(live_scheduler),
        timeout=TIMEOUT_S,
    )
    assert r.status_code == 202, r.text
    waited = r.json()["job"]
    shown = _wait_job(live_scheduler, waited["id"])
    for job in (waited, shown):
        assert isinstance(job["notes"], list) and isinstance(job["warnings"], list)
        assert any("enlarged" in w for w in job["warnings"])
    assert waited["notes"] == shown["notes"] and waited["warnings"] == shown["warnings"]


def test_upload_file_name_is_cleaned_like_the_cli(live_scheduler: Any) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(picture, "PNG")
    raw_name = "../../../tmp/x%0AX.png"
    r = requests.post(
        f"{live_scheduler.url}/api/v1/admin/media?wait=true",
        files={"file": (raw_name, picture.getvalue(), "image/png")},
        auth=_editor(live_scheduler),
        timeout=TIMEOUT_S,
    )
    assert r.status_code == 202, r.text
    from content.names import display_name

    assert r.json()["job"]["original_name"] == display_name(raw_name) == "x%0AX.png"
    with live_scheduler.service.lock:
        assert live_scheduler.service.db.table("media").get(r.json()["sha256"])["original_name"] == "x%0AX.png"
    created = requests.post(
        f"{live_scheduler.url}/api/v1/admin/announcements",
        json={"title": "Nama berkas", "kind": "image", "media_sha256": r.json()["sha256"],
              "targets": {"displays": [], "groups": ["kabupaten"]}},
        auth=_editor(live_scheduler), timeout=TIMEOUT_S,
    )
    assert created.status_code == 201, created.text
    page = logged_in(live_scheduler, "editor").get(f"/admin/announcements/{created.json()['announcement']['id']}").text
    assert "x%0AX.png" in page and "../../../tmp" not in page


def test_web_form_with_broken_video_cannot_be_approved_and_is_not_retried(live_scheduler: Any, tmp_path: Path) -> None:
    service = live_scheduler.service
    data, reason = _hostile_files(tmp_path)["terpotong-moov.mp4"]
    editor = logged_in(live_scheduler, "editor")
    with service.lock:
        media_before = service.db.table("media").count
    form = {"csrf_token": editor.token("/admin/announcements/new"), "title": "Video rusak", "body": "",
            "duration_s": "10", "group": "kabupaten", "layer": "normal", "recurrence": "daily", "save": "1"}
    r = editor.post("/admin/announcements/new", data=form, files={"file": ("rusak.mp4", data, "video/mp4")})
    # the web form refuses it in the request, in Indonesian, keeps what was typed, and creates nothing
    assert r.status_code == 400 and 'role="alert"' in r.text and 'value="Video rusak"' in r.text
    with service.lock:
        assert not list(service.db.table("announcements").rows_where("title = 'Video rusak'"))
        assert service.db.table("media").count == media_before
    # through the API (no wait) a picture only its conversion finds broken is accepted, its job fails; a draft
    # using it cannot be approved (a broken video is refused as it arrives, see the test above)
    data, reason = _hostile_files(tmp_path)["raksasa.png"]
    upload = requests.post(f"{live_scheduler.url}/api/v1/admin/media",
                           files={"file": ("rusak.png", data, "image/png")}, auth=_editor(live_scheduler),
                           timeout=TIMEOUT_S)
    assert upload.status_code == 202, upload.text
    assert _wait_job(live_scheduler, upload.json()["job"]["id"])["state"] == "failed"
    sha = upload.json()["sha256"]
    created = requests.post(
        f"{live_scheduler.url}/api/v1/admin/announcements",
        json={"title": "Gambar rusak", "kind": "image", "media_sha256": sha,
              "targets": {"displays": [], "groups": ["kabupaten"]}},
        auth=_editor(live_scheduler), timeout=TIMEOUT_S,
    )
    assert created.status_code == 400 and created.json()["field"] == "media_sha256", created.text
    assert "upload another" in created.json()["error"]
    # a draft saved while its file was still converting, whose conversion then failed
    with service.lock:
        draft = next(service.db.table("announcements").rows_where("status = 'draft'"))
        service.db.table("announcements").update(draft["id"], {"kind": "image", "media_sha256": sha})
        ann = service.db.table("announcements").get(draft["id"])
    assert not service.media.has(ann["media_sha256"])
    refused = post_approve(
        f"{live_scheduler.url}/api/v1/admin/announcements/{ann['id']}/approve", auth=_admin(live_scheduler), timeout=30
    )
    assert refused.status_code == 400 and refused.json()["field"] == "media_sha256", refused.text
    assert reason in refused.json()["error"] and "upload another file" in refused.json()["error"]
    admin = logged_in(live_scheduler, "admin")
    token = admin.token(f"/admin/announcements/{ann['id']}")
    page = admin.post(f"/admin/announcements/{ann['id']}/approve", data={"csrf_token": token})
    assert page.status_code == 400 and "upload another file" in page.text
    detail = admin.get(f"/admin/announcements/{ann['id']}").text  # the job's failure in the staff's language
    assert "gagal: Gambarnya terlalu besar (400 megapiksel); batasnya 50 megapiksel." in detail
    with service.lock:
        assert service.db.table("announcements").get(ann["id"])["status"] == "draft"
        # as if it had been approved while still processing (allowed: it goes on air once ready)
        service.db.table("announcements").update(ann["id"], {"status": "approved"})
        jobs_before = service.db.table("ingest_jobs").count
    # its page no longer says "on air" for a file on no screen (the sixth review)
    detail = admin.get(f"/admin/announcements/{ann['id']}").text
    assert "Disetujui, tetapi berkasnya gagal" in detail.split('id="status">', 1)[1].split("</span>", 1)[0]
    assert "Berkasnya gagal diolah; unggah berkas lain." in detail  # its previews say so too, not "not ready yet"
    shown = requests.get(f"{live_scheduler.url}/api/v1/admin/announcements/{ann['id']}", auth=_admin(live_scheduler),
                         timeout=TIMEOUT_S).json()["announcement"]  # fmt: skip
    assert shown["display_status"] == "media_failed"  # the API agrees (it said "on_air")
    # publishing rounds (every 5 min in production) never queue the failed conversion again
    assert service.media_jobs.ensure_variants(ann["media_sha256"]) is None
    service.publisher.publish_all()
    service.publisher.publish_all()
    with service.lock:
        assert service.db.table("ingest_jobs").count == jobs_before


def test_failed_extra_canvas_is_not_retried_until_the_fleet_changes(demo_service: Any) -> None:
    service = demo_service
    with service.lock:
        media = next(service.db.table("media").rows_where("kind = 'image' and status = 'ready'"))
        first, second = [row["id"] for row in service.db.table("displays").rows_where(order_by="id", limit=2)]
        service.db.table("displays").update(first, {"width": 640, "height": 360})
    sha = media["sha256"]
    service.media.path_for(sha).write_bytes(b"rusak di disk\n" * 50)  # the original went bad: the new job fails
    job_id = service.media_jobs.ensure_variants(sha)
    assert job_id is not None
    with pytest.raises(UserError):
        service.media_jobs.wait(job_id)
    job = service.media_jobs.job(job_id)
    assert job["state"] == "failed" and job["canvases"] == ["640x360"]
    with service.lock:
        assert service.db.table("media").get(sha)["status"] == "ready"  # what was made stays on air
    assert service.media.has(sha)
    assert service.media_jobs.ensure_variants(sha) is None  # same canvases: not tried again
    with service.lock:
        service.db.table("displays").update(second, {"width": 800, "height": 600})
    assert service.media_jobs.ensure_variants(sha) is not None  # the fleet changed: a new try


def test_a_picture_is_not_queued_behind_a_long_video(live_scheduler: Any) -> None:
    """Pictures have their own queue: a poster uploaded while an hour-long video converts is ready in seconds."""
    import threading

    from content.jobs import JobState

    release = threading.Event()
    runner = live_scheduler.service.media_jobs.runner  # the video queue (one job at a time)
    long_video = runner.submit("video-panjang.mp4", lambda progress: release.wait(300))  # a conversion under way
    try:
        poster = io.BytesIO()
        Image.new("RGB", (1920, 1080), (200, 30, 30)).save(poster, "PNG")
        r = requests.post(f"{live_scheduler.url}/api/v1/admin/media", auth=_editor(live_scheduler), timeout=TIMEOUT_S,
                          files={"file": ("poster.png", poster.getvalue(), "image/png")})  # fmt: skip
        assert r.status_code == 202, r.text
        assert _wait_job(live_scheduler, r.json()["job"]["id"])["state"] == "done"
        assert long_video.state is JobState.RUNNING  # still converting: the picture did not wait for it
    finally:
        release.set()
    long_video.wait(60)


def test_an_animated_gif_is_a_video_from_its_upload_to_the_manifest(live_scheduler: Any, tmp_path: Path) -> None:
    """The sixth review: the upload said "image" for an animated GIF (the page copied it into the form), the form
    could then not be saved once it was converted ("that media is a video"), and an announcement saved before
    that reached the manifests as an image item pointing at an MP4, which the player cannot show."""
    frames = [Image.new("RGB", (320, 240), (40 * i, 200 - 40 * i, 90)) for i in range(5)]
    gif = tmp_path / "animasi.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=200, loop=0)
    r = requests.post(f"{live_scheduler.url}/api/v1/admin/media?wait=true",
                      files={"file": ("animasi.gif", gif.read_bytes(), "image/gif")}, auth=_editor(live_scheduler),
                      timeout=TIMEOUT_S)  # fmt: skip
    assert r.status_code == 202 and r.json()["kind"] == "video" and r.json()["job"]["state"] == "done", r.text
    sha = r.json()["sha256"]
    # a page that still says "image" (read before the upload answered) is taken as the video it is
    created = requests.post(f"{live_scheduler.url}/api/v1/admin/announcements",
                            json={"title": "Animasi", "kind": "image", "media_sha256": sha,
                                  "targets": {"displays": ["desa-antibar"]}},
                            auth=_editor(live_scheduler), timeout=TIMEOUT_S)  # fmt: skip
    assert created.status_code == 201, created.text
    ann = created.json()["announcement"]
    assert ann["kind"] == "video"
    assert post_approve(f"{live_scheduler.url}/api/v1/admin/announcements/{ann['id']}/approve",
                        auth=_admin(live_scheduler), timeout=TIMEOUT_S).ok  # fmt: skip
    from tests_support import latest_manifest

    item = latest_manifest(live_scheduler.service, "desa-antibar")["items"][f"ann-{ann['id']}"]
    assert item["type"] == "video" and item["media"]["mime"] == "video/mp4", item
    # the same bytes again: already made for every screen, so ready at once and not converted again
    with live_scheduler.service.lock:
        jobs_before = live_scheduler.service.db.table("ingest_jobs").count_where("state != 'done'")
    again = requests.post(f"{live_scheduler.url}/api/v1/admin/media",
                          files={"file": ("lagi.gif", gif.read_bytes(), "image/gif")}, auth=_editor(live_scheduler),
                          timeout=TIMEOUT_S)  # fmt: skip
    assert again.status_code == 202 and again.json()["job"]["state"] == "done", again.text
    assert again.json()["kind"] == "video" and again.json()["sha256"] == sha
    with live_scheduler.service.lock:
        assert live_scheduler.service.db.table("ingest_jobs").count_where("state != 'done'") == jobs_before


def test_a_restart_queues_again_what_never_started_and_a_stop_does_not_blame_the_file(demo_service: Any) -> None:
    """The sixth review: a restart failed every queued upload ("interrupted, upload again"), even those that had
    never started, and a conversion cut short by the stop was blamed on the file ("may be damaged")."""
    from scheduler.media import INTERRUPTED, JobState

    service = demo_service
    jobs = service.media_jobs
    with service.lock:
        media = next(service.db.table("media").rows_where("kind = 'image' and status = 'ready'"))
        service.db.execute("delete from media_variants where original_sha256 = ? and canvas = '400x300'",
                           [media["sha256"]])  # fmt: skip
        now = service.now_iso()
        rows = {state: service.db.table("ingest_jobs").insert(
            {"original_name": media["original_name"], "original_sha256": media["sha256"], "kind": "image",
             "state": state, "percent": 0.0, "created_at": now, "updated_at": now}).last_pk
            for state in ("running", "queued")}  # fmt: skip
    assert jobs.recover_interrupted() == 1  # only the one that was running ends failed
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline and jobs.job(rows["queued"])["state"] != "done":
        time.sleep(0.1)
    assert jobs.job(rows["queued"])["state"] == "done"
    assert jobs.job(rows["running"])["state"] == "failed" and jobs.job(rows["running"])["error"] == INTERRUPTED
    with service.lock:
        assert service.db.table("media_variants").count_where(
            "original_sha256 = ? and canvas = '400x300'", [media["sha256"]]) == 1  # fmt: skip
    # a job failing while the server stops leaves its row to the next start (which says "interrupted")
    jobs._stopping = True
    job = next(j for j in jobs.runner.jobs() + jobs.still_runner.jobs())
    job.state, job.error = JobState.FAILED, RuntimeError("ffmpeg failed (exit 255): no message")
    with service.lock:
        service.db.table("ingest_jobs").update(rows["queued"], {"state": "running"})
    jobs._on_update(job)
    assert jobs.job(rows["queued"])["state"] == "running"
