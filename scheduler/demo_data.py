"""Seed a store with the Mempawah demo (displays, groups, users, announcements, media)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scheduler.announcements import approve_announcement, create_announcement
from scheduler.auth import create_user
from scheduler.demo_media import PosterSpec, VideoSpec, make_poster, make_video
from scheduler.service import Service
from scheduler.store import dumps
from signage.errors import UserError

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "mempawah.yaml"
# seconds a ticker line needs to cross the strip once on every demo canvas (the player scrolls ~3 characters/s)
TICKER_S_PER_CHAR = 0.3
TICKER_MARGIN_S = 10


@dataclass(frozen=True)
class DemoAccounts:
    admin_password: str
    editor_password: str


def generate_media(folder: Path, ann: dict[str, Any], index: int) -> Path:
    """Create the picture or clip an announcement's ``generate:`` block describes, in ``folder``."""
    spec = dict(ann["generate"])
    kind = spec.pop("type", None)
    if kind == "poster":
        width, height = spec.pop("size", [1920, 1080])
        target = folder / f"poster-{index}-{width}x{height}.png"
        make_poster(target, PosterSpec(**{**spec, "lines": tuple(spec.get("lines", ()))}), (int(width), int(height)))
        return target
    if kind == "video":
        target = folder / f"video-{index}.mp4"
        steps = tuple((str(head), str(text)) for head, text in spec.pop("steps"))
        make_video(target, VideoSpec(steps=steps, **spec))
        return target
    raise UserError(f"{ann['title']}: generate.type must be poster or video", field="generate.type")


def ticker_duration_s(ann: dict[str, Any]) -> int:
    """Long enough for the whole line (title — body) to scroll past once."""
    chars = len(ann["title"]) + len(ann.get("body", "")) + 3
    return round(chars * TICKER_S_PER_CHAR + TICKER_MARGIN_S)


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
                    "zones": dumps(d.get("zones", ["main"])),
                    "created_at": now_iso,
                }
            )
        admin = next(db.table("users").rows_where("username = 'admin'"))
        editor = next(db.table("users").rows_where("username = 'editor'"))
        jobs: list[int] = []
        with tempfile.TemporaryDirectory(prefix="demo-media-") as tmp:
            for index, ann in enumerate(data["announcements"]):
                body = {k: ann[k] for k in ("title", "body", "kind", "targets", "layer", "schedule") if k in ann}
                if "duration_s" in ann:
                    body["duration_s"] = ann["duration_s"]
                elif ann.get("schedule", {}).get("zone") == "ticker":
                    body["duration_s"] = ticker_duration_s(ann)
                if ann.get("generate"):
                    target = generate_media(Path(tmp), ann, index)
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
