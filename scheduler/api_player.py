"""Player API: enrolment, signed manifest, content-addressed media, heartbeat, keys."""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from scheduler import enrolment
from scheduler.deps import current_display, get_service
from scheduler.errors import NotFound, TooMany
from scheduler.service import Service

router = APIRouter(prefix="/api/v1")

ENROL_LIMIT_PER_MINUTE = 20
MAX_HEARTBEAT_BYTES = 512 * 1024


class _RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str) -> None:
        now = time.monotonic()
        hits = self._hits[key]
        while hits and now - hits[0] > 60:
            hits.popleft()
        if len(hits) >= self.per_minute:
            raise TooMany("too many enrolment attempts from this address; wait a minute", field=None)
        hits.append(now)


_enrol_limiter = _RateLimiter(ENROL_LIMIT_PER_MINUTE)


class EnrolmentRequest(BaseModel):
    code: str = Field(min_length=6, max_length=8, description="The code the player shows, e.g. ABC-DEF")
    name: str = Field(default="", max_length=100)


@router.post("/enrolments", status_code=202, tags=["player"])
def request_enrolment(body: EnrolmentRequest, request: Request, service: Annotated[Service, Depends(get_service)]) -> dict[str, Any]:
    remote = request.client.host if request.client else "?"
    _enrol_limiter.check(remote)
    with service.lock:
        enrolment.request_enrolment(service.db, body.code, body.name, remote, service.clock())
    return {"ok": True, "status": "pending"}


@router.get("/enrolments/{code}", tags=["player"])
def poll_enrolment(
    code: Annotated[str, Path(min_length=6, max_length=8)],
    request: Request,
    service: Annotated[Service, Depends(get_service)],
) -> dict[str, Any]:
    with service.lock:
        result = enrolment.collect(service.db, code)
    if result["status"] == "pending":
        return {"ok": True, "status": "pending"}
    return {
        "ok": True,
        "status": "approved",
        "display_id": result["display_id"],
        "token": result["token"],
        "public_keys": service.keyring.public_keys(),
        "manifest_url": str(request.base_url).rstrip("/") + "/api/v1/player/manifest",
    }


@router.get("/keys", tags=["player"])
def public_keys(service: Annotated[Service, Depends(get_service)]) -> dict[str, Any]:
    return {"ok": True, "active": service.keyring.active.key_id, "keys": service.keyring.public_keys()}


@router.get("/player/manifest", tags=["player"], response_class=Response)
def manifest(
    request: Request,
    display_id: Annotated[str, Depends(current_display)],
    service: Annotated[Service, Depends(get_service)],
) -> Response:
    published = service.publisher.latest(display_id)
    if published is None:
        with service.lock:
            service.publisher.publish([display_id])
        published = service.publisher.latest(display_id)
    if published is None:
        raise NotFound("no manifest published for this display yet", field=None)
    headers = {
        "ETag": published.etag,
        # private: a shared cache must not hand one display's manifest to another
        "Cache-Control": "private, no-cache",
        "X-Manifest-Version": str(published.version),
    }
    inm = request.headers.get("if-none-match", "")
    if published.etag in [tag.strip() for tag in inm.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(published.body, media_type="application/json", headers=headers)


@router.get("/media/{sha256}", tags=["player"], response_class=FileResponse)
def media(
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="lowercase hex sha256")],
    service: Annotated[Service, Depends(get_service)],
) -> FileResponse:
    path = service.media.path_for(sha256)
    if not path.is_file():
        raise NotFound(f"no media {sha256}", field="sha256")
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{sha256}"'},
    )


@router.post("/player/heartbeat", tags=["player"])
async def heartbeat(
    request: Request,
    display_id: Annotated[str, Depends(current_display)],
    service: Annotated[Service, Depends(get_service)],
) -> JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_HEARTBEAT_BYTES:
        return JSONResponse(
            {"ok": False, "status": 413, "error": f"heartbeat larger than {MAX_HEARTBEAT_BYTES} bytes", "field": None},
            status_code=413,
        )
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return JSONResponse({"ok": False, "status": 400, "error": "body: not valid JSON", "field": "body"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"ok": False, "status": 400, "error": "body: must be a JSON object", "field": "body"}, status_code=400)
    with service.lock:
        service.db["heartbeats"].insert(
            {"display_id": display_id, "received_at": service.now_iso(), "body": json.dumps(body)[:MAX_HEARTBEAT_BYTES]}
        )
    return JSONResponse({"ok": True})
