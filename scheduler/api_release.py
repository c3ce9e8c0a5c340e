"""Player updates over HTTP: the signed release offered to a display, its wheel, and the admin's offers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from scheduler import releases
from scheduler.api_fleet import require_fleet_admin
from scheduler.api_player import _check_range
from scheduler.deps import current_display, current_user, get_service
from scheduler.errors import NotFound
from scheduler.service import Service

router = APIRouter(prefix="/api/v1")

ServiceDep = Annotated[Service, Depends(get_service)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]
DisplayDep = Annotated[str, Depends(current_display)]


class OfferIn(BaseModel):
    group: str = Field(min_length=1, max_length=64, description="Display group that gets the release")
    version: str = Field(min_length=1, max_length=50, description="A release added with `signage release add`")


@router.get("/player/release", tags=["player"], responses={204: {"description": "No release offered"}})
def player_release(display_id: DisplayDep, service: ServiceDep) -> Response:
    """The signed release manifest offered to this display's groups (``signage/release.py``); 204 when none."""
    body = releases.offered_envelope(service, display_id)
    if body is None:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/player/release-files/{sha256}", tags=["player"], response_class=FileResponse)
def release_file(
    sha256: Annotated[str, PathParam(pattern="^[0-9a-f]{64}$")],
    display_id: DisplayDep,
    service: ServiceDep,
    range_header: Annotated[str | None, Header(alias="range", max_length=200)] = None,
) -> FileResponse:
    """A release wheel by sha256 (``Range`` supported: downloads resume)."""
    path = releases.wheel_path(service, sha256)
    if not path.is_file():
        raise NotFound(f"no release file {sha256}", field="sha256")
    _check_range(range_header, path.stat().st_size)
    return FileResponse(path, media_type="application/octet-stream",
                        headers={"Cache-Control": "private, max-age=31536000, immutable", "ETag": f'"{sha256}"'})


@router.get("/admin/releases", tags=["fleet"])
def list_releases(service: ServiceDep, user: UserDep) -> dict[str, Any]:
    return {"ok": True, "releases": releases.list_releases(service), "offers": releases.list_offers(service)}


@router.post("/admin/releases/offers", tags=["fleet"])
def offer(body: OfferIn, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Offer a release to a display group (replaces that group's offer); admins only."""
    require_fleet_admin(user)
    return {"ok": True, "offer": releases.offer_release(service, body.group, body.version, user=user)}


@router.delete("/admin/releases/offers/{group_id}", tags=["fleet"])
def withdraw(group_id: Annotated[str, PathParam(min_length=1, max_length=64)], service: ServiceDep,
             user: UserDep) -> dict[str, Any]:
    """Stop offering a release to a group; its players keep the version they run."""
    require_fleet_admin(user)
    releases.withdraw_offer(service, group_id, user=user)
    return {"ok": True}
