"""Seed a store with the Mempawah demo (displays, groups, users, announcements, media)."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw, ImageFont

from scheduler.announcements import approve_announcement, create_announcement
from scheduler.auth import create_user
from scheduler.service import Service
from scheduler.store import dumps
from signage.errors import UserError

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "mempawah.yaml"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
)


@dataclass(frozen=True)
class DemoAccounts:
    admin_password: str
    editor_password: str


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def make_poster(path: Path, title: str, subtitle: str) -> None:
    img = Image.new("RGB", (1280, 720), (120, 20, 30))
    draw = ImageDraw.Draw(img)
    for y in range(720):
        shade = int(40 * y / 720)
        draw.line([(0, y), (1280, y)], fill=(150 - shade, 30 + shade // 2, 40))
    draw.rectangle([40, 40, 1240, 680], outline=(250, 210, 80), width=8)
    draw.text((640, 300), title, font=_font(72), fill=(255, 240, 200), anchor="mm")
    draw.text((640, 420), subtitle, font=_font(34), fill=(255, 255, 255), anchor="mm")
    img.save(path, "PNG")


def make_video(path: Path, duration_s: int = 6) -> None:
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1280x720:rate=25:duration={duration_s}",
            "-vf",
            "hue=s=0.6",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-preset",
            "veryfast",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )


def load_demo_file(path: Path = DEMO_FILE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise UserError(f"{path}: the demo file must be a mapping")
    return data


def seed(service: Service, path: Path = DEMO_FILE) -> DemoAccounts:
    data = load_demo_file(path)
    db = service.db
    now = service.clock()
    now_iso = service.now_iso()
    with service.lock:
        admin_password = create_user(db, "admin", "admin", None, now_iso)
        editor_password = create_user(db, "editor", "editor", None, now_iso)
        for group in data["groups"]:
            db.table("groups").insert(group)
        for d in data["displays"]:
            db.table("displays").insert(
                {
                    "id": d["id"],
                    "name": d["name"],
                    "location": d.get("location", ""),
                    "width": d["width"],
                    "height": d["height"],
                    "rotation": d.get("rotation", 0),
                    "timezone": d.get("timezone", service.config.timezone),
                    "groups": dumps(d.get("groups", [])),
                    "tags": dumps(d.get("tags", [])),
                    "operating_hours": dumps(d.get("operating_hours", [])),
                    "created_at": now_iso,
                }
            )
        admin = next(db.table("users").rows_where("username = 'admin'"))
        editor = next(db.table("users").rows_where("username = 'editor'"))
        jobs: list[int] = []
        with tempfile.TemporaryDirectory(prefix="demo-media-") as tmp:
            for ann in data["announcements"]:
                body = {k: ann[k] for k in ("title", "body", "kind", "targets") if k in ann}
                if "duration_s" in ann:
                    body["duration_s"] = ann["duration_s"]
                generate = ann.get("generate")
                if generate:
                    target = Path(tmp) / ("poster.png" if generate == "poster" else "video.mp4")
                    if generate == "poster":
                        make_poster(target, ann["title"], ann.get("body", "")[:60])
                    else:
                        make_video(target)
                    job_id, _kind, sha256 = service.media_jobs.submit_upload(target, target.name)
                    jobs.append(job_id)
                    body["media_sha256"] = sha256
                announcement_id = create_announcement(db, body, editor["id"], now)
                if ann.get("approve"):
                    approve_announcement(db, announcement_id, admin, now)
    for job_id in jobs:  # normalised for every canvas before the first publish
        job = service.media_jobs.wait(job_id)
        if job["state"] != "done":
            raise UserError(f"demo media could not be prepared: {job['error']}")
    service.publisher.publish_all()
    return DemoAccounts(admin_password, editor_password)
