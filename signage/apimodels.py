"""The player API's request and response shapes, defined once for both ends.

The scheduler (``scheduler/api_player.py``) declares these as its FastAPI
bodies; the player (``player/enrol.py``, ``player/health.py``,
``player/playlog.py``) builds its requests and reads the answers with them, so
a field added here is added on both sides. Pydantic only: this module must not
import FastAPI or Qt.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from signage.reason_codes import MAX_PARAMS, ParamName, ParamValue, ReasonCode

MAX_SQL_INT = 2**62
MAX_SCREENSHOT_B64_CHARS = 900_000  # about 650 KB of PNG
MAX_EVENTS_PER_BATCH = 2000
MAX_WARNINGS = 50
MAX_CACHE_ENTRIES = 20000
MAX_EMERGENCY_ITEMS = 50

Sha256Hex = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
#: A per-request random value (URL-safe base64), echoed in the server's proof.
Nonce = Annotated[str, Field(pattern="^[A-Za-z0-9_-]{16,128}$")]


# -- enrolment ---------------------------------------------------------------
class EnrolmentRequest(BaseModel):
    """``POST /api/v1/enrolments``: the code on screen is only a handle; the secret stays on the player."""

    code: str = Field(min_length=6, max_length=8, description="The code the player shows, e.g. ABC-DEF")
    name: str = Field(default="", max_length=100)
    secret_sha256: Sha256Hex = Field(description="sha256 (hex) of the player's enrolment secret")
    nonce: Nonce = Field(description="Random; the server signs it with its key (see ServerProof)")


class CollectRequest(BaseModel):
    """``POST /api/v1/enrolments/{code}/collect``: only the holder of the secret learns anything."""

    secret: str = Field(min_length=32, max_length=200, description="The secret whose sha256 was sent at request")
    nonce: Nonce


class ServerProof(BaseModel):
    """The scheduler's signature over ``enrol_proof_message(code, nonce)`` with its active key.

    ``public_keys`` (every key the scheduler ever used) and ``introductions``
    (the key-rotation chain, oldest first) let a player pinned to an older key
    follow the chain to the active one.
    """

    key_id: str = Field(max_length=64)
    public_key: str = Field(max_length=200)
    signature: str = Field(max_length=200)
    public_keys: dict[str, str] = Field(default_factory=dict, max_length=1000)
    introductions: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)


class EnrolmentPending(BaseModel):
    ok: Literal[True] = True
    status: Literal["pending"] = "pending"
    server: ServerProof


class EnrolmentApproved(BaseModel):
    ok: Literal[True] = True
    status: Literal["approved"] = "approved"
    display_id: str = Field(min_length=1, max_length=200)
    token: str = Field(min_length=1, max_length=200)
    public_keys: dict[str, str] = Field(min_length=1)
    manifest_url: str = Field(min_length=1, max_length=2000)
    server: ServerProof


# -- heartbeat -----------------------------------------------------------------
UpdateState = Literal["offered", "downloading", "installed", "healthy", "rolled_back", "refused"]


class UpdateReport(BaseModel):
    """Where the player is with the release offered to it (see docs/operations.md, "Player updates")."""

    state: UpdateState
    version: str = Field(max_length=50, description="The release version the state is about")
    detail: str | None = Field(default=None, max_length=500, description="Why it was refused or rolled back")
    code: ReasonCode | None = Field(default=None, description="``detail`` as a code (signage/reason_codes.py)")
    params: dict[ParamName, ParamValue] = Field(default_factory=dict, max_length=MAX_PARAMS,
                                                description="The numbers and names ``detail`` mentions")


class ReasonRef(BaseModel):
    """A player text as a code with params (signage/reason_codes.py); ``code`` None: the player has none."""

    code: ReasonCode | None = None
    params: dict[ParamName, ParamValue] = Field(default_factory=dict, max_length=MAX_PARAMS)


class Heartbeat(BaseModel):
    """``POST /api/v1/player/heartbeat``."""

    status: Literal["playing", "slate", "enrolling", "off", "local_folder", "last_good", "error"] = "playing"
    manifest_version: int | None = Field(default=None, ge=0, le=MAX_SQL_INT)
    current_item: str | None = Field(default=None, max_length=200)
    emergency_items: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=MAX_EMERGENCY_ITEMS,
        description="Item ids of the emergency the main zone shows now (its acknowledgement); empty when none",
    )
    cache: list[Sha256Hex] = Field(default_factory=list, max_length=MAX_CACHE_ENTRIES)
    free_disk_bytes: int | None = Field(default=None, ge=0, le=MAX_SQL_INT)
    memory_rss_bytes: int | None = Field(default=None, ge=0, le=MAX_SQL_INT)
    clock_offset_s: float | None = Field(default=None, ge=-1e9, le=1e9, allow_inf_nan=False)
    clock_fault: str | None = Field(default=None, max_length=500, description="Why the player distrusts its clock")
    app_version: str | None = Field(default=None, max_length=50, description="The player version running now")
    manifest_schemas: list[Annotated[int, Field(strict=True, ge=1, le=1000)]] | None = Field(
        default=None, max_length=16, description="Manifest schemas the player reads (this version: [1, 2]); null: [1]"
    )
    update: UpdateReport | None = Field(default=None, description="Player update state; null when none offered")
    warnings: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=MAX_WARNINGS)
    warning_codes: list[ReasonRef] = Field(default_factory=list, max_length=MAX_WARNINGS,
                                           description="``warnings`` as codes, in the same order (newer players)")
    clock_fault_code: ReasonRef | None = Field(default=None, description="``clock_fault`` as a code")
    screenshot_png_b64: str | None = Field(default=None, max_length=MAX_SCREENSHOT_B64_CHARS)


class HeartbeatReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ok: bool = True
    latest_version: int | None = None


# -- proof of play -------------------------------------------------------------
class PlayEvent(BaseModel):
    id: uuid.UUID
    item_id: str = Field(min_length=1, max_length=200)
    sha256: Sha256Hex | None = None
    started_at: str = Field(max_length=40)
    ended_at: str = Field(max_length=40)
    duration_ms: int = Field(ge=0, le=7 * 86400 * 1000)
    result: Literal["played", "skipped"] = "played"
    reason: str = Field(default="", max_length=500)


class PlayEventBatch(BaseModel):
    """``POST /api/v1/player/play-events``; idempotent by event id."""

    events: list[PlayEvent] = Field(max_length=MAX_EVENTS_PER_BATCH)


class PlayEventsReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ok: bool = True
    accepted: int = 0
    duplicates: int = 0
    #: Events stored with a ``clock_flag``: ``future`` / ``before_enrolment`` (a player clock fault).
    flagged: dict[str, int] = Field(default_factory=dict)
