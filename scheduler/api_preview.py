"""Preview over HTTP (staff): what a display shows at an instant, an announcement on a display's
canvas, legibility warnings, and the raw manifest/media for ``signage preview --server``.

Frames are drawn by the player's renderer in a child process (``signage preview``), so the
scheduler process never loads Qt and never imports ``player``; PNGs are cached on disk by
content (manifest bytes + instant + language), so repeated views cost a file read.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response

from scheduler.announcements import get_announcement, require_schedule_year
from scheduler.deps import current_user, get_service
from scheduler.errors import NotFound
from scheduler.legibility import check_announcement
from scheduler.policy import require
from scheduler.preview_render import render_announcement, render_png
from scheduler.service import Service
from scheduler.store import loads
from signage.clock import format_utc, parse_utc, zone
from signage.errors import UserError

router = APIRouter(prefix="/api/v1/admin", tags=["preview"])

ServiceDep = Annotated[Service, Depends(get_service)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]
AnnouncementId = Annotated[int, PathParam(ge=1, le=2**62)]
DisplayId = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
SHA256 = Annotated[str, PathParam(pattern="^[0-9a-f]{64}$")]
LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def _moment(value: str | None, timezone: str, now: datetime) -> datetime:
    if not value:
        return now.replace(microsecond=0)
    moment = None
    for pattern in LOCAL_FORMATS:
        try:
            moment = datetime.strptime(value, pattern).replace(tzinfo=zone(timezone))
            break
        except ValueError:
            continue
    if moment is None:
        try:
            moment = parse_utc(value)
        except ValueError:
            raise UserError(f"at: {value!r} is not a time; use 2026-12-04 11:50 (local) or ISO with an offset",
                            field="at") from None
    return require_schedule_year(moment, "at")


def _png(path: Path) -> FileResponse:
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


@router.get("/displays/{display_id}/manifest")
def display_manifest(display_id: DisplayId, service: ServiceDep, user: UserDep) -> Response:
    """The display's latest signed manifest envelope (as the player gets it)."""
    require(user, "view")
    latest = service.publisher.latest(display_id)
    if latest is None:
        raise NotFound(f"display {display_id!r} has no published manifest", field="display_id")
    return Response(latest.body, media_type="application/json", headers={"ETag": latest.etag})


@router.get("/media/{sha256}")
def media_file(sha256: SHA256, service: ServiceDep, user: UserDep) -> FileResponse:
    require(user, "view")
    path = service.media.path_for(sha256)
    if not path.is_file():
        raise NotFound(f"media {sha256} is not in the store", field="sha256")
    return FileResponse(path, media_type="application/octet-stream")


@router.get("/preview/displays/{display_id}.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def preview_display(
    display_id: DisplayId,
    service: ServiceDep,
    user: UserDep,
    at: Annotated[str | None, Query(max_length=40, description="Local time (2026-12-04 11:50) or ISO")] = None,
    language: Annotated[str, Query(pattern="^(id|en)$")] = "id",
) -> FileResponse:
    """The frame ``display_id`` shows at ``at`` (default: now), drawn by the player's renderer."""
    require(user, "view")
    return _png(display_frame(service, display_id, at, language))


def display_frame(service: Service, display_id: str, at: str | None, language: str) -> Path:
    """The cached PNG of what ``display_id`` shows at ``at`` (local time or ISO; None: now); NotFound when it has
    no published manifest, TooMany when too many previews are being drawn, UserError when the renderer fails."""
    latest = service.publisher.latest(display_id)
    if latest is None:
        raise NotFound(f"display {display_id!r} has no published manifest", field="display_id")
    timezone = json.loads(latest.body)["manifest"]["timezone"]
    moment = _moment(at, timezone, service.clock())
    key = {"display": display_id, "etag": latest.etag, "at": format_utc(moment), "language": language}
    args = ["--data-dir", str(service.data_dir), "--display", display_id, "--at", format_utc(moment),
            "--language", language]
    return render_png(service, key, args)


@router.get("/preview/displays/{display_id}/sheet.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def preview_display_day(
    display_id: DisplayId,
    service: ServiceDep,
    user: UserDep,
    day: Annotated[str | None, Query(max_length=10, description="Local date (2026-12-04); default: today")] = None,
    language: Annotated[str, Query(pattern="^(id|en)$")] = "id",
) -> FileResponse:
    """The day's contact sheet of ``display_id``'s main zone: one tile per item's first play in each run (with how
    often it repeats) and per state change (screen off), drawn by the player's renderer."""
    require(user, "view")
    return _png(display_sheet(service, display_id, day, language))


def display_sheet(service: Service, display_id: str, day: str | None, language: str) -> Path:
    """The cached PNG of ``display_id``'s contact sheet for the local date ``day`` (None: today); NotFound when it
    has no published manifest, UserError for a date that is not one or lies outside its compiled days."""
    latest = service.publisher.latest(display_id)
    if latest is None:
        raise NotFound(f"display {display_id!r} has no published manifest", field="display_id")
    timezone = json.loads(latest.body)["manifest"]["timezone"]
    if day:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise UserError(f"day: {day!r} is not a date; use 2026-12-04", field="day") from None
    else:
        when = service.clock().astimezone(zone(timezone)).date()
    require_schedule_year(datetime(when.year, when.month, when.day), "day")
    with service.lock:
        rows = list(service.db.table("displays").rows_where("id = ?", [display_id], select="name"))
    title = str(rows[0]["name"] or display_id) if rows else display_id
    key = {"display": display_id, "etag": latest.etag, "day": when.isoformat(), "language": language, "sheet": 2,
           "title": title}  # fmt: skip
    args = ["--data-dir", str(service.data_dir), "--display", display_id, "--day", when.isoformat(),
            "--language", language, f"--title={title}"]  # fmt: skip
    return render_png(service, key, args)


@router.get("/preview/announcements/{announcement_id}.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def preview_announcement(
    announcement_id: AnnouncementId,
    service: ServiceDep,
    user: UserDep,
    display: Annotated[str, Query(min_length=1, max_length=64)],
    language: Annotated[str, Query(pattern="^(id|en)$")] = "id",
) -> FileResponse:
    """The announcement as ``display`` would show it (its canvas, rotation and layout), approved or not."""
    require(user, "view")
    with service.lock:
        ann = get_announcement(service.db, announcement_id)
        rows = list(service.db.table("displays").rows_where("id = ?", [display]))
    if not rows:
        raise NotFound(f"display {display!r} does not exist", field="display")
    path = render_announcement(service, rows[0], ann, language)
    if path is None:
        raise UserError("the announcement's media is not ready for this display yet; try again after processing",
                        field="media")
    return _png(path)


@router.get("/announcements/{announcement_id}/legibility")
def legibility(announcement_id: AnnouncementId, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """For every target canvas: the smallest text drawn, the readable minimum, and warnings."""
    require(user, "view")
    with service.lock:
        ann = get_announcement(service.db, announcement_id)
        ann = {**ann, "targets": ann["targets"] if isinstance(ann["targets"], dict) else loads(ann["targets"], {})}
        canvases = check_announcement(service.db, ann)
    return {"announcement_id": announcement_id, "canvases": canvases,
            "warnings": [w for c in canvases for w in c["warnings"]]}
