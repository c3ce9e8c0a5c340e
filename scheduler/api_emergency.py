"""Emergency push API: the players' receipts, and who acknowledged an emergency (staff)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from scheduler.announcements import get_announcement
from scheduler.deps import current_display, current_user, get_service
from scheduler.emergency_ack import acknowledgements
from scheduler.service import Service
from signage.errors import UserError
from signage.reason_codes import MAX_PARAMS, ParamName, ParamValue, ReasonCode

router = APIRouter(prefix="/api/v1")

ServiceDep = Annotated[Service, Depends(get_service)]


class EmergencyReceipt(BaseModel):
    seq: int = Field(ge=1, le=2**62, description="the pushed message's sequence number")
    outcome: Literal["shown", "cancelled", "refused"]
    reason: str = Field(default="", max_length=500, description="why it was refused (English, for the log)")
    code: ReasonCode | None = Field(default=None, description="the refusal as a code (signage/reason_codes.py); "
                                    "staff pages show it translated. Old players send none")
    params: dict[ParamName, ParamValue] = Field(default_factory=dict, max_length=MAX_PARAMS,
                                                description="the numbers and names the refusal mentions")


@router.post("/player/emergency-receipts", tags=["player"])
def emergency_receipt(
    body: EmergencyReceipt,
    display_id: Annotated[str, Depends(current_display)],
    service: ServiceDep,
) -> dict[str, Any]:
    """The player verified a pushed emergency message and shows it (or took it off, or refused it)."""
    now_iso = service.now_iso()
    service.receipts.add(body.seq, display_id, body.outcome, body.reason, now_iso, code=body.code,
                         params=body.params)
    return {"ok": True, "received_at": now_iso}


@router.get("/admin/announcements/{announcement_id}/acknowledgements", tags=["admin"])
def emergency_acknowledgements(
    announcement_id: Annotated[int, PathParam(ge=1, le=2**62)],
    service: ServiceDep,
    user: Annotated[dict[str, Any], Depends(current_user)],
) -> dict[str, Any]:
    """Every screen the emergency targets: receipt of its push (when, shown/refused) and showing since."""
    with service.lock:
        row = get_announcement(service.db, announcement_id)
        if row["layer"] != "emergency":
            raise UserError(f"announcement_id: announcement {announcement_id} is not an emergency",
                            field="announcement_id")  # fmt: skip
        acks = acknowledgements(service.db, row, service.clock())
    return {"ok": True, "announcement_id": announcement_id, "acknowledgements": [a.to_dict() for a in acks]}
