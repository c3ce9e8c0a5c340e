"""Player API: enrolment, signed manifest, content-addressed media, heartbeat, keys."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from sqlite_utils import Database

from scheduler import enrolment
from scheduler.actions import publish_or_defer
from scheduler.auth import token_hash
from scheduler.clientaddr import client_address
from scheduler.deps import current_display, get_service, media_reader
from scheduler.emergency_ack import emergency_shown
from scheduler.errors import NotFound, RangeNotSatisfiable
from scheduler.events import CLOSE
from scheduler.manifest_schema import negotiated
from scheduler.precompressed import accepts_gzip
from scheduler.proof_of_play import insert_play_events
from scheduler.release_status import update_columns, warning_codes
from scheduler.service import Service
from scheduler.store import dumps
from signage.apimodels import (
    CollectRequest,
    EnrolmentApproved,
    EnrolmentPending,
    EnrolmentRequest,
    Heartbeat,
    HeartbeatReply,
    PlayEventBatch,
    PlayEventsReply,
    ServerProof,
)
from signage.clock import format_utc, parse_utc
from signage.enrolproof import make_proof
from signage.errors import UserError

router = APIRouter(prefix="/api/v1")
log = logging.getLogger("scheduler.api_player")

#: Play events further than this in the future, or this long before the display's enrolment, are flagged.
PLAY_EVENT_CLOCK_TOLERANCE_S = 300.0


def _client(request: Request, service: Service) -> str:
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), service.trusted_proxies)


def _proof(service: Service, code: str, nonce: str) -> ServerProof:
    keyring = service.keyring
    with service.lock:
        return make_proof(keyring.active, code, nonce, keyring.public_keys(), keyring.introductions())


@router.post("/enrolments", status_code=202, tags=["player"])
def request_enrolment(
    body: EnrolmentRequest, request: Request, service: Annotated[Service, Depends(get_service)]
) -> EnrolmentPending:
    """Ask to be enrolled; the body carries the sha256 of a secret only the player keeps."""
    remote = _client(request, service)
    service.enrol_limiter.check(remote)
    with service.lock:
        row = enrolment.request_enrolment(service.db, body.code, body.name, body.secret_sha256, remote, service.clock())
    return EnrolmentPending(server=_proof(service, row["code"], body.nonce))


@router.post("/enrolments/{code}/collect", tags=["player"], response_model=EnrolmentPending | EnrolmentApproved)
def collect_enrolment(
    code: Annotated[str, Path(min_length=6, max_length=8)],
    body: CollectRequest,
    request: Request,
    service: Annotated[Service, Depends(get_service)],
) -> EnrolmentPending | EnrolmentApproved:
    """The player's poll. Without the right secret, every code is unknown (404)."""
    service.enrol_poll_limiter.check(_client(request, service))
    with service.lock:
        result = enrolment.collect(service.db, code, body.secret, service.clock())
    code = enrolment.normalise_code(code)
    proof = _proof(service, code, body.nonce)
    if result["status"] == "pending":
        return EnrolmentPending(server=proof)
    return EnrolmentApproved(
        display_id=result["display_id"],
        token=result["token"],
        public_keys=service.keyring.public_keys(),
        manifest_url=str(request.base_url).rstrip("/") + "/api/v1/player/manifest",
        server=proof,
    )


@router.get("/keys", tags=["player"])
def public_keys(service: Annotated[Service, Depends(get_service)]) -> dict[str, Any]:
    return {"ok": True, "active": service.keyring.active.key_id, "keys": service.keyring.public_keys()}


@router.get("/player/manifest", tags=["player"], response_class=Response)
async def manifest(
    request: Request,
    display_id: Annotated[str, Depends(current_display)],
    service: Annotated[Service, Depends(get_service)],
) -> Response:
    published = service.publisher.latest(display_id)
    if published is None:
        await asyncio.to_thread(service.publisher.publish, [display_id])
        published = service.publisher.latest(display_id)
    if published is None:
        raise NotFound("no manifest published for this display yet", field=None)
    headers = {
        "ETag": published.etag,
        # private: a shared cache must not hand one display's manifest to another
        "Cache-Control": "private, no-cache",
        "X-Manifest-Version": str(published.version),
        "Vary": "Accept-Encoding",
    }
    inm = request.headers.get("if-none-match", "")
    if published.etag in [tag.strip() for tag in inm.split(",")]:
        return Response(status_code=304, headers=headers)
    if published.body_gz and accepts_gzip(request.headers.get("accept-encoding")):
        # gzipped once at publish; Content-Encoding set, so GZipMiddleware passes it through untouched
        return Response(
            published.body_gz, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"}
        )
    return Response(published.body, media_type="application/json", headers=headers)


@router.get("/media/{sha256}", tags=["player"], response_class=FileResponse)
def media(
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="lowercase hex sha256")],
    service: Annotated[Service, Depends(get_service)],
    display_id: Annotated[str | None, Depends(media_reader)],
    range_header: Annotated[str | None, Header(alias="range", max_length=200)] = None,
) -> FileResponse:
    """A stored file by its hash, for a display (Bearer token: the media of its latest or previous manifest) or
    staff: drafts' media are not public, and one display does not read another's (404 as for no file)."""
    if display_id is not None and not service.publisher.display_may_fetch(display_id, sha256):
        raise NotFound(f"no media {sha256} in this display's manifests", field="sha256")
    path = service.media.path_for(sha256)
    if not path.is_file():
        raise NotFound(f"no media {sha256}", field="sha256")
    _check_range(range_header, path.stat().st_size)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"Cache-Control": "private, max-age=31536000, immutable", "ETag": f'"{sha256}"'},
    )


@router.post("/player/heartbeat", tags=["player"])
async def heartbeat(
    body: Heartbeat,
    request: Request,
    display_id: Annotated[str, Depends(current_display)],
    service: Annotated[Service, Depends(get_service)],
) -> HeartbeatReply:
    """The display's status; answered once it is committed (group commit by the intake writer)."""
    now_iso = service.now_iso()
    row = body.model_dump(exclude={"screenshot_png_b64", "emergency_items", "update", "warning_codes",
                                   "clock_fault_code", "manifest_schemas"})  # clock_fault: column (m010)  # fmt: skip
    row.update(update_columns(body.update))  # m016
    codes = warning_codes(body)  # m019: warnings[i] as a code (None: an older player, recognised by its text)
    if body.clock_fault:  # and is shown with the warnings on the fleet page
        row["warnings"] = [f"clock: {body.clock_fault}", *row["warnings"]]
    row["cache"] = dumps(row["cache"])
    row["warnings"] = dumps(row["warnings"])
    row["warning_codes"] = dumps(codes) if codes is not None else None
    png = await asyncio.to_thread(_screenshot_png, body.screenshot_png_b64) if body.screenshot_png_b64 else None
    job = partial(_store_heartbeat, display_id, row, body.emergency_items, png, now_iso)
    await service.intake.write(job)
    schema = negotiated(body.manifest_schemas)
    tracker = service.manifest_schemas
    if tracker.changed(display_id, schema) and await asyncio.to_thread(tracker.apply, display_id, schema):
        # a new player (or an old one put back): the same content, in the form it reads
        await asyncio.to_thread(publish_or_defer, service, [display_id])
    latest = service.publisher.latest(display_id)
    return HeartbeatReply(latest_version=latest.version if latest else None)


def _screenshot_png(text: str) -> bytes:
    try:
        png = base64.b64decode(text, validate=True)
    except ValueError:
        raise UserError("screenshot_png_b64: not base64", field="screenshot_png_b64") from None
    if not png.startswith(b"\x89PNG"):
        raise UserError("screenshot_png_b64: not a PNG image", field="screenshot_png_b64")
    return png


def _store_heartbeat(
    display_id: str, row: dict[str, Any], emergency_items: list[str], png: bytes | None, now_iso: str, db: Database
) -> None:
    """Intake job: upsert the display's status (and screenshot) with plain SQL inside the writer's transaction."""
    values = {"display_id": display_id, "last_seen": now_iso, **row,
              "emergency_shown": dumps(emergency_shown(db, display_id, emergency_items, now_iso))}  # fmt: skip
    columns = list(values)
    db.execute(
        f"INSERT INTO display_status ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT (display_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in columns[1:])}",
        [values[c] for c in columns],
    )
    if png is not None:
        db.execute(
            "INSERT INTO screenshots (display_id, taken_at, png) VALUES (?, ?, ?) "
            "ON CONFLICT (display_id) DO UPDATE SET taken_at = excluded.taken_at, png = excluded.png",
            [display_id, now_iso, png],
        )


@router.post("/player/play-events", tags=["player"])
async def play_events(
    body: PlayEventBatch,
    request: Request,
    display_id: Annotated[str, Depends(current_display)],
    service: Annotated[Service, Depends(get_service)],
) -> PlayEventsReply:
    """Proof of play; idempotent by event UUID, so a re-sent batch adds nothing.

    A display may send ``play_events_max_per_day`` events per UTC day; a batch past that is refused
    whole (429, ``field: events``) and the player sends it again later.

    Events whose times cannot be right (a player clock fault) are stored with
    ``clock_flag`` ``future`` (beyond the tolerance after now) or
    ``before_enrolment`` (before this display's first token) and counted in ``flagged``.
    Answered once the events are committed (group commit by the intake writer).
    """
    times: list[tuple[datetime, datetime]] = []
    for i, event in enumerate(body.events):
        pair = []
        for name in ("started_at", "ended_at"):
            try:
                pair.append(parse_utc(getattr(event, name)))
            except ValueError as exc:
                raise UserError(f"events[{i}].{name}: {exc}", field=f"events[{i}].{name}") from None
        times.append((pair[0], pair[1]))
    now = service.clock()
    service.play_budget.take(display_id, len(body.events), now)  # a stolen token cannot fill the disk
    rows = [{**event.model_dump(), "id": str(event.id), "display_id": display_id, "received_at": format_utc(now)}
            for event in body.events]  # fmt: skip
    job = partial(_store_play_events, display_id, rows, times, now)
    accepted, flagged = await service.intake.write(job)
    if any(flagged.values()):
        log.warning("display %s sent play events with implausible times (player clock fault?): %s",
                    display_id, flagged)
    return PlayEventsReply(accepted=accepted, duplicates=len(rows) - accepted, flagged=flagged)


def _store_play_events(
    display_id: str, rows: list[dict[str, Any]], times: list[tuple[datetime, datetime]], now: datetime, db: Database
) -> tuple[int, dict[str, int]]:
    """Intake job: flag implausible times, insert the new events; (accepted, flagged counts)."""
    tolerance = timedelta(seconds=PLAY_EVENT_CLOCK_TOLERANCE_S)
    enrolled = _enrolled_at(db, display_id)
    flagged = {"future": 0, "before_enrolment": 0}
    for row, (started, ended) in zip(rows, times, strict=True):
        flag = None
        if max(started, ended) > now + tolerance:
            flag = "future"
        elif enrolled is not None and started < enrolled - tolerance:
            flag = "before_enrolment"
        if flag is not None:
            flagged[flag] += 1
        row["clock_flag"] = flag
    return insert_play_events(db, rows), flagged


def _enrolled_at(db: Database, display_id: str) -> datetime | None:
    """When the display first got a token (its enrolment), or None if unknown."""
    row = db.execute("select min(created_at) from display_tokens where display_id = ?", [display_id]).fetchone()
    try:
        return parse_utc(row[0]) if row and row[0] else None
    except ValueError:
        return None


@router.get("/player/events", tags=["player"], response_class=StreamingResponse)
async def events(
    request: Request,
    display_id: Annotated[str, Depends(current_display)],
    service: Annotated[Service, Depends(get_service)],
    last_event_id: Annotated[str | None, Header(max_length=100)] = None,
) -> StreamingResponse:
    """Server-Sent Events: `manifest`, `emergency`, `screenshot`; keep-alive comments."""
    hub = service.events
    # the dependency accepted the bearer token; its digest lets a revocation end this stream
    sub_id, queue = hub.subscribe(display_id, token_hash(request.headers["authorization"].partition(" ")[2].strip()))
    missed = hub.missed(display_id, last_event_id)
    latest = service.publisher.latest(display_id)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield f"retry: 3000\n: connected {display_id}\n\n".encode()
            if latest is not None and not missed:
                hello = {"version": latest.version, "etag": latest.etag}
                yield f"event: manifest\ndata: {json.dumps(hello, separators=(',', ':'))}\n\n".encode()
            for event in missed:
                yield event.encode()
            while not service.stopping.is_set():
                try:
                    # jitter spreads the keep-alives of players that connected together
                    timeout_s = service.sse_keepalive_s * random.uniform(0.8, 1.2)
                    event = await asyncio.wait_for(queue.get(), timeout=timeout_s)
                except TimeoutError:
                    if await request.is_disconnected():
                        break
                    yield b": keep-alive\n\n"
                    continue
                if event is CLOSE:  # the token was revoked
                    break
                yield event.encode()
        finally:
            hub.unsubscribe(display_id, sub_id)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _check_range(header: str | None, size: int) -> None:
    """Refuse unsatisfiable or malformed ranges in the one error shape (FileResponse serves the rest)."""
    if not header:
        return
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or not spec:
        raise RangeNotSatisfiable(f"Range: only 'bytes=start-end' is supported (file is {size} bytes)", field="range")
    for part in spec.split(","):
        first, dash, last = part.strip().partition("-")
        if (
            not dash
            or not (first.isdigit() or last.isdigit())
            or (first and not first.isdigit())
            or (last and not last.isdigit())
        ):
            raise RangeNotSatisfiable(f"Range: malformed range {part.strip()!r}", field="range")
        if first.isdigit() and int(first) >= size:
            raise RangeNotSatisfiable(f"Range: starts at {first} but the file is {size} bytes", field="range")
        if first.isdigit() and last.isdigit() and int(last) < int(first):
            raise RangeNotSatisfiable("Range: end before start", field="range")
        if not first and last.isdigit() and int(last) == 0:
            raise RangeNotSatisfiable("Range: empty suffix range", field="range")
