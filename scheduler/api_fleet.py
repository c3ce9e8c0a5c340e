"""Admin JSON API for setting up the fleet: groups and displays (create, change, remove)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from scheduler import fleet_admin, policy
from scheduler.announcements import audit
from scheduler.deps import current_user, get_service
from scheduler.service import Service

router = APIRouter(prefix="/api/v1/admin", tags=["fleet"])

ServiceDep = Annotated[Service, Depends(get_service)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]
ItemId = Annotated[str, PathParam(min_length=1, max_length=64)]
GroupKind = Literal["kabupaten", "kecamatan", "desa", "tag"]


class GroupIn(BaseModel):
    id: str = Field(min_length=1, max_length=64, description="lowercase letters, digits, '-'")
    name: str = Field(min_length=1, max_length=120)
    kind: GroupKind


class GroupPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: GroupKind | None = None


class Window(BaseModel):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    end: str = Field(pattern=r"^\d{2}:\d{2}$")


class DisplayPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    location: str | None = Field(default=None, max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    region_code: str | None = Field(default=None, max_length=13, description="kode wilayah adm4, e.g. 61.04.01.2001")
    width: int | None = Field(default=None, ge=16, le=fleet_admin.MAX_CANVAS_PX)
    height: int | None = Field(default=None, ge=16, le=fleet_admin.MAX_CANVAS_PX)
    rotation: Literal[0, 90, 180, 270] | None = None
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone, default Asia/Pontianak")
    operating_hours: list[Window] | None = Field(default=None, max_length=50, description="empty: always on")
    groups: list[str] | None = Field(default=None, max_length=100)
    capture_x: int | None = Field(default=None, ge=0, le=16384)
    capture_y: int | None = Field(default=None, ge=0, le=16384)
    capture_w: int | None = Field(default=None, ge=1, le=16384)
    capture_h: int | None = Field(default=None, ge=1, le=16384)


class DisplayIn(DisplayPatch):
    id: str = Field(min_length=1, max_length=64, description="lowercase letters, digits, '-'")
    name: str = Field(min_length=1, max_length=120)
    width: int = Field(ge=16, le=fleet_admin.MAX_CANVAS_PX)
    height: int = Field(ge=16, le=fleet_admin.MAX_CANVAS_PX)


def require_fleet_admin(user: dict[str, Any]) -> None:
    policy.require(user, "manage_displays")


def _audit(service: Service, user: dict[str, Any], action: str, subject: str, before: Any = None,
           after: Any = None) -> None:
    """As the web admin does: every fleet change (a display's groups decide which screens an approved
    announcement reaches) is in the audit log with the values before and after."""
    with service.lock:
        audit(service.db, service.clock(), user["id"], action, subject, before=before, after=after)


def _data(body: BaseModel) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    if data.get("operating_hours") is not None:
        data["operating_hours"] = [{k: v for k, v in w.items() if v is not None} for w in data["operating_hours"]]
    return data


@router.get("/groups")
def list_groups(service: ServiceDep, user: UserDep) -> dict[str, Any]:
    return {"ok": True, "groups": fleet_admin.list_groups(service)}


@router.post("/groups", status_code=201)
def create_group(body: GroupIn, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require_fleet_admin(user)
    row = fleet_admin.create_group(service, body.model_dump())
    _audit(service, user, "group.create", f"group:{row['id']}", after=row)
    return {"ok": True, "group": row}


@router.patch("/groups/{group_id}")
def edit_group(group_id: ItemId, body: GroupPatch, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require_fleet_admin(user)
    before = fleet_admin.get_group(service, group_id)
    row = fleet_admin.edit_group(service, group_id, body.model_dump(exclude_unset=True))
    _audit(service, user, "group.edit", f"group:{group_id}", before=before, after=row)
    return {"ok": True, "group": row}


@router.delete("/groups/{group_id}")
def remove_group(group_id: ItemId, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Refused while a live announcement targets the group; member displays leave it and are republished
    (in the background when they are many: ``publishing_in_background`` counts them)."""
    require_fleet_admin(user)
    before = fleet_admin.get_group(service, group_id)
    removal = fleet_admin.remove_group(service, group_id)
    _audit(service, user, "group.delete", f"group:{group_id}", before=before)
    return {"ok": True, "republished": removal.republished, "publishing_in_background": removal.behind}


@router.post("/displays", status_code=201)
def create_display(body: DisplayIn, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    require_fleet_admin(user)
    row = fleet_admin.create_display(service, _data(body))
    _audit(service, user, "display.create", f"display:{row['id']}", after=row)
    return {"ok": True, "display": row}


@router.get("/displays/{display_id}")
def show_display(display_id: ItemId, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    row = fleet_admin.get_display(service, display_id)
    return {"ok": True, "display": {**row, "has_player": fleet_admin.has_player(service, display_id)}}


@router.patch("/displays/{display_id}")
def edit_display(display_id: ItemId, body: DisplayPatch, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Change the fields given; the display's manifest is republished."""
    require_fleet_admin(user)
    before = fleet_admin.get_display(service, display_id)
    row = fleet_admin.edit_display(service, display_id, _data(body))
    _audit(service, user, "display.edit", f"display:{display_id}", before=before, after=row)
    latest = service.publisher.latest(display_id)
    return {"ok": True, "display": row, "manifest_version": latest.version if latest else None}


@router.delete("/displays/{display_id}")
def remove_display(display_id: ItemId, service: ServiceDep, user: UserDep) -> dict[str, Any]:
    """Refused (400, field ``display``) while a player is enrolled: revoke its tokens first."""
    require_fleet_admin(user)
    before = fleet_admin.get_display(service, display_id)
    fleet_admin.remove_display(service, display_id)
    _audit(service, user, "display.delete", f"display:{display_id}", before=before)
    return {"ok": True}
