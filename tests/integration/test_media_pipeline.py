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
    assert requests.post(
        f"{live_scheduler.url}/api/v1/admin/announcements/{ann_id}/approve", auth=_admin(live_scheduler), timeout=30
    ).ok
    for display_id, (width, height) in {"desa-antibar": (400, 300), "kantor-bupati": (1920, 1080)}.items():
        item = _manifest_items(live_scheduler, display_id)[f"ann-{ann_id}"]
        media = requests.get(f"{live_scheduler.url}/api/v1/media/{item['media']['sha256']}", timeout=30)
        path = tmp_path / f"{display_id}.mp4"
        path.write_bytes(media.content)
        stream = next(s for s in ffmpeg.probe(str(path))["streams"] if s["codec_type"] == "video")
        assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", width, height)
        assert item["duration_s"] == pytest.approx(2.0, abs=0.1)


def test_text_announcement_becomes_a_slide_at_the_display_canvas(live_scheduler: Any) -> None:
    items = _manifest_items(live_scheduler, "desa-antibar")
    ktp = next(i for i in items.values() if i["title"] == "Pelayanan KTP Elektronik Keliling")
    assert ktp["type"] == "image" and ktp["text"]["title"] == "Pelayanan KTP Elektronik Keliling"
    png = requests.get(f"{live_scheduler.url}/api/v1/media/{ktp['media']['sha256']}", timeout=10).content
    assert Image.open(io.BytesIO(png)).size == (400, 300)


def test_non_media_upload_is_refused_and_stores_nothing(live_scheduler: Any) -> None:
    store_root = live_scheduler.service.media.root
    before = sorted(p.name for p in store_root.iterdir())
    for name, data in [("pengumuman.mp4", b"ini bukan video, hanya teks\n" * 20), ("kosong.png", b"")]:
        r = requests.post(
            f"{live_scheduler.url}/api/v1/admin/media",
            files={"file": (name, data, "application/octet-stream")},
            auth=_editor(live_scheduler),
            timeout=10,
        )
        assert r.status_code == 400 and r.json()["field"] == "file", r.text
        assert "JPEG" in r.json()["error"] or "empty" in r.json()["error"]
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
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with service.lock:
                drafts = list(service.db["announcements"].rows_where("title = 'Jadwal Posyandu Desember'"))
            failed = list((data_dir / "inbox" / "failed").glob("rusak.jpg.error.txt"))
            if drafts and failed:
                break
            time.sleep(0.3)
        assert drafts and drafts[0]["status"] == "draft"
        assert json.loads(drafts[0]["targets"]) == {"displays": [], "groups": ["kec-sungai-pinyuh"]}
        assert failed and failed[0].read_text().strip()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        service.close()


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
