"""Uploaded media: sniff, normalise per canvas with the content pipeline, record, and track jobs.

An upload is sniffed at once (a file that is not an image or video is refused
in the request), stored as its original under a cleaned name (the CLI's rule,
:func:`content.names.display_name`), and normalised for every canvas of the
fleet by a background job (at most ``max_ingest_jobs`` at once) whose percent
is kept in ``ingest_jobs`` for the admin (the same bytes sent again while they are
being converted wait for that job, not a new one). A display only ever gets the variant
made for its own canvas; publishing skips media not yet normalised for a canvas
(and a job makes it).

A file the pipeline refuses leaves nothing in the store: its original and side
data are removed when the job fails, the media row says ``failed`` with the
reason (it is dropped once a ``wait`` uploader has been told, unless an
announcement uses it), an announcement using it cannot be approved, and the
conversion is not tried again until the file is uploaded again or the fleet
gains a canvas no failed job tried. A job a previous server process left
running ends failed when the server starts, one it left queued is queued again
(:meth:`MediaJobs.recover_interrupted`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image
from sqlite_utils import Database

from content.jobs import Job, JobRunner, JobState
from content.names import display_name
from content.pipeline import check_video, ingest
from content.results import IngestResult
from content.sniff import sniff_file
from content.store import MediaStore
from scheduler.errors import InsufficientStorage
from signage.canvas import Canvas
from signage.clock import format_utc
from signage.errors import NotFoundError, UserError

log = logging.getLogger("scheduler.media")

WAIT_S = 600.0  # how long a caller that asked to wait (the API's wait=true, the form's file) waits by default
INTERRUPTED = "the conversion was interrupted (the scheduler stopped or restarted); upload the file again."


def fleet_canvases(db: Database, group: str | None = None) -> list[Canvas]:
    """Distinct canvases of every display (or of one group's displays), largest first."""
    sizes = set()
    for row in db.table("displays").rows:
        if group is None or group in json.loads(row["groups"] or "[]"):
            sizes.add((row["width"], row["height"]))
    return [Canvas(w, h) for w, h in sorted(sizes, key=lambda s: (-s[0] * s[1], s))]


def record_ingest(db: Database, result: IngestResult, original_name: str, now: datetime) -> dict[str, Any]:
    """Store what the pipeline made: the media row (original) and one variant per canvas."""
    original = result.original
    row = {
        "sha256": original.sha256,
        "size": original.size,
        "mime": original.mime,
        "kind": result.kind,
        "width": original.width,
        "height": original.height,
        "duration_s": result.derived[0].duration_s if result.derived else original.duration_s,
        "original_name": original_name[:200],
        "created_at": format_utc(now),
        "status": "ready",
        "poster_sha256": result.poster.sha256,
        "thumbnail_sha256": result.thumbnail.sha256,
        "notes": json.dumps(list(result.notes) + [f"warning: {w}" for w in result.warnings], ensure_ascii=False),
    }
    with db.atomic():
        existing = db.table("media").count_where("sha256 = ?", [original.sha256])
        if existing:
            db.table("media").update(original.sha256, {k: v for k, v in row.items() if k != "created_at"})
        else:
            db.table("media").insert(row)
        db.table("media_variants").upsert_all(
            [
                {
                    "original_sha256": original.sha256,
                    "canvas": d.canvas,
                    "sha256": d.sha256,
                    "size": d.size,
                    "mime": d.mime,
                    "width": d.width,
                    "height": d.height,
                    "duration_s": d.duration_s,
                    "action": d.action,
                    "note": d.note,
                }
                for d in result.derived
            ],
            pk=("original_sha256", "canvas"),
        )
    return row


def media_failure_reason(row: dict[str, Any]) -> str:
    """Why a media row is ``failed``, as plain text (its notes are a JSON list)."""
    notes = row.get("notes")
    try:
        reasons = json.loads(notes) if notes else []
    except ValueError:
        reasons = [notes]
    if not isinstance(reasons, list):
        reasons = [reasons]
    return "; ".join(str(r) for r in reasons) or "unknown reason"


def media_blocking_approval(db: Database, announcement: dict[str, Any]) -> str | None:
    """Why ``announcement`` cannot be approved because of its media, or None.

    Media still being processed does not block (it goes on air once ready);
    media whose conversion failed, or that is not stored, does.
    """
    sha256 = announcement.get("media_sha256")
    if announcement.get("kind") not in ("image", "video") or not sha256:
        return None
    rows = list(db.table("media").rows_where("sha256 = ?", [sha256]))
    if not rows:
        return "media_sha256: the announcement's file is not stored; upload it again and edit the announcement"
    if rows[0]["status"] == "failed":
        return (
            f"media_sha256: the announcement's file could not be converted ({media_failure_reason(rows[0])}); "
            "upload another file and edit the announcement"
        )
    return None


def require_media_approvable(db: Database, announcement: dict[str, Any]) -> None:
    """Raise :class:`UserError` (field ``media_sha256``) if the announcement's media blocks approval."""
    reason = media_blocking_approval(db, announcement)
    if reason is not None:
        raise UserError(reason, field="media_sha256")


def job_view(db: Database, job_id: int) -> dict[str, Any]:
    """An ``ingest_jobs`` row as the API shows it: notes, warnings and canvases are lists."""
    rows = list(db.table("ingest_jobs").rows_where("id = ?", [job_id]))
    if not rows:
        raise NotFoundError(f"job {job_id} does not exist", field="job_id")
    row = dict(rows[0])
    for key in ("notes", "warnings", "canvases"):
        row[key] = _json_list(row.get(key))
    return row


def _json_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return [text]
    return value if isinstance(value, list) else [value]


def gif_is_animated(path: Path) -> bool:
    """Whether the GIF at ``path`` has more than one frame (read from its frame headers; False if unreadable:
    the conversion then says what is wrong with it)."""
    try:
        with Image.open(path) as picture:
            return bool(getattr(picture, "is_animated", False))
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def _still(kind: str, mime: str | None) -> bool:
    """A still picture: converted in a second or two (a GIF may be animated: made a video, on the main queue)."""
    return kind == "image" and mime != "image/gif"


def missing_canvases(db: Database, sha256: str) -> list[Canvas]:
    have = {row["canvas"] for row in db.table("media_variants").rows_where("original_sha256 = ?", [sha256])}
    return [c for c in fleet_canvases(db) if c.key not in have]


class MediaJobs:
    """Background normalisation with progress stored in ``ingest_jobs``."""

    def __init__(
        self,
        db: Database,
        db_lock: Any,
        store: MediaStore,
        clock: Callable[[], datetime],
        max_jobs: int,
        on_ready: Callable[[str], None],
        min_free_bytes: int = 0,
    ) -> None:
        self.db = db
        self.min_free_bytes = min_free_bytes  # an upload never leaves less free disk than this
        self.db_lock = db_lock
        self.store = store
        self.clock = clock
        self.on_ready = on_ready
        self._rows: dict[int, int] = {}  # runner job id -> ingest_jobs row id
        self._mine: set[int] = set()  # ingest_jobs rows this process made (queued in its runner)
        self._stopping = False
        ids = itertools.count(1)  # one numbering over both queues (self._rows is keyed by it)
        self.runner = JobRunner(max_jobs, on_update=self._on_update, ids=ids)
        # still pictures take a second or two: their own queue, so a poster never waits behind a long video
        self.still_runner = JobRunner(1, on_update=self._on_update, ids=ids, name="content-still")

    def submit_upload(self, source: Path, original_name: str) -> tuple[int, str, str]:
        """Sniff, store the original and queue normalisation; returns (job id, kind, original sha256).

        ``original_name`` is whatever the client sent; only its cleaned display name is kept.
        """
        return self._submit_upload(source, original_name, space_checked=False)

    def _submit_upload(self, source: Path, original_name: str, *, space_checked: bool) -> tuple[int, str, str]:
        name = display_name(original_name)
        sniffed = sniff_file(source)  # refuses non-media here, in the request
        if sniffed.fmt == "gif" and gif_is_animated(source):  # it will be a video: say so now (the form's kind)
            sniffed = dataclasses.replace(sniffed, kind="video")
        elif sniffed.kind == "video":
            check_video(source)  # a broken or over-long video is refused here, not after a busy queue's wait
        if not space_checked:
            self._check_free_space(source.stat().st_size)
        stored = self.store.put_file(source, mime=sniffed.mime)
        now = format_utc(self.clock())
        with self.db_lock:
            rows = list(self.db.table("media").rows_where("sha256 = ?", [stored.sha256]))
            if not rows:
                self.db.table("media").insert(
                    {"sha256": stored.sha256, "size": stored.size, "mime": sniffed.mime, "kind": sniffed.kind,
                     "original_name": name, "created_at": now, "status": "processing"}
                )  # fmt: skip
            elif rows[0]["status"] == "failed":  # uploaded again: that is the change that earns a new try
                self.db.table("media").update(stored.sha256, {"status": "processing", "notes": None})
            elif rows[0]["status"] == "ready" and not missing_canvases(self.db, stored.sha256):
                # already made for every screen size: nothing to convert again, ready at once
                job_id = self._new_job_row(name, stored.sha256, rows[0]["kind"], now, done=True)
                return job_id, rows[0]["kind"], stored.sha256
            converting = [
                row["id"]
                for row in self.db.table("ingest_jobs").rows_where(
                    "original_sha256 = ? and state in ('queued', 'running')", [stored.sha256], order_by="id"
                )
                if row["id"] in self._mine
            ]
            if converting:  # the same bytes sent again while they are converted: that one conversion serves both
                return converting[0], sniffed.kind, stored.sha256
            job_id = self._new_job_row(name, stored.sha256, sniffed.kind, now)
            if not self.store.has(stored.sha256):  # a failed job of the same bytes removed it meanwhile
                self.store.put_file(source, mime=sniffed.mime)
            # in the lock: a second upload finds it queued to wait on
            self._submit(job_id, stored.sha256, name, _still(sniffed.kind, sniffed.mime))
        return job_id, sniffed.kind, stored.sha256

    def _check_free_space(self, size: int) -> None:
        """Refuse an upload that would leave less than ``min_free_bytes`` free where media are stored: the
        database, manifests and conversions share that disk, and a full disk fails every write."""
        if self.min_free_bytes <= 0:
            return
        free = shutil.disk_usage(self.store.root).free
        if free - size < self.min_free_bytes:
            mb = 1024 * 1024
            raise InsufficientStorage(
                f"file: the server's disk has {free // mb} MB free; storing this {-(-size // mb)} MB upload would "
                f"leave less than the {self.min_free_bytes // mb} MB kept free (media_min_free_mb). Free space "
                "(unused media are deleted media_gc_grace_days after their last use) or add disk space, then upload "
                "again.",
                field="file",
            )

    def submit_stream(self, stream: BinaryIO, original_name: str) -> tuple[int, str, str]:
        """:meth:`submit_upload` of an upload's file object (the API's and the web admin's), copied to a
        temporary file first. The free-space check comes before the copy (once, not again on the copy, which
        would count the upload twice); a stream whose size cannot be known is checked once copied."""
        try:
            size: int | None = stream.seek(0, 2)
            stream.seek(0)
        except (OSError, ValueError):
            size = None
        if size is not None:
            self._check_free_space(size)
        with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
            path = Path(tmp) / "upload"
            with path.open("wb") as out:
                shutil.copyfileobj(stream, out, length=1 << 20)
            return self._submit_upload(path, original_name, space_checked=size is not None)

    def _new_job_row(self, name: str, sha256: str, kind: str, now: str, *, done: bool = False) -> int:
        """A queued job's row; ``done``: one with nothing to do (every canvas already made)."""
        state: dict[str, Any] = {"state": "queued", "percent": 0.0}
        if done:
            state = {"state": "done", "percent": 100.0, "notes": "[]", "warnings": "[]"}
        job_id = int(
            self.db.table("ingest_jobs").insert(
                {"original_name": name, "original_sha256": sha256, "kind": kind, **state,
                 "created_at": now, "updated_at": now}
            ).last_pk  # type: ignore[arg-type]
        )  # fmt: skip
        self._mine.add(job_id)
        return job_id

    def ensure_variants(self, sha256: str) -> int | None:
        """Queue a job for canvases this media lacks (e.g. a new display size); None if there is nothing to do.

        Nothing to do: complete, already queued, failed (until uploaded again), no original stored,
        or a failed job already tried these canvases (a conversion is not retried without a change).
        """
        with self.db_lock:
            rows = list(self.db.table("media").rows_where("sha256 = ?", [sha256]))
            if not rows or rows[0]["status"] == "failed" or not self.store.has(sha256):
                return None
            missing = {c.key for c in missing_canvases(self.db, sha256)}
            if not missing:
                return None
            if self.db.table("ingest_jobs").count_where(
                "original_sha256 = ? and state in ('queued', 'running')", [sha256]
            ):
                return None
            for failed in self.db.table("ingest_jobs").rows_where(
                "original_sha256 = ? and state = 'failed'", [sha256], select="canvases"
            ):
                if missing <= set(_json_list(failed["canvases"])):
                    return None
            row = rows[0]
            job_id = self._new_job_row(row["original_name"], sha256, row["kind"], format_utc(self.clock()))
        self._submit(job_id, sha256, row["original_name"], _still(row["kind"], row.get("mime")))
        return job_id

    def _submit(self, job_id: int, sha256: str, original_name: str, still: bool) -> None:
        """Queue the conversion: a still picture on its own queue, anything else (video, a GIF that may become
        one) on the main one."""
        def work(progress: Callable[[float], None]) -> IngestResult:
            with self.db_lock:
                canvases = missing_canvases(self.db, sha256) or fleet_canvases(self.db)
                self.db.table("ingest_jobs").update(job_id, {"canvases": json.dumps([c.key for c in canvases])})
            with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
                # the pipeline reads a file outside the store (the store may move or GC blobs)
                source = Path(tmp) / "original"
                shutil.copyfile(self.store.path_for(sha256), source)
                result = ingest(source, self.store, canvases, progress=progress, original_name=original_name)
            with self.db_lock:
                record_ingest(self.db, result, original_name, self.clock())
            return result

        runner = self.still_runner if still else self.runner
        job = runner.submit(original_name, work)
        self._rows[job.id] = job_id
        self._on_update(job)

    def _on_update(self, job: Job) -> None:
        row_id = self._rows.get(job.id)
        if row_id is None or (self._stopping and job.state is JobState.FAILED):
            return
        update: dict[str, Any] = {"state": str(job.state), "percent": round(job.percent, 1),
                                  "updated_at": format_utc(self.clock())}  # fmt: skip
        if job.state is JobState.FAILED:
            update["error"] = str(job.error)
        if job.state is JobState.DONE and isinstance(job.result, IngestResult):
            update["notes"] = json.dumps(list(job.result.notes), ensure_ascii=False)
            update["warnings"] = json.dumps(list(job.result.warnings), ensure_ascii=False)
        with self.db_lock:
            self.db.table("ingest_jobs").update(row_id, update)
            sha = self.db.table("ingest_jobs").get(row_id)["original_sha256"]
            if job.state is JobState.FAILED:
                self._failed(sha, str(job.error))
        if job.state is JobState.FAILED:
            log.warning("ingest job %d failed: %s", row_id, job.error)
        if job.state is JobState.DONE:
            self.on_ready(sha)

    def recover_interrupted(self) -> int:
        """Jobs a previous server process left unfinished (killed, crashed, restarted): one that was running
        ends failed, one that never started is queued again.

        The server calls this once as it starts. Such a job would say "in progress" for ever and,
        counted as pending, keep :meth:`ensure_variants` from ever making its canvases. A running one is not
        restarted by itself: the file may be what brought the process down. Returns how many ended failed.
        """
        with self.db_lock:
            left = [
                row
                for row in self.db.table("ingest_jobs").rows_where("state in ('queued', 'running')", order_by="id")
                if row["id"] not in self._mine
            ]
            again = [row for row in left if row["state"] == "queued" and self.store.has(row["original_sha256"])]
            for row in again:  # never started: nothing is known against the file, its turn comes again
                media = self.db.table("media").rows_where("sha256 = ?", [row["original_sha256"]], select="mime")
                mime = next(iter(media), {}).get("mime")
                self._mine.add(row["id"])
                self._submit(row["id"], row["original_sha256"], row["original_name"], _still(row["kind"], mime))
            requeued = {row["id"] for row in again}
            stale = [row for row in left if row["id"] not in requeued]
            now = format_utc(self.clock())
            for row in stale:
                self.db.table("ingest_jobs").update(
                    row["id"], {"state": "failed", "error": INTERRUPTED, "updated_at": now}
                )
            for sha256 in dict.fromkeys(row["original_sha256"] for row in stale):
                self._failed(sha256, INTERRUPTED)
        for row in stale:
            log.warning("ingest job %d was interrupted by a restart; marked failed", row["id"])
        return len(stale)

    def _failed(self, sha256: str, reason: str) -> None:
        """Record a failed conversion; a file never made ready is removed from the store at once."""
        media = self.db.table("media")
        rows = list(media.rows_where("sha256 = ?", [sha256]))
        if rows and rows[0]["status"] == "ready":
            return  # an extra canvas failed; what was made stays on air
        if rows:
            media.update(sha256, {"status": "failed", "notes": json.dumps([reason], ensure_ascii=False)})
        pending = self.db.table("ingest_jobs").count_where(
            "original_sha256 = ? and state in ('queued', 'running')", [sha256]
        )  # the same bytes uploaded again meanwhile: that job reads the original (and removes it if it fails too)
        if not pending and not self._used_as_output(sha256):
            self.store.remove(sha256)

    def _used_as_output(self, sha256: str) -> bool:
        """Whether the blob is also a variant, poster, thumbnail or slide of something (never removed then)."""
        db = self.db
        return bool(
            db.table("media_variants").count_where("sha256 = ?", [sha256])
            or db.table("media").count_where("poster_sha256 = ? or thumbnail_sha256 = ?", [sha256, sha256])
            or db.table("slides").count_where("sha256 = ?", [sha256])
        )

    def _forget_refused(self, job_id: int) -> None:
        """The uploader was told why (the answer to ``wait``): drop the failed media row unless something uses it."""
        with self.db_lock:
            sha = self.db.table("ingest_jobs").get(job_id)["original_sha256"]
            if not self.db.table("announcements").count_where("media_sha256 = ?", [sha]):
                self.db.execute("delete from media where sha256 = ? and status = 'failed'", [sha])

    def job(self, job_id: int) -> dict[str, Any]:
        """The job as the API shows it (see :func:`job_view`)."""
        with self.db_lock:
            return job_view(self.db, job_id)

    def wait(self, job_id: int, timeout_s: float = WAIT_S) -> dict[str, Any]:
        """Wait for the job; a refused file raises its :class:`UserError` (field ``file``), already cleaned up."""
        for runner_id, row_id in list(self._rows.items()):
            if row_id == job_id:
                job = next(j for j in [*self.runner.jobs(), *self.still_runner.jobs()] if j.id == runner_id)
                with contextlib.suppress(Exception):  # a failure is recorded in the row
                    job.wait(timeout_s)
                if isinstance(job.error, UserError):
                    self._forget_refused(row_id)
                    raise UserError(job.error.message, field=job.error.field or "file")
                if job.error is not None:
                    raise RuntimeError(f"media job {job_id} failed: {job.error}") from job.error
        return self.job(job_id)

    def shutdown(self) -> None:
        # a conversion cut short by the stop is not the file's fault: its row stays "running", and the next start
        # says it was interrupted (recover_interrupted), not "the file may be damaged"
        self._stopping = True
        self.runner.shutdown(wait=False)
        self.still_runner.shutdown(wait=False)
