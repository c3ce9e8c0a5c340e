"""Admin JSON API (staff): media upload, announcements, approvals, displays, enrolments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile

from scheduler import enrolment
from scheduler.actions import (
    Published,
    approve_and_publish,
    archive_and_publish,
    create_announcement_action,
    edit_and_publish,
    publish_or_defer,
    reject,
    submit,
    withdraw_and_publish,
)
from scheduler.announcements import (
    audit,
    content_version,
    decode_row,
    display_status,
    get_announcement,
    mark_media_states,
)
from scheduler.deps import current_user, get_service
from scheduler.errors import NotFound
from scheduler.fleet import fleet_health
from scheduler.policy import require
from scheduler.screenshot_requests import request_screenshot as request_screenshot_of
from scheduler.service import Service
from scheduler.store import loads
from signage.errors import UserError

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

MAX_UPLOAD_BYTES = 500 * 1024 * 1024

ServiceDep = Annotated[Service, Depends(get_service)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]
AnnouncementId = Annotated[int, PathParam(ge=1, le=2**62)]


class Targets(BaseModel):
    displays: list[str] = Field(default_factory=list, max_length=1000)
    groups: list[str] = Field(default_factory=list, max_length=1000)


class AnnouncementIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=2000)
    kind: Literal["text", "image", "video", "stat"] = "text"
    media_sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    duration_s: float = Field(default=10, ge=1, le=3600, allow_inf_nan=False)
    layer: Literal["normal", "emergency", "interrupt", "fallback", "overlay"] = "normal"
    targets: Targets
    starts_at: str | None = Field(default=None, max_length=40,
                                  description="ISO 8601 instant with an offset, e.g. 2026-12-01T07:00:00+07:00; "
                                  "years 2000-2199; empty: from its approval")  # fmt: skip
    ends_at: str | None = Field(default=None, max_length=40,
                                description="as starts_at, after it; empty: until withdrawn")  # fmt: skip
    schedule: dict[str, Any] | None = Field(
        default=None,
        description="days, dayparts [{start, end}], preset or rrule, exdates, share (interrupt), weight, max_per_hour",
    )


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why: shown to the author, kept in the audit log")


class ApprovalIn(BaseModel):
    version: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="Required: the announcement's `version` as you read it (`GET` answers it): if its content "
        "changed since, nothing is approved (409) and you read it again",
    )  # fmt: skip


class EnrolmentApproval(BaseModel):
    display_id: str = Field(min_length=1, max_length=64)


def _versioned(row: dict[str, Any]) -> dict[str, Any]:
    """An announcement as answered: with its content ``version`` (send it back when approving)."""
    return {**row, "version": content_version(row)}


@router.get("/announcements")
def list_announcements(service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Every announcement with its workflow status and ``display_status`` (on_air/ended derived)."""
    require(user, "view")
    with service.lock:
        rows = [decode_row(row) for row in service.db.table("announcements").rows_where(order_by="id")]
        now = service.clock()
    for row in rows:
        row["display_status"] = display_status(row, now)
    with service.lock:  # approved, but its file still converting or failed: not "on_air"
        mark_media_states(service.db, rows)
    return {"ok": True, "announcements": [_versioned(row) for row in rows]}


@router.post("/announcements", status_code=201)
def new_announcement(body: AnnouncementIn, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    return {"ok": True, "announcement": _versioned(create_announcement_action(service, body.model_dump(), user))}


@router.get("/announcements/{announcement_id}")
def show_announcement(announcement_id: AnnouncementId, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require(user, "view")
    with service.lock:
        row = get_announcement(service.db, announcement_id)
        row["display_status"] = display_status(row, service.clock())
        mark_media_states(service.db, [row])
    return {"ok": True, "announcement": _versioned(row)}


@router.put("/announcements/{announcement_id}")
def edit_announcement(
    announcement_id: AnnouncementId, body: AnnouncementIn, service: ServiceDep, user: UserDep
) -> dict[str, Any]:
    """Replace the content; an approved one goes off air and back to submitted (needs another approval)."""
    row, published = edit_and_publish(service, announcement_id, body.model_dump(), user)
    return _changed(row, published)


@router.delete("/announcements/{announcement_id}")
def archive(announcement_id: AnnouncementId, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Take an announcement off every screen (kept, archived, for the record)."""
    row, published = archive_and_publish(service, announcement_id, user)
    return _changed(row, published)


def _changed(row: dict[str, Any], published: Published) -> dict[str, Any]:
    """The answer to a change: the announcement, the manifest versions it produced in the request, and how
    many displays a background publish is still working on (a change reaching many displays)."""
    return {
        "ok": True,
        "announcement": _versioned(row),
        "published": [{"display_id": p.display_id, "version": p.version} for p in published],
        "publishing_in_background": published.behind,
    }


@router.post("/announcements/{announcement_id}/approve")
def approve(
    announcement_id: AnnouncementId, service: ServiceDep, user: UserDep, body: ApprovalIn | None = None
) -> dict[str, Any]:
    """Approve and publish; the approver must not have created or changed it since its last approval. Send the
    ``version`` you read (``GET`` answers it; required): an edit made since is then refused (409), never approved
    unseen."""
    if body is None or body.version is None:  # without it, an edit made after the approver read it would be aired
        raise UserError("version: required: GET the announcement and send back the `version` it answers, so that "
                        "what you approve is what you read", field="version")  # fmt: skip
    row, published = approve_and_publish(service, announcement_id, user, body.version)
    return _changed(row, published)


@router.post("/announcements/{announcement_id}/submit")
def submit_for_approval(announcement_id: AnnouncementId, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Ask for approval (draft, rejected or withdrawn -> submitted)."""
    return {"ok": True, "announcement": _versioned(submit(service, announcement_id, user))}


@router.post("/announcements/{announcement_id}/reject")
def reject_submission(
    announcement_id: AnnouncementId, body: ReasonIn, service: ServiceDep, user: UserDep
) -> dict[str, Any]:
    """Send back to the author with a reason."""
    return {"ok": True, "announcement": _versioned(reject(service, announcement_id, user, body.reason))}


@router.post("/announcements/{announcement_id}/withdraw")
def withdraw(announcement_id: AnnouncementId, body: ReasonIn, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Take off air at once (its authors/editors, approvers, admins), with a reason for the audit log."""
    row, published = withdraw_and_publish(service, announcement_id, user, body.reason)
    return _changed(row, published)


#: The upload's form is read only after the caller's credentials and role are checked (a body parameter would be
#: parsed first, by anyone), and bounded: one file (spooled to disk), a few small fields.
MEDIA_FORM_LIMITS: dict[str, int] = {"max_files": 1, "max_fields": 10, "max_part_size": 64 * 1024}
MEDIA_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}},
        }}},
    }
}  # fmt: skip


@router.post("/media", status_code=202, openapi_extra=MEDIA_UPLOAD_BODY)
async def upload_media(
    request: Request, service: ServiceDep, user: UserDep, wait: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    """Store an image or video (multipart field ``file``) and normalise it for every display canvas in the background.

    The answer names the job (``GET /jobs/{id}`` shows its percent) and the media's
    sha256, usable at once as an announcement's ``media_sha256``; with ``wait=true``
    it answers when the job is done, and a file the pipeline refuses is a 400 naming
    the reason (nothing of it is kept). A video that cannot be read, has no picture, is too
    large or too long, or was cut off is refused at once (400) with or without ``wait``; without
    ``wait``, what only the conversion finds ends the job ``failed``.
    """
    require(user, "create")
    form = await request.form(**MEDIA_FORM_LIMITS)
    try:
        file = form.get("file")
        if not isinstance(file, StarletteUploadFile):
            raise UserError("file: send the image or video as the multipart form field 'file'", field="file")
        return await run_in_threadpool(_store_upload, service, file, wait)
    finally:
        await form.close()


def _store_upload(service: Service, file: StarletteUploadFile, wait: bool) -> dict[str, Any]:
    job_id, kind, sha256 = service.media_jobs.submit_stream(file.file, file.filename or "upload")
    job = service.media_jobs.wait(job_id) if wait else service.media_jobs.job(job_id)
    return {"ok": True, "sha256": sha256, "kind": kind, "job": job}


def _job(service: Service, job_id: int) -> dict[str, Any]:
    return service.media_jobs.job(job_id)


@router.get("/jobs/{job_id}")
def show_job(job_id: Annotated[int, PathParam(ge=1, le=2**62)], service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """A normalisation job: state (queued, running, done, failed), percent, notes, warnings, error."""
    require(user, "view")
    return {"ok": True, "job": _job(service, job_id)}


@router.get("/displays")
def list_displays(service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require(user, "view")
    with service.lock:
        rows = list(service.db.table("displays").rows_where(order_by="id"))
    for row in rows:
        row["groups"] = loads(row["groups"], [])
        row["tags"] = loads(row["tags"], [])
        row["operating_hours"] = loads(row["operating_hours"], [])
        latest = service.publisher.latest(row["id"])
        row["manifest_version"] = latest.version if latest else None
        row["warnings"] = service.publisher.warnings.get(row["id"], [])  # schedule warnings of its last compile
    return {"ok": True, "displays": rows}


@router.get("/enrolments")
def list_enrolments(service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require(user, "manage_displays")
    with service.lock:
        rows = enrolment.pending(service.db, service.clock())
    return {"ok": True, "enrolments": [{k: r[k] for k in ("code", "name", "requested_at")} for r in rows]}


@router.post("/enrolments/{code}/approve")
def approve_enrolment(code: str, body: EnrolmentApproval, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require(user, "manage_displays")
    with service.lock:
        enrolment.approve(service.db, code, body.display_id, service.clock())
        audit(service.db, service.clock(), user["id"], "display.enrol", f"display:{body.display_id}",
              after={"code": code.upper()})  # fmt: skip
    return {"ok": True}


@router.get("/fleet")
def fleet(service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require(user, "view")
    with service.lock:
        health = fleet_health(service.db, service.publisher, service.clock())
    return {"ok": True, "displays": [h.to_dict() for h in health]}


@router.post("/displays/{display_id}/screenshot-request", status_code=202)
def request_screenshot(display_id: str, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require(user, "view")
    with service.lock:
        if not service.db.table("displays").count_where("id = ?", [display_id]):
            raise NotFound(f"display: unknown display {display_id!r}", field="display_id")
    event = request_screenshot_of(service, display_id, user)  # at most a few a minute per display (429 beyond)
    return {"ok": True, "event_id": event.id, "connected": service.events.connections}


@router.post("/displays/{display_id}/revoke")
def revoke_display(
    display_id: Annotated[str, PathParam(min_length=1, max_length=64)], service: ServiceDep, user: UserDep
) -> dict[str, Any]:
    """Revoke every token of the display: its open event streams end at once and it must enrol again."""
    require(user, "manage_displays")
    with service.lock:
        if not service.db.table("displays").count_where("id = ?", [display_id]):
            raise NotFound(f"display: unknown display {display_id!r}", field="display_id")
    count = service.revoke_display(display_id)
    with service.lock:
        audit(service.db, service.clock(), user["id"], "display.revoke", f"display:{display_id}", f"{count} token(s)")
    return {"ok": True, "revoked": count}


@router.post("/keys/rotate")
def rotate_key(service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Issue a new signing key, introduced by the old one, and re-sign every manifest (in the background when
    the fleet is larger than ``publish_inline_max_displays``: ``republishing_in_background`` counts them;
    players keep trusting the old key's manifests until theirs arrives)."""
    require(user, "manage_displays")
    with service.lock:
        new = service.keyring.rotate(service.now_iso())
        audit(service.db, service.clock(), user["id"], "keys.rotate", f"key:{new.key_id}")
        display_ids = [row["id"] for row in service.db.table("displays").rows_where(select="id")]
    published = publish_or_defer(service, display_ids)
    return {"ok": True, "key_id": new.key_id, "republished": len(published),
            "republishing_in_background": published.behind}  # fmt: skip
