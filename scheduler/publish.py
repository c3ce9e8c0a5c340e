"""Publishing: approved announcements -> one signed manifest per display.

``Publisher.publish(display_ids)`` recompiles the given displays, and writes a
new manifest version only when the content changed (so restarting the
scheduler does not make every screen re-sync). Each version is kept on disk as
the exact envelope bytes served, and optionally mirrored into a static tree.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from content.store import MediaStore
from scheduler.keyring import KeyRing
from scheduler.store import loads
from scheduler.timeline import compile_timeline
from signage.canonical import canonical_json
from signage.clock import Clock, format_utc, zone
from signage.manifest import build_manifest
from signage.signing import envelope_bytes

log = logging.getLogger("scheduler.publish")

API_MEDIA_PREFIX = "../media/"
STATIC_MEDIA_PREFIX = "../../media/"


@dataclass(frozen=True)
class PublishedManifest:
    display_id: str
    version: int
    etag: str
    body: bytes


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def horizon_start(now: datetime, timezone_name: str) -> datetime:
    """Local midnight of ``now``'s day in the display's zone (so a day's manifests are stable)."""
    local = now.astimezone(zone(timezone_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


class Publisher:
    def __init__(
        self,
        db: Database,
        keyring: KeyRing,
        media: MediaStore,
        manifests_dir: Path,
        clock: Clock,
        horizon_days: int = 14,
        static_dir: Path | None = None,
        on_published: Callable[[PublishedManifest], None] | None = None,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.media = media
        self.manifests_dir = manifests_dir
        self.clock = clock
        self.horizon_days = horizon_days
        self.static_dir = static_dir
        self.on_published = on_published
        self._latest: dict[str, PublishedManifest] = {}

    # -- reading ---------------------------------------------------------
    def latest(self, display_id: str) -> PublishedManifest | None:
        if display_id in self._latest:
            return self._latest[display_id]
        rows = list(self.db["manifests"].rows_where("display_id = ?", [display_id], order_by="version desc", limit=1))
        if not rows:
            return None
        path = self.manifests_dir / display_id / f"{rows[0]['version']}.json"
        if not path.exists():
            return None
        body = path.read_bytes()
        published = PublishedManifest(display_id, rows[0]["version"], rows[0]["etag"], body)
        self._latest[display_id] = published
        return published

    # -- writing ---------------------------------------------------------
    def publish_all(self) -> list[PublishedManifest]:
        return self.publish([row["id"] for row in self.db["displays"].rows])

    def publish(self, display_ids: set[str] | list[str]) -> list[PublishedManifest]:
        out = []
        for display_id in sorted(display_ids):
            result = self._publish_one(display_id)
            if result is not None:
                out.append(result)
        return out

    def _manifest_for(self, display: dict[str, Any], version: int, media_prefix: str) -> dict[str, Any]:
        now = self.clock()
        start = horizon_start(now, display["timezone"])
        end = start + timedelta(days=self.horizon_days)
        announcements = self._announcements_for(display)
        items: dict[str, dict[str, Any]] = {}
        for ann in announcements:
            items[f"ann-{ann['id']}"] = self._item(ann, media_prefix)
        timeline = compile_timeline(
            announcements=[
                {
                    "item_id": f"ann-{a['id']}",
                    "layer": a["layer"],
                    "starts_at": a["starts_at"],
                    "ends_at": a["ends_at"],
                }
                for a in announcements
            ],
            horizon_start=start,
            horizon_end=end,
        )
        return build_manifest(
            display_id=display["id"],
            version=version,
            generated_at=now,
            valid_until=end,
            timezone=display["timezone"],
            canvas={"width": display["width"], "height": display["height"], "rotation": display["rotation"] or 0},
            layouts={"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1, "z": 0}]},
            layout="full",
            items=items,
            timeline=timeline,
            fallback=[],
            operating_hours=loads(display["operating_hours"], []),
            key_id=self.keyring.active.key_id,
        )

    def _announcements_for(self, display: dict[str, Any]) -> list[dict[str, Any]]:
        groups = set(loads(display["groups"], []))
        out = []
        for ann in self.db["announcements"].rows_where("status = 'approved'", order_by="id"):
            targets = loads(ann["targets"], {})
            if display["id"] in (targets.get("displays") or []) or groups & set(targets.get("groups") or []):
                out.append(ann)
        return out

    def _item(self, ann: dict[str, Any], media_prefix: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "type": ann["kind"],
            "title": ann["title"],
            "duration_s": ann["duration_s"],
        }
        if ann["kind"] == "text":
            item["text"] = {"title": ann["title"], "body": ann["body"] or ""}
        else:
            media = self.db["media"].get(ann["media_sha256"])
            item["media"] = {
                "sha256": media["sha256"],
                "size": media["size"],
                "mime": media["mime"],
                "url": media_prefix + media["sha256"],
            }
            if ann["kind"] == "video" and media["duration_s"]:
                item["duration_s"] = round(float(media["duration_s"]), 3)
        return item

    def _publish_one(self, display_id: str) -> PublishedManifest | None:
        display = self.db["displays"].get(display_id)
        previous = self.latest(display_id)
        draft = self._manifest_for(display, 1, API_MEDIA_PREFIX)
        content_hash = _content_hash(draft)
        if previous is not None:
            prev_row = self.db["manifests"].get((display_id, previous.version))
            if prev_row["body_sha256"] == content_hash and prev_row["key_id"] == self.keyring.active.key_id:
                return None
        version = (previous.version if previous else 0) + 1
        manifest = {**draft, "version": version}
        body = envelope_bytes(manifest, self.keyring.active, self.keyring.introductions())
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        write_atomic(self.manifests_dir / display_id / f"{version}.json", body)
        self.db["manifests"].insert(
            {
                "display_id": display_id,
                "version": version,
                "etag": etag,
                "body_sha256": content_hash,
                "generated_at": manifest["generated_at"],
                "valid_until": manifest["valid_until"],
                "key_id": self.keyring.active.key_id,
            }
        )
        published = PublishedManifest(display_id, version, etag, body)
        self._latest[display_id] = published
        if self.static_dir is not None:
            self._write_static(display, version)
        log.info("published %s version %d (%d bytes)", display_id, version, len(body))
        if self.on_published is not None:
            self.on_published(published)
        return published

    def _write_static(self, display: dict[str, Any], version: int) -> None:
        assert self.static_dir is not None
        manifest = {**self._manifest_for(display, version, STATIC_MEDIA_PREFIX), "version": version}
        for item in manifest["items"].values():
            media = item.get("media")
            if media:
                target = self.static_dir / "media" / media["sha256"]
                if not target.exists():
                    write_atomic(target, self.media.path_for(media["sha256"]).read_bytes())
        write_atomic(
            self.static_dir / "displays" / display["id"] / "manifest.json",
            envelope_bytes(manifest, self.keyring.active, self.keyring.introductions()),
        )
        write_atomic(self.static_dir / "keys.json", canonical_json(self.keyring.public_keys()))


def _content_hash(manifest: dict[str, Any]) -> str:
    stable = {k: v for k, v in manifest.items() if k not in ("version", "generated_at")}
    return hashlib.sha256(canonical_json(stable)).hexdigest()


def format_now(clock: Clock) -> str:
    return format_utc(clock())
