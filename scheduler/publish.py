"""Publishing: approved announcements -> one signed manifest per display.

``Publisher.publish(display_ids)`` recompiles the given displays and writes a
new manifest version only when the content changed (so restarting the
scheduler does not make every screen re-sync). Each version is kept on disk as
the exact envelope bytes served, and optionally mirrored into a static tree.

Locking: the store is read once into a :class:`Snapshot` under the DB lock;
compiling, signing and writing files happen outside it (serialised among
publishers by ``publish_lock``); the new version rows go in with one short
transaction. Heartbeats and manifest requests never wait for a big publish.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from content.slides import render_slide
from content.store import MediaStore
from playlists.budget import DEFAULT_COMPILE_BUDGET_S, CompileRefused
from playlists.compiler import CompiledTimeline
from playlists.model import Display, Playlist, Rule
from playlists.warnings import ScheduleWarning
from scheduler.dataslides import stat_item
from scheduler.keyring import KeyRing
from scheduler.schedule import (
    RefusedRule,
    compile_for_display,
    display_model,
    horizon_start,
    item_id,
    item_model,
    layout_for,
    load_playlists,
    load_rules_checked,
)
from scheduler.slide_specs import display_zones, slide_spec, slide_spec_sha, strip_sets
from scheduler.store import loads
from signage.canonical import canonical_json
from signage.canvas import Canvas
from signage.clock import Clock
from signage.errors import NotFoundError
from signage.fsutil import atomic_copy as copy_atomic
from signage.fsutil import atomic_write_bytes as write_atomic
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


@dataclass
class Snapshot:
    """What publishing reads from the store, read in one go under the DB lock."""

    displays: list[dict[str, Any]]
    announcements_by_display: dict[str, list[dict[str, Any]]]
    media: dict[str, dict[str, Any]]
    previous: dict[str, dict[str, Any]]  # display id -> latest manifests row
    introductions: list[dict[str, Any]] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    refused: list[RefusedRule] = field(default_factory=list)  # stored rules that fail validation
    playlists: list[Playlist] = field(default_factory=list)
    variants: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (original, "WxH") -> row
    slides: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (spec sha, "WxH") -> row


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
        db_lock: threading.RLock | None = None,
        on_missing_variant: Callable[[str], object] | None = None,
        before_publish: Callable[[], object] | None = None,
        compile_budget_s: float | None = DEFAULT_COMPILE_BUDGET_S,
        timezone: str = "Asia/Pontianak",
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.media = media
        self.manifests_dir = manifests_dir
        self.clock = clock
        self.horizon_days = horizon_days
        self.static_dir = static_dir
        self.on_published = on_published
        self.db_lock = db_lock or threading.RLock()
        self.on_missing_variant = on_missing_variant
        self.before_publish = before_publish  # e.g. pick up what another process changed in the store
        self.compile_budget_s = compile_budget_s
        self.timezone = timezone  # the emergency slide's issued time is shown in this zone
        self.publish_lock = threading.Lock()
        self._latest: dict[str, PublishedManifest] = {}
        self.warnings: dict[str, list[dict[str, Any]]] = {}  # display id -> schedule warnings of its last compile

    # -- reading ---------------------------------------------------------
    def latest(self, display_id: str) -> PublishedManifest | None:
        cached = self._latest.get(display_id)
        if cached is not None:
            return cached
        with self.db_lock:
            rows = list(
                self.db.table("manifests").rows_where("display_id = ?", [display_id], order_by="version desc", limit=1)
            )
        if not rows:
            return None
        path = self.manifests_dir / display_id / f"{rows[0]['version']}.json"
        if not path.exists():
            return None
        published = PublishedManifest(display_id, rows[0]["version"], rows[0]["etag"], path.read_bytes())
        self._latest[display_id] = published
        return published

    def forget(self) -> dict[str, PublishedManifest]:
        """Drop the cache of latest manifests (another process published); the old cache."""
        old, self._latest = self._latest, {}
        return old

    # -- writing ---------------------------------------------------------
    def publish_all(self) -> list[PublishedManifest]:
        with self.db_lock:
            ids = [row["id"] for row in self.db.table("displays").rows]
        return self.publish(ids)

    def publish(self, display_ids: Iterable[str]) -> list[PublishedManifest]:
        wanted = sorted(set(display_ids))
        if not wanted:
            return []
        if self.before_publish is not None:
            self.before_publish()
        with self.publish_lock:
            with self.db_lock:
                snapshot = self._snapshot(wanted)
            self._render_missing_slides(snapshot)
            key = self.keyring.active
            rows: list[dict[str, Any]] = []
            out: list[PublishedManifest] = []
            for display in snapshot.displays:
                try:
                    draft = self._manifest_for(display, snapshot, 1, API_MEDIA_PREFIX)
                except CompileRefused as exc:  # this display keeps its last good manifest; the others go on
                    log.warning("display %s not published: %s", display["id"], exc.message)
                    continue
                content_hash = _content_hash(draft)
                previous = snapshot.previous.get(display["id"])
                db_version = previous["version"] if previous else 0
                files_version = self._version_files_ahead(display["id"], db_version)
                if (
                    previous
                    and previous["body_sha256"] == content_hash
                    and previous["key_id"] == key.key_id
                    and files_version == db_version
                ):
                    if self.static_dir is not None and not self._static_path(display["id"]).exists():
                        current = self.latest(display["id"])  # e.g. static_dir was just switched on
                        if current is not None:
                            self._write_static(json.loads(current.body)["manifest"], snapshot)
                    continue
                # Files ahead of the database (a crash between writing and committing) may have been
                # served already: a version number is never issued twice, so go past both.
                version = max(files_version, self._static_version(display["id"])) + 1
                manifest = {**draft, "version": version}
                body = envelope_bytes(manifest, key, snapshot.introductions)
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                write_atomic(self.manifests_dir / display["id"] / f"{version}.json", body)
                if self.static_dir is not None:
                    self._write_static(manifest, snapshot)
                rows.append(
                    {
                        "display_id": display["id"],
                        "version": version,
                        "etag": etag,
                        "body_sha256": content_hash,
                        "generated_at": manifest["generated_at"],
                        "valid_until": manifest["valid_until"],
                        "key_id": key.key_id,
                    }
                )
                out.append(PublishedManifest(display["id"], version, etag, body))
            if rows:
                with self.db_lock, self.db.atomic():
                    self.db.table("manifests").insert_all(rows)
            for published in out:
                self._latest[published.display_id] = published
                log.info(
                    "published %s version %d (%d bytes)", published.display_id, published.version, len(published.body)
                )
                if self.on_published is not None:
                    self.on_published(published)
            return out

    def _version_files_ahead(self, display_id: str, db_version: int) -> int:
        """The highest kept envelope file at or above ``db_version`` (files written, rows never committed).

        Probes ``db_version + 1``, ``+ 2``... (one stat when nothing is ahead, as always but after a crash).
        """
        folder = self.manifests_dir / display_id
        version = db_version
        while (folder / f"{version + 1}.json").exists():
            version += 1
        return version

    def _static_version(self, display_id: str) -> int:
        """The version the static tree's manifest of ``display_id`` holds (0 without one)."""
        if self.static_dir is None:
            return 0
        try:
            version = json.loads(self._static_path(display_id).read_bytes())["manifest"]["version"]
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        return version if isinstance(version, int) else 0

    def _snapshot(self, display_ids: list[str]) -> Snapshot:
        placeholders = ",".join("?" * len(display_ids))
        displays = list(self.db.table("displays").rows_where(f"id in ({placeholders})", display_ids, order_by="id"))
        by_target: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for ann in self.db.table("announcements").rows_where("status = 'approved'", order_by="id"):
            targets = loads(ann["targets"], {})
            for display_id in targets.get("displays") or []:
                by_target[f"display:{display_id}"].append(ann)
            for group_id in targets.get("groups") or []:
                by_target[f"group:{group_id}"].append(ann)
        per_display: dict[str, list[dict[str, Any]]] = {}
        for display in displays:
            seen: dict[int, dict[str, Any]] = {}
            keys = [f"display:{display['id']}"] + [f"group:{g}" for g in loads(display["groups"], [])]
            for key in keys:
                for ann in by_target.get(key, []):
                    seen[ann["id"]] = ann
            per_display[display["id"]] = [seen[i] for i in sorted(seen)]
        needed = {a["media_sha256"] for anns in per_display.values() for a in anns if a["media_sha256"]}
        media = (
            {
                row["sha256"]: row
                for row in self.db.table("media").rows_where(
                    f"sha256 in ({','.join('?' * len(needed))})", sorted(needed)
                )
            }
            if needed
            else {}
        )
        previous = {
            row["display_id"]: row
            for row in self.db.query(
                f"select m.* from manifests m join (select display_id, max(version) v from manifests "
                f"where display_id in ({placeholders}) group by display_id) x "
                f"on m.display_id = x.display_id and m.version = x.v",
                display_ids,
            )
        }
        variants: dict[tuple[str, str], dict[str, Any]] = {}
        if needed:
            for row in self.db.table("media_variants").rows_where(
                f"original_sha256 in ({','.join('?' * len(needed))})", sorted(needed)
            ):
                variants[(row["original_sha256"], row["canvas"])] = row
        texts = [a for anns in per_display.values() for a in anns if a["kind"] == "text"]
        zone_sets = strip_sets(displays)  # once: inside the comprehension it was re-read per text (quadratic)
        specs = {slide_spec_sha(a, self.timezone, zones) for a in texts for zones in zone_sets}
        slides: dict[tuple[str, str], dict[str, Any]] = {}
        if specs:
            for row in self.db.table("slides").rows_where(
                f"spec_sha256 in ({','.join('?' * len(specs))})", sorted(specs)
            ):
                slides[(row["spec_sha256"], row["canvas"])] = row
        rules, refused = load_rules_checked(self.db)
        return Snapshot(
            displays, per_display, media, previous, self.keyring.introductions(),
            rules=rules, refused=refused, playlists=load_playlists(self.db), variants=variants, slides=slides,
        )  # fmt: skip

    def _render_missing_slides(self, snapshot: Snapshot) -> None:
        """Text announcements become PNG slides per canvas (content.slides: the on-screen renderer)."""
        new_rows = []
        for display in snapshot.displays:
            canvas = Canvas(display["width"], display["height"])
            for ann in snapshot.announcements_by_display.get(display["id"], []):
                if ann["kind"] != "text":
                    continue
                zones = display_zones(display)
                key = (slide_spec_sha(ann, self.timezone, zones), canvas.key)
                if key in snapshot.slides:
                    continue
                rendered = render_slide(slide_spec(ann, self.timezone, zones), canvas)
                stored = self.media.put_bytes(rendered.png, mime="image/png")
                row = {"spec_sha256": key[0], "canvas": key[1], "sha256": stored.sha256, "size": stored.size,
                       "warnings": json.dumps(list(rendered.warnings), ensure_ascii=False)}  # fmt: skip
                snapshot.slides[key] = row
                new_rows.append(row)
        if new_rows:
            with self.db_lock:
                self.db.table("slides").upsert_all(new_rows, pk=("spec_sha256", "canvas"))

    def compile(self, display_id: str) -> tuple[CompiledTimeline, dict[str, dict[str, Any]]]:
        """The timeline and items ``display_id`` would get now, without publishing (preview, CLI)."""
        with self.db_lock:
            snapshot = self._snapshot([display_id])
        if not snapshot.displays:
            raise NotFoundError(f"display: unknown display {display_id!r}", field="display")
        self._render_missing_slides(snapshot)
        compiled, items, _model = self._compile(snapshot.displays[0], snapshot, API_MEDIA_PREFIX)
        return compiled, items

    def _compile(
        self, display: dict[str, Any], snapshot: Snapshot, media_prefix: str
    ) -> tuple[CompiledTimeline, dict[str, dict[str, Any]], Display]:
        canvas = f"{display['width']}x{display['height']}"
        items: dict[str, dict[str, Any]] = {}
        for ann in snapshot.announcements_by_display.get(display["id"], []):
            item = self._item(ann, snapshot, canvas, media_prefix, display)
            if item is not None:
                items[item_id(ann["id"])] = item
        model = display_model(display)
        specs = {key: item_model(key, item) for key, item in items.items()}
        bad = [r for r in snapshot.refused if r.targets_display(model)]
        try:
            if bad:
                first = bad[0].warning(model.id)
                raise CompileRefused(first.code, first.message, rule_id=first.rule_id, detail=first.detail)
            compiled = compile_for_display(
                model, snapshot.rules, specs, snapshot.playlists, self.clock(), self.horizon_days,
                budget_s=self.compile_budget_s,
            )  # fmt: skip
        except CompileRefused as exc:
            failed = [r.warning(model.id) for r in bad] or [
                ScheduleWarning(exc.code, exc.message, display_id=model.id, rule_id=exc.rule_id, detail=exc.detail)
            ]
            self.warnings[display["id"]] = [w.to_dict() for w in failed]
            raise
        self.warnings[display["id"]] = [w.to_dict() for w in compiled.warnings]
        for key, slot_s in compiled.item_durations_s.items():
            if key in items:
                items[key]["duration_s"] = slot_s  # the timeline's whole-second slots, so both ends agree
        return compiled, items, model

    def _manifest_for(
        self, display: dict[str, Any], snapshot: Snapshot, version: int, media_prefix: str
    ) -> dict[str, Any]:
        now = self.clock()
        compiled, items, model = self._compile(display, snapshot, media_prefix)
        used = {i for seg in compiled.segments() for i in seg["loop"]} | set(model.fallback)
        start = horizon_start(now, display["timezone"])
        return build_manifest(
            display_id=display["id"],
            version=version,
            generated_at=now,
            valid_until=start + timedelta(days=self.horizon_days),
            timezone=display["timezone"],
            canvas={"width": display["width"], "height": display["height"], "rotation": display["rotation"] or 0},
            layouts={"default": layout_for(model.zones)},
            layout="default",
            items={k: v for k, v in items.items() if k in used},
            timeline=compiled.segments(),
            fallback=[i for i in model.fallback if i in items],
            operating_hours=loads(display["operating_hours"], []),
            key_id=self.keyring.active.key_id,
        )

    def _item(
        self, ann: dict[str, Any], snapshot: Snapshot, canvas: str, media_prefix: str,
        display: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:  # fmt: skip
        """The manifest item for ``ann`` on ``display`` (a ``canvas``); None while its media is not ready for it.

        Data slides use the display's own coordinates (prayer times) and village code (weather)."""
        item: dict[str, Any] = {"title": ann["title"], "duration_s": ann["duration_s"]}
        overlay_zone = loads(ann.get("schedule"), {}).get("zone") if ann["layer"] == "overlay" else None
        if ann["kind"] == "text" and overlay_zone in ("ticker", "clock"):
            # drawn natively by the player in its strip: a scrolling line, or the date and time
            item.update(type=overlay_zone, text={"title": ann["title"], "body": ann["body"] or ""})
            return item
        if ann["kind"] == "stat":  # a native data slide filled from the source's last good snapshot
            with self.db_lock:
                return stat_item(self.db, ann, item, self.clock(), display)
        if ann["kind"] == "text":
            slide = snapshot.slides[(slide_spec_sha(ann, self.timezone, display_zones(display or {})), canvas)]
            item.update(type="image", text={"title": ann["title"], "body": ann["body"] or ""})
            item["media"] = {"sha256": slide["sha256"], "size": slide["size"], "mime": "image/png",
                             "url": media_prefix + slide["sha256"]}  # fmt: skip
            return item
        variant = snapshot.variants.get((ann["media_sha256"], canvas))
        if variant is None:
            processing = snapshot.media.get(ann["media_sha256"], {}).get("status") == "processing"
            log.log(
                logging.INFO if processing else logging.WARNING,
                "announcement %s: media not yet normalised for %s; left out until it is",
                ann["id"],
                canvas,
            )
            if self.on_missing_variant is not None:
                self.on_missing_variant(ann["media_sha256"])
            return None
        item["type"] = ann["kind"]
        item["media"] = {"sha256": variant["sha256"], "size": variant["size"], "mime": variant["mime"],
                         "url": media_prefix + variant["sha256"]}  # fmt: skip
        if ann["kind"] == "video" and variant["duration_s"]:
            item["duration_s"] = round(float(variant["duration_s"]), 3)
        return item

    def _static_path(self, display_id: str) -> Path:
        assert self.static_dir is not None
        return self.static_dir / "displays" / display_id / "manifest.json"

    def _write_static(self, manifest: dict[str, Any], snapshot: Snapshot) -> None:
        """The same manifest for a static tree: media URLs relative to displays/<id>/manifest.json."""
        assert self.static_dir is not None
        items = {}
        for key, item in manifest["items"].items():
            media = item.get("media")
            if media:
                target = self.static_dir / "media" / media["sha256"]
                if not target.exists():
                    copy_atomic(self.media.path_for(media["sha256"]), target)
                item = {**item, "media": {**media, "url": STATIC_MEDIA_PREFIX + media["sha256"]}}
            items[key] = item
        static = {**manifest, "items": items}
        write_atomic(
            self._static_path(manifest["display_id"]),
            envelope_bytes(static, self.keyring.active, snapshot.introductions),
        )
        write_atomic(self.static_dir / "keys.json", canonical_json(self.keyring.public_keys()))


def _content_hash(manifest: dict[str, Any]) -> str:
    stable = {k: v for k, v in manifest.items() if k not in ("version", "generated_at")}
    return hashlib.sha256(canonical_json(stable)).hexdigest()
