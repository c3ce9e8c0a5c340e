"""Uploaded media: sniff, normalise per canvas with the content pipeline, record, and track jobs.

An upload is sniffed at once (a file that is not an image or video is refused
in the request), stored as its original, and normalised for every canvas of
the fleet by a background job (at most ``max_ingest_jobs`` at once) whose
percent is kept in ``ingest_jobs`` for the admin. A display only ever gets the
variant made for its own canvas; publishing skips media not yet normalised
for a canvas (and a job makes it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from content.canvas import Canvas
from content.jobs import Job, JobRunner, JobState
from content.pipeline import ingest
from content.results import IngestResult
from content.sniff import sniff_file
from content.store import MediaStore
from signage.clock import format_utc

log = logging.getLogger("scheduler.media")


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
    ) -> None:
        self.db = db
        self.db_lock = db_lock
        self.store = store
        self.clock = clock
        self.on_ready = on_ready
        self._rows: dict[int, int] = {}  # runner job id -> ingest_jobs row id
        self.runner = JobRunner(max_jobs, on_update=self._on_update)

    def submit_upload(self, source: Path, original_name: str) -> tuple[int, str, str]:
        """Sniff, store the original and queue normalisation; returns (job id, kind, original sha256)."""
        sniffed = sniff_file(source)  # refuses non-media here, in the request
        stored = self.store.put_file(source, mime=sniffed.mime)
        now = format_utc(self.clock())
        with self.db_lock:
            if not self.db.table("media").count_where("sha256 = ?", [stored.sha256]):
                self.db.table("media").insert(
                    {"sha256": stored.sha256, "size": stored.size, "mime": sniffed.mime, "kind": sniffed.kind,
                     "original_name": original_name[:200], "created_at": now, "status": "processing"}
                )  # fmt: skip
            job_id = int(
                self.db.table("ingest_jobs").insert(
                    {"original_name": original_name[:200], "original_sha256": stored.sha256, "kind": sniffed.kind,
                     "state": "queued", "percent": 0.0, "created_at": now, "updated_at": now}
                ).last_pk  # type: ignore[arg-type]
            )  # fmt: skip
        self._submit(job_id, stored.sha256, original_name)
        return job_id, sniffed.kind, stored.sha256

    def ensure_variants(self, sha256: str) -> int | None:
        """Queue a job for canvases this media lacks (e.g. a new display size); None if complete or queued."""
        with self.db_lock:
            if not missing_canvases(self.db, sha256):
                return None
            if self.db.table("ingest_jobs").count_where(
                "original_sha256 = ? and state in ('queued', 'running')", [sha256]
            ):
                return None
            row = self.db.table("media").get(sha256)
            now = format_utc(self.clock())
            job_id = int(
                self.db.table("ingest_jobs").insert(
                    {"original_name": row["original_name"], "original_sha256": sha256, "kind": row["kind"],
                     "state": "queued", "percent": 0.0, "created_at": now, "updated_at": now}
                ).last_pk  # type: ignore[arg-type]
            )  # fmt: skip
        self._submit(job_id, sha256, row["original_name"])
        return job_id

    def _submit(self, job_id: int, sha256: str, original_name: str) -> None:
        def work(progress: Callable[[float], None]) -> IngestResult:
            with self.db_lock:
                canvases = missing_canvases(self.db, sha256) or fleet_canvases(self.db)
            with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
                # the pipeline reads a file outside the store (the store may move or GC blobs)
                source = Path(tmp) / "original"
                shutil.copyfile(self.store.path_for(sha256), source)
                result = ingest(source, self.store, canvases, progress=progress, original_name=original_name)
            with self.db_lock:
                record_ingest(self.db, result, original_name, self.clock())
            return result

        job = self.runner.submit(original_name, work)
        self._rows[job.id] = job_id
        self._on_update(job)

    def _on_update(self, job: Job) -> None:
        row_id = self._rows.get(job.id)
        if row_id is None:
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
            if job.state is JobState.FAILED:
                sha = self.db.table("ingest_jobs").get(row_id)["original_sha256"]
                self.db.table("media").update(sha, {"status": "failed", "notes": json.dumps([str(job.error)])})
        if job.state is JobState.FAILED:
            log.warning("ingest job %d failed: %s", row_id, job.error)
        if job.state is JobState.DONE:
            self.on_ready(self.db.table("ingest_jobs").get(row_id)["original_sha256"])

    def wait(self, job_id: int, timeout_s: float = 600) -> dict[str, Any]:
        for runner_id, row_id in list(self._rows.items()):
            if row_id == job_id:
                job = next(j for j in self.runner.jobs() if j.id == runner_id)
                with contextlib.suppress(Exception):  # a failure is recorded in the row
                    job.wait(timeout_s)
        with self.db_lock:
            return dict(self.db.table("ingest_jobs").get(job_id))

    def shutdown(self) -> None:
        self.runner.shutdown(wait=False)
