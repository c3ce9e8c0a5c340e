"""Publishing: approved announcements -> one signed manifest per display.

``Publisher.publish(display_ids)`` recompiles the given displays and writes a
new manifest version only when the content changed (so restarting the
scheduler does not make every screen re-sync). Each version is kept on disk as
the exact envelope bytes served, and optionally mirrored into a static tree.

Each version is also kept gzipped (``<version>.json.gz``, compressed once here)
and served as stored to clients that accept gzip (``scheduler.precompressed``).

Locking: the store is read once into a :class:`Snapshot` under the DB lock;
compiling, signing and writing files happen outside it (serialised among
publishers by ``publish_lock``); the new version rows go in with one short
transaction. Heartbeats and manifest requests never wait for a big publish.

Many displays at once (a group approval, start-up): compile + sign runs on every
core in worker processes (``scheduler.publish_pool``); a few displays stay
in-process. Workers get a picklable copy of the snapshot, never the store.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from content.slides import render_slide
from content.store import MediaStore
from playlists.budget import DEFAULT_COMPILE_BUDGET_S, CompileRefused
from playlists.compiler import CompiledTimeline
from playlists.model import Display, Playlist, Rule
from scheduler.compile_share import class_order_key, personal_rules, rules_reaching_any
from scheduler.dataslides import stat_item
from scheduler.keyring import KeyRing
from scheduler.manifest_render import (
    API_MEDIA_PREFIX,
    STATIC_MEDIA_PREFIX,
    RenderContext,
    Rendered,
    RenderJob,
    compile_items,
    items_media,
    refusal_warnings,
    static_manifest,
)
from scheduler.precompressed import gzip_bytes
from scheduler.publish_inputs import InputDigests
from scheduler.publish_pool import RenderPool
from scheduler.schedule import RefusedRule, display_model, item_id, load_playlists, load_rules_checked
from scheduler.slide_specs import display_zones, slide_spec, slide_spec_sha, strip_sets
from scheduler.store import loads
from scheduler.version_floor import read_floor
from signage.canonical import canonical_json
from signage.canvas import Canvas
from signage.clock import Clock
from signage.errors import NotFoundError
from signage.fsutil import atomic_copy as copy_atomic
from signage.fsutil import atomic_write_bytes as write_atomic
from signage.signing import envelope_bytes

__all__ = ["API_MEDIA_PREFIX", "STATIC_MEDIA_PREFIX", "PublishedManifest", "Publisher", "Snapshot"]

log = logging.getLogger("scheduler.publish")
WRITE_THREADS = 8  # files written (and fsynced) at once by a large publish
#: Envelope files kept per display: the newest versions (the store keeps every version's row). Only the latest
#: is ever served; a few before it help support. Without pruning a daily republish of 1,000 busy displays grows
#: the data dir by ~100 GB a year.
KEPT_VERSION_FILES = 10
# the tail of a canonical envelope: the manifest's last key is "version", then comes "signature"
_TAIL_VERSION = re.compile(rb'"version":(\d{1,18})\},"signature":\{[^{}]*\}\}$')


@dataclass(frozen=True)
class PublishedManifest:
    """A display's latest version as kept in memory: only its gzip bytes (players accept gzip).

    A world manifest is ~4 MB plain and ~150 KB gzipped: keeping both for every display held
    gigabytes. The plain envelope (rarely wanted: admin pages, clients without gzip) is
    decompressed on demand -- the very bytes that were signed and stored.
    """

    display_id: str
    version: int
    etag: str
    body_gz: bytes  # the signed envelope gzipped once at publish (served as is to clients that accept gzip)

    @property
    def body(self) -> bytes:
        """The signed envelope, plain (decompressed on each call: keep it only as long as needed)."""
        return gzip.decompress(self.body_gz)


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
    version_floor: int = 0  # scheduler/version_floor.py: every new version goes past it
    # (announcement id, strip zones) -> its slide's spec digest, computed once per publish
    slide_shas: dict[tuple[int, tuple[str, ...]], str] = field(default_factory=dict)

    def slide_sha(self, ann: dict[str, Any], timezone: str, zones: tuple[str, ...]) -> str:
        sha = self.slide_shas.get((ann["id"], zones))
        if sha is None:
            sha = self.slide_shas[(ann["id"], zones)] = slide_spec_sha(ann, timezone, zones)
        return sha


class _Writer:
    """Writes new versions' files on a few threads while later displays are still rendering.

    Each file is fsynced (file and folder): one after another, a thousand displays spent most
    of a publish waiting for the disk, so a batch is written by a few threads at once. At most
    ``2 * WRITE_THREADS`` renders wait for their write, so a large batch's plain envelopes are
    never all in memory together. Results come back in submission order, all durable.
    """

    def __init__(self, write: Callable[[RenderJob, Rendered], PublishedManifest]) -> None:
        self._write = write
        self._threads: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[dict[str, Any], Future[PublishedManifest]]] = deque()
        self._done: list[tuple[dict[str, Any], PublishedManifest]] = []

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)

    def submit(self, row: dict[str, Any], job: RenderJob, rendered: Rendered) -> None:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=WRITE_THREADS, thread_name_prefix="publish-write")
        while len(self._pending) >= 2 * WRITE_THREADS:
            self._collect_one()
        self._pending.append((row, self._threads.submit(self._write, job, rendered)))

    def _collect_one(self) -> None:
        row, future = self._pending.popleft()
        self._done.append((row, future.result()))

    def results(self) -> list[tuple[dict[str, Any], PublishedManifest]]:
        while self._pending:
            self._collect_one()
        return self._done


#: A publish of at most this many displays reads only the approved announcements that name them
#: (``Publisher._approved_reaching``); a larger one reads them all, once.
SNAPSHOT_FILTER_MAX_DISPLAYS = 100


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
        pool: RenderPool | None = None,
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
        self.pool = pool if pool is not None else RenderPool()  # many displays: every core
        # display id -> (fingerprint, content hash) of its last render: "no change" without serialising
        self._fingerprints: dict[str, tuple[str, str]] = {}
        self._rule_cache: dict[str, Rule] = {}  # stored rule body -> parsed rule (rules are immutable)
        # display id -> (digest of its render inputs, content hash they gave): the same inputs again are no
        # change, known without compiling (scheduler/publish_inputs.py); False: always compile (a benchmark peer)
        self._inputs: dict[str, tuple[str, str]] = {}
        self.skip_unchanged_inputs = True
        # display id -> media hashes of its latest and previous version: what its token may fetch
        self._media_of: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

    def close(self) -> None:
        """Stop the worker processes (the service closes its publisher)."""
        self.pool.close()

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
        gz_path = path.with_name(path.name + ".gz")
        try:
            body_gz = gz_path.read_bytes()
        except FileNotFoundError:  # published before manifests were stored gzipped: compress it once now
            body_gz = gzip_bytes(path.read_bytes())
            try:
                write_atomic(gz_path, body_gz)
            except OSError as exc:  # served from memory all the same
                log.warning("could not store %s: %s", gz_path, exc)
        published = PublishedManifest(display_id, rows[0]["version"], rows[0]["etag"], body_gz)
        self._latest[display_id] = published
        return published

    def refresh(self) -> list[PublishedManifest]:
        """Another process may have published: reload the cached displays whose latest version changed (one
        query for all, then only those); their new manifests, to be announced."""
        with self.db_lock:
            versions = {
                row["display_id"]: row["v"]
                for row in self.db.query("select display_id, max(version) v from manifests group by display_id")
            }
        changed = []
        for display_id, old in list(self._latest.items()):
            if versions.get(display_id) == old.version:
                continue
            self._latest.pop(display_id, None)
            new = self.latest(display_id)
            if new is not None and new.version != old.version:
                changed.append(new)
        return changed

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
            models = {d["id"]: display_model(d) for d in snapshot.displays}  # parsed once per publish
            rules = rules_reaching_any(snapshot.rules, list(models.values()))
            ctx = RenderContext(
                rules=rules, refused=snapshot.refused, playlists=snapshot.playlists, now=self.clock(),
                horizon_days=self.horizon_days, compile_budget_s=self.compile_budget_s, key_pem=key.to_pem(),
                key_id=key.key_id, introductions=snapshot.introductions, static_tree=self.static_dir is not None,
            )  # fmt: skip
            jobs = [self._job(display, snapshot, key.key_id) for display in snapshot.displays]
            personal = personal_rules(rules)  # displays alike side by side: they compile once
            jobs.sort(key=lambda job: class_order_key(job.display, job.items, personal))
            unchanged, todo, digests = self._unchanged_inputs(jobs, ctx, models)
            rows: list[dict[str, Any]] = []
            out: list[PublishedManifest] = []
            wrote_static = False
            fingerprints: dict[str, tuple[str, str]] = {}
            inputs: dict[str, tuple[str, str]] = {}
            with _Writer(self._write) as writer:
                for job, rendered in chain(unchanged, zip(todo, self.pool.render_iter(todo, ctx), strict=True)):
                    display_id = job.display["id"]
                    self.warnings[display_id] = rendered.warnings
                    if rendered.refused is not None:  # this display keeps its last good manifest; the others go on
                        log.warning("display %s not published: %s", display_id, rendered.refused)
                        continue
                    fingerprints[display_id] = (rendered.fingerprint, rendered.content_hash)
                    if display_id in digests:
                        inputs[display_id] = (digests[display_id], rendered.content_hash)
                    if not rendered.changed:
                        if self.static_dir is not None and not self._static_path(display_id).exists():
                            current = self.latest(display_id)  # e.g. static_dir was just switched on
                            if current is not None:
                                self._write_static_of(json.loads(current.body)["manifest"], snapshot)
                                wrote_static = True
                        continue
                    wrote_static = wrote_static or rendered.static_body is not None
                    row = {
                        "display_id": display_id,
                        "version": job.version,
                        "etag": "",  # from the written bytes, below
                        "body_sha256": rendered.content_hash,
                        "generated_at": rendered.generated_at,
                        "valid_until": rendered.valid_until,
                        "key_id": key.key_id,
                    }
                    writer.submit(row, job, rendered)
                    del rendered  # written and dropped: the plain bytes are not kept past their write
                for row, published in writer.results():
                    rows.append({**row, "etag": published.etag})
                    out.append(published)
            if wrote_static:
                assert self.static_dir is not None
                write_atomic(self.static_dir / "keys.json", canonical_json(self.keyring.public_keys()))
            if rows:
                with self.db_lock, self.db.atomic():
                    self.db.table("manifests").insert_all(rows)
            self._fingerprints.update(fingerprints)  # (after the commit: each now matches its stored hash)
            self._inputs.update(inputs)
            out.sort(key=lambda published: published.display_id)  # in display order, as the snapshot
            for published in out:
                self._latest[published.display_id] = published
                log.info(
                    "published %s version %d (%d bytes gzip)",
                    published.display_id,
                    published.version,
                    len(published.body_gz),
                )
                if self.on_published is not None:
                    self.on_published(published)
            return out

    def _unchanged_inputs(
        self, jobs: list[RenderJob], ctx: RenderContext, models: dict[str, Display]
    ) -> tuple[list[tuple[RenderJob, Rendered]], list[RenderJob], dict[str, str]]:
        """Split ``jobs``: those made from the very inputs of their current version (answered without a
        compile: same content, same warnings) and those to render; with each display's input digest."""
        if not self.skip_unchanged_inputs:
            return [], jobs, {}
        digests = InputDigests(ctx)
        unchanged: list[tuple[RenderJob, Rendered]] = []
        todo: list[RenderJob] = []
        by_display: dict[str, str] = {}
        for job in jobs:
            display_id = job.display["id"]
            digest = by_display[display_id] = digests.digest(job, models[display_id])
            warnings = self.warnings.get(display_id)
            if (
                job.unchanged_hash is not None
                and warnings is not None
                and self._inputs.get(display_id) == (digest, job.unchanged_hash)
            ):
                fingerprint = job.unchanged_fingerprint or ""
                unchanged.append((job, Rendered(display_id, warnings, content_hash=job.unchanged_hash,
                                                fingerprint=fingerprint)))  # fmt: skip
            else:
                todo.append(job)
        return unchanged, todo, by_display

    def _job(self, display: dict[str, Any], snapshot: Snapshot, key_id: str) -> RenderJob:
        """What a render of ``display`` needs: its items, and what counts as "no change"."""
        display_id = display["id"]
        previous = snapshot.previous.get(display_id)
        db_version = previous["version"] if previous else 0
        files_version = self._version_files_ahead(display_id, db_version)
        unchanged = (
            previous["body_sha256"]
            if (
                previous
                and previous["key_id"] == key_id
                and files_version == db_version
                and db_version > snapshot.version_floor
            )
            else None
        )
        # Files ahead of the database (a crash between writing and committing) may have been
        # served already: a version number is never issued twice, so go past both. A restored store
        # (signage restore) also goes past its floor: versions the old machine issued after the backup.
        version = max(files_version, self._static_version(display_id), snapshot.version_floor) + 1
        known = self._fingerprints.get(display_id)
        fingerprint = known[0] if known is not None and unchanged is not None and known[1] == unchanged else None
        return RenderJob(
            display, self._items(display, snapshot, API_MEDIA_PREFIX), unchanged, version, fingerprint,
            schema=display.get("manifest_schema") or 1,
        )  # fmt: skip

    def _write(self, job: RenderJob, rendered: Rendered) -> PublishedManifest:
        """Keep the new version's files (plain and gzipped; the static tree's too); its PublishedManifest."""
        assert rendered.body is not None and rendered.body_gz is not None
        display_id, version = job.display["id"], job.version
        folder = self.manifests_dir / display_id
        write_atomic(folder / f"{version}.json.gz", rendered.body_gz)  # first: a .json is never without its .gz
        write_atomic(folder / f"{version}.json", rendered.body)
        for name in (f"{version - KEPT_VERSION_FILES}.json", f"{version - KEPT_VERSION_FILES}.json.gz"):
            (folder / name).unlink(missing_ok=True)  # the oldest kept file goes (the row stays)
        if self.static_dir is not None:
            assert rendered.static_body is not None and rendered.static_gz is not None
            self._copy_static_media(rendered.media_sha256)
            path = self._static_path(display_id)
            write_atomic(path.with_name(path.name + ".gz"), rendered.static_gz)
            write_atomic(path, rendered.static_body)
        etag = '"' + hashlib.sha256(rendered.body).hexdigest()[:32] + '"'
        before = self._media_of.get(display_id)
        self._media_of[display_id] = (frozenset(rendered.media_sha256), before[0] if before else frozenset())
        return PublishedManifest(display_id, version, etag, rendered.body_gz)

    def display_may_fetch(self, display_id: str, sha256: str) -> bool:
        """Whether ``sha256`` is the media of an item in the display's latest (or previous) published version:
        a display's token reads what it was sent, not any stored file (the media of drafts among them)."""
        known = self._media_of.get(display_id)
        if known is None:
            latest = self.latest(display_id)
            if latest is None:
                return False
            media = frozenset(items_media(json.loads(latest.body)["manifest"].get("items") or {}))
            known = self._media_of.setdefault(display_id, (media, frozenset()))
        return sha256 in known[0] or sha256 in known[1]

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
        path = self._static_path(display_id)
        try:
            with path.open("rb") as fh:  # canonical JSON ends with the version: read the tail, not 1 MB
                size = fh.seek(0, 2)
                fh.seek(max(0, size - 512))
                found = _TAIL_VERSION.search(fh.read())
            if found:
                return int(found.group(1))
            version = json.loads(path.read_bytes())["manifest"]["version"]
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        return version if isinstance(version, int) else 0

    def _snapshot(self, display_ids: list[str]) -> Snapshot:
        placeholders = ",".join("?" * len(display_ids))
        displays = list(self.db.table("displays").rows_where(f"id in ({placeholders})", display_ids, order_by="id"))
        by_target: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for ann in self._approved_reaching(displays):
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
        # each text announcement once (it reaches many displays), for each strip layout once
        texts = {a["id"]: a for anns in per_display.values() for a in anns if a["kind"] == "text"}.values()
        zone_sets = strip_sets(displays)  # once: inside the comprehension it was re-read per text (quadratic)
        slide_shas = {(a["id"], zones): slide_spec_sha(a, self.timezone, zones) for a in texts for zones in zone_sets}
        specs = set(slide_shas.values())
        slides: dict[tuple[str, str], dict[str, Any]] = {}
        if specs:
            for row in self.db.table("slides").rows_where(
                f"spec_sha256 in ({','.join('?' * len(specs))})", sorted(specs)
            ):
                slides[(row["spec_sha256"], row["canvas"])] = row
        rules, refused = load_rules_checked(self.db, self._rule_cache)
        return Snapshot(
            displays, per_display, media, previous, self.keyring.introductions(),
            rules=rules, refused=refused, playlists=load_playlists(self.db), variants=variants, slides=slides,
            version_floor=read_floor(self.db), slide_shas=slide_shas,
        )  # fmt: skip

    def _approved_reaching(self, displays: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """The approved announcements, by id; for a small batch only those whose targets name one of
        ``displays`` or their groups (SQLite picks them from the targets JSON: a kecamatan's edit reads
        its fifty announcements, not the fleet's thousands). Callers match targets to displays anyway."""
        table = self.db.table("announcements")
        if not displays or len(displays) > SNAPSHOT_FILTER_MAX_DISPLAYS:
            return table.rows_where("status = 'approved'", order_by="id")
        ids = sorted({d["id"] for d in displays})
        groups = sorted({g for d in displays for g in loads(d["groups"], [])})
        names = ",".join("?" * len(ids))
        where = (
            "status = 'approved' and json_valid(targets) and ("
            f"exists (select 1 from json_each(targets, '$.displays') where value in ({names}))"
        )
        if groups:
            in_groups = ",".join("?" * len(groups))
            where += f" or exists (select 1 from json_each(targets, '$.groups') where value in ({in_groups}))"
        return table.rows_where(where + ")", [*ids, *groups], order_by="id")

    def _render_missing_slides(self, snapshot: Snapshot) -> None:
        """Text announcements become PNG slides per canvas (content.slides: the on-screen renderer)."""
        new_rows = []
        for display in snapshot.displays:
            canvas = Canvas(display["width"], display["height"])
            for ann in snapshot.announcements_by_display.get(display["id"], []):
                if ann["kind"] != "text":
                    continue
                zones = display_zones(display)
                key = (snapshot.slide_sha(ann, self.timezone, zones), canvas.key)
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
        display = snapshot.displays[0]
        items = self._items(display, snapshot, API_MEDIA_PREFIX)
        ctx = RenderContext(
            rules=snapshot.rules, refused=snapshot.refused, playlists=snapshot.playlists, now=self.clock(),
            horizon_days=self.horizon_days, compile_budget_s=self.compile_budget_s, key_pem=b"", key_id="",
            introductions=[], static_tree=False,
        )  # fmt: skip
        try:
            compiled, _model = compile_items(display, items, ctx)
        except CompileRefused as exc:
            self.warnings[display_id] = refusal_warnings(display, ctx, exc)
            raise
        self.warnings[display_id] = [w.to_dict() for w in compiled.warnings]
        return compiled, items

    def _items(self, display: dict[str, Any], snapshot: Snapshot, media_prefix: str) -> dict[str, dict[str, Any]]:
        """The manifest items of the announcements reaching ``display`` (those whose media is ready)."""
        canvas = f"{display['width']}x{display['height']}"
        items: dict[str, dict[str, Any]] = {}
        for ann in snapshot.announcements_by_display.get(display["id"], []):
            item = self._item(ann, snapshot, canvas, media_prefix, display)
            if item is not None:
                items[item_id(ann["id"])] = item
        return items

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
            slide = snapshot.slides[(snapshot.slide_sha(ann, self.timezone, display_zones(display or {})), canvas)]
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
        # the media's own kind, never only the announcement's: an animated GIF announced as a picture is a video
        kind = "video" if str(variant["mime"]).startswith("video/") else "image"
        item["type"] = kind
        item["media"] = {"sha256": variant["sha256"], "size": variant["size"], "mime": variant["mime"],
                         "url": media_prefix + variant["sha256"]}  # fmt: skip
        if kind == "video" and variant["duration_s"]:
            item["duration_s"] = round(float(variant["duration_s"]), 3)
        return item

    def _static_path(self, display_id: str) -> Path:
        assert self.static_dir is not None
        return self.static_dir / "displays" / display_id / "manifest.json"

    def _copy_static_media(self, sha256s: Iterable[str]) -> None:
        assert self.static_dir is not None
        for sha256 in sha256s:
            target = self.static_dir / "media" / sha256
            if not target.exists():
                copy_atomic(self.media.path_for(sha256), target)

    def _write_static_of(self, manifest: dict[str, Any], snapshot: Snapshot) -> None:
        """The static tree's copy of an already published ``manifest`` (plain and gzipped)."""
        static = static_manifest(manifest)
        self._copy_static_media(items_media(static["items"]))
        body = envelope_bytes(static, self.keyring.active, snapshot.introductions)
        path = self._static_path(manifest["display_id"])
        write_atomic(path.with_name(path.name + ".gz"), gzip_bytes(body))
        write_atomic(path, body)
