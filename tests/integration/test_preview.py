"""``signage preview`` and the preview endpoints against a real scheduler store (the Mempawah demo)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from tests_support import draft_poster, latest_manifest

from scheduler.actions import approve_and_publish, create_announcement_action
from scheduler.store import dumps
from signage.clock import zone

pytestmark = pytest.mark.slow


def signage(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "signage", *args], capture_output=True, text=True, timeout=180,
                          cwd=cwd, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})


def image(path_or_bytes: Any) -> Image.Image:
    """Load an image fully and close its file (ResourceWarning is an error here)."""
    import io

    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    with Image.open(io.BytesIO(data)) as opened:
        return opened.convert("RGB")


def users(service: Any) -> dict[str, dict[str, Any]]:
    return {row["username"]: row for row in service.db.table("users").rows}


def local(service: Any, display_id: str, moment: Any) -> str:
    timezone = service.db.table("displays").get(display_id)["timezone"]
    return moment.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M:%S")


def test_at_shows_the_emergency_and_off_outside_operating_hours(demo_service, tmp_path):
    service = demo_service
    people = users(service)
    row = create_announcement_action(service, {
        "title": "PERINGATAN BANJIR", "body": "Warga bantaran Sungai Mempawah harap mengungsi.",
        "kind": "text", "layer": "emergency", "duration_s": 20,
        "targets": {"displays": ["desa-antibar"], "groups": []},
    }, people["editor"])
    approve_and_publish(service, row["id"], people["admin"])
    manifest = latest_manifest(service, "desa-antibar")
    emergency = next(s for s in manifest["timeline"] if s["layer"] == "emergency")
    ann_item = manifest["items"][emergency["loop"][0]]
    from signage.clock import parse_utc

    at = parse_utc(emergency["start"]) + timedelta(seconds=5)
    out = tmp_path / "darurat.png"
    done = signage("preview", "--data-dir", str(service.data_dir), "--display", "desa-antibar",
                   "--at", local(service, "desa-antibar", at), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "PERINGATAN BANJIR" in done.stdout
    frame = image(out)
    assert frame.size == (400, 300)
    slide = image(service.media.path_for(ann_item["media"]["sha256"]))
    assert frame.tobytes() == slide.tobytes()  # the emergency slide, edge to edge, nothing else

    # operating hours 06:00-22:00 (another screen: an emergency outranks them): at 03:00 local it is off (black)
    service.db.table("displays").update("kec-sungai-pinyuh",
                                        {"operating_hours": dumps([{"start": "06:00", "end": "22:00"}])})
    service.publisher.publish(["kec-sungai-pinyuh"])
    night = parse_utc(latest_manifest(service, "kec-sungai-pinyuh")["generated_at"]).astimezone(zone("Asia/Pontianak"))
    night = night.replace(hour=3, minute=0, second=0) + timedelta(days=1)
    out = tmp_path / "malam.png"
    done = signage("preview", "--data-dir", str(service.data_dir), "--display", "kec-sungai-pinyuh",
                   "--at", night.strftime("%Y-%m-%d %H:%M"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert " off " in done.stdout
    assert image(out).getextrema() == ((0, 0), (0, 0), (0, 0))


def test_day_sheet_and_clip(demo_service, tmp_path):
    service = demo_service
    manifest = latest_manifest(service, "kec-sungai-pinyuh")
    # the day after the publish, in the display's own zone: wholly inside the compiled horizon whatever the
    # hour of the run (the UTC date of generated_at is the local day before from 17:00 UTC on)
    from signage.clock import parse_utc

    published_local = parse_utc(manifest["generated_at"]).astimezone(zone("Asia/Pontianak"))
    day = (published_local + timedelta(days=1)).strftime("%Y-%m-%d")
    sheet = tmp_path / "sheet.png"
    done = signage("preview", "--data-dir", str(service.data_dir), "--display", "kec-sungai-pinyuh",
                   "--day", day, "-o", str(sheet))
    assert done.returncode == 0, done.stderr
    entries = int(done.stdout.split(": ")[1].split()[0])
    assert entries >= 2 and image(sheet).size[0] > 1000
    # headed by the name staff know (the scheduler passes it): only the heading differs from the id's sheet
    named = tmp_path / "named.png"
    done = signage("preview", "--data-dir", str(service.data_dir), "--display", "kec-sungai-pinyuh",
                   "--day", day, "-o", str(named), "--title=LED Kantor Camat Sungai Pinyuh")
    assert done.returncode == 0, done.stderr
    plain, titled = image(sheet).convert("RGB"), image(named).convert("RGB")
    assert plain.size == titled.size
    width = plain.size[0]
    assert plain.crop((0, 0, width, 56)).tobytes() != titled.crop((0, 0, width, 56)).tobytes()
    assert plain.crop((0, 56, width, plain.size[1])).tobytes() == titled.crop((0, 56, width, plain.size[1])).tobytes()
    clip = tmp_path / "clip.mp4"
    start = f"{day} 10:00"
    done = signage("preview", "--data-dir", str(service.data_dir), "--display", "kec-sungai-pinyuh",
                   "--video", str(clip), "--from", start, "--to", f"{day} 10:02", "--speed", "30")
    assert done.returncode == 0, done.stderr
    probe = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_streams", str(clip)],
                           capture_output=True, text=True, check=True)
    stream = json.loads(probe.stdout)["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 768, 432)
    assert int(stream["nb_frames"]) == 100  # 120 s at 30x = 4 s at 25 fps


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--display", "tidak-ada", "--at", "2026-12-04 11:50"], "display 'tidak-ada' has no published manifest"),
        (["--display", "desa-antibar", "--at", "2031-01-01 10:00"], "outside display desa-antibar's compiled"),
        (["--display", "desa-antibar", "--at", "besok siang"], "is not a time"),
        (["--display", "desa-antibar", "--day", "2026-12-04", "-o", "/nonexistent/dir/sheet.png"],
         "folder /nonexistent/dir does not exist"),
        (["--display", "desa-antibar"], "choose one of --at, --day, --video or --window"),
    ],
)
def test_bad_input_is_one_line_naming_the_fix(demo_service, args, needle):
    done = signage("preview", "--data-dir", str(demo_service.data_dir), *args)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip() and "pipewire" not in line]
    assert len(lines) == 1, done.stderr
    assert needle in lines[0] and "Traceback" not in done.stderr


def test_preview_endpoints(live_scheduler):
    live = live_scheduler
    accounts = live.service.demo_accounts
    auth = ("admin", accounts.admin_password)
    base = f"{live.url}/api/v1/admin"
    assert requests.get(f"{base}/preview/displays/desa-antibar.png", timeout=30).status_code == 401
    from signage.clock import parse_utc

    tomorrow = parse_utc(latest_manifest(live.service, "desa-antibar")["generated_at"]) + timedelta(days=1)
    at = tomorrow.astimezone(zone("Asia/Pontianak")).strftime("%Y-%m-%d 10:00")
    response = requests.get(f"{base}/preview/displays/desa-antibar.png", params={"at": at}, auth=auth, timeout=120)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    cached = sorted((live.service.data_dir / "previews").glob("*.png"))
    again = requests.get(f"{base}/preview/displays/desa-antibar.png", params={"at": at}, auth=auth, timeout=120)
    assert again.content == response.content
    assert sorted((live.service.data_dir / "previews").glob("*.png")) == cached  # served from the cache
    bad = requests.get(f"{base}/preview/displays/desa-antibar.png", params={"at": "kemarin"}, auth=auth, timeout=30)
    assert bad.status_code == 400 and bad.json()["field"] == "at"

    poster = draft_poster(live)  # a 16:9 poster made for the big screen
    png = requests.get(f"{base}/preview/announcements/{poster['id']}.png", params={"display": "desa-antibar"},
                       auth=auth, timeout=120)
    assert png.status_code == 200, png.text
    assert image(png.content).size == (400, 300)
    check = requests.get(f"{base}/announcements/{poster['id']}/legibility", auth=auth, timeout=30).json()
    small = [c for c in check["canvases"] if c["canvas"] == "400x300"]
    assert small and small[0]["warnings"] and small[0]["min_text_px"] < small[0]["required_px"]
    big = [c for c in check["canvases"] if c["canvas"] == "1920x1080"]
    assert big and not big[0]["warnings"]
    envelope = requests.get(f"{base}/displays/desa-antibar/manifest", auth=auth, timeout=30)
    assert envelope.status_code == 200 and "signature" in envelope.json()


def test_cli_check_prints_legibility_per_canvas(demo_service):
    service = demo_service
    people = users(service)
    row = create_announcement_action(service, {
        "title": "Pengumuman", "body": " ".join(["Warga diminta menjaga kebersihan lingkungan."] * 40),
        "kind": "text", "targets": {"displays": ["desa-antibar", "kantor-bupati"], "groups": []},
    }, people["editor"])
    done = signage("announcements", "check", str(row["id"]), "--data-dir", str(service.data_dir))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.strip().startswith("400x300  WARNING") for line in lines), done.stdout
    assert any("text was cut" in line for line in lines)
    missing = signage("announcements", "check", "99999", "--data-dir", str(service.data_dir))
    assert missing.returncode != 0 and "announcement 99999 does not exist" in missing.stderr


def test_preview_over_the_api_from_an_officers_laptop(live_scheduler, tmp_path):
    """``--server`` reads the running scheduler over its admin API (manifest and media), no data dir needed."""
    import os

    live = live_scheduler
    from signage.clock import parse_utc

    tomorrow = parse_utc(latest_manifest(live.service, "kantor-bupati")["generated_at"]) + timedelta(days=1)
    at = tomorrow.astimezone(zone("Asia/Pontianak")).strftime("%Y-%m-%d 09:30")
    out = tmp_path / "dari-api.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SIGNAGE_PASSWORD": live.service.demo_accounts.admin_password}
    done = subprocess.run([sys.executable, "-m", "signage", "preview", "--server", live.url, "--user", "admin",
                           "--display", "kantor-bupati", "--at", at, "-o", str(out)],
                          capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr
    local = tmp_path / "dari-disk.png"
    assert signage("preview", "--data-dir", str(live.service.data_dir), "--display", "kantor-bupati", "--at", at,
                   "-o", str(local)).returncode == 0
    assert image(out).tobytes() == image(local).tobytes()  # the same frame either way
    env["SIGNAGE_PASSWORD"] = "salah-sandi"
    refused = subprocess.run([sys.executable, "-m", "signage", "preview", "--server", live.url, "--user", "admin",
                              "--display", "kantor-bupati", "--at", at, "-o", str(out)],
                             capture_output=True, text=True, timeout=180, env=env)
    assert refused.returncode != 0 and "refused the user name or password" in refused.stderr
