"""Display enrolment: a player shows a one-time code, an admin approves it for a display.

The code on the screen is public, so it is only a handle. With its request the
player sends the sha256 of a secret it keeps; the token is handed out once,
and only to a caller presenting that secret (then only the token's hash
remains). Without the secret, a pending code and an unknown one get the same
404, so watching the screen and polling gains nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from scheduler.auth import new_token, token_hash
from signage.clock import format_utc, parse_utc
from signage.errors import NotFoundError, UserError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_RE = re.compile(f"^[{CODE_ALPHABET}]{{6}}$")
PENDING_TTL = timedelta(hours=24)
#: The one answer for an unknown code, a wrong secret and an expired request.
NO_SUCH_ENROLMENT = "code: no enrolment request for this code and secret; request one first"


class CodeGone(UserError):
    """The code was already used (or expired); a replay gets nothing."""


def normalise_code(code: str) -> str:
    cleaned = code.replace("-", "").replace(" ", "").upper()
    if not CODE_RE.match(cleaned):
        raise UserError("code: 6 characters from A-Z (without I, O) and 2-9, as shown on the screen", field="code")
    return cleaned


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def request_enrolment(
    db: Database, code: str, name: str, secret_sha256: str, remote_addr: str, now: datetime
) -> dict[str, Any]:
    """Record a pending request; repeating it with the same secret (a player restart) is harmless."""
    code = normalise_code(code)
    name = (name or "").strip()[:100]
    rows = list(db.table("enrolments").rows_where("code = ?", [code]))
    if rows:
        row = rows[0]
        same_player = hmac.compare_digest(str(row.get("secret_sha256") or ""), secret_sha256)
        if row["status"] != "pending" or not same_player or _expired(row, now):
            raise CodeGone("code: this code is already in use; the player must show a new one", field="code")
        return row
    row = {
        "code": code,
        "name": name,
        "remote_addr": remote_addr,
        "requested_at": format_utc(now),
        "status": "pending",
        "display_id": None,
        "token_plain": None,
        "secret_sha256": secret_sha256,
    }
    db.table("enrolments").insert(row)
    return row


def _expired(row: dict[str, Any], now: datetime) -> bool:
    return parse_utc(row["requested_at"]) < now - PENDING_TTL


def pending(db: Database, now: datetime) -> list[dict[str, Any]]:
    cutoff = format_utc(now - PENDING_TTL)
    return list(
        db.table("enrolments").rows_where("status = 'pending' and requested_at >= ?", [cutoff], order_by="requested_at")
    )


def approve(db: Database, code: str, display_id: str, now: datetime) -> None:
    code = normalise_code(code)
    rows = list(db.table("enrolments").rows_where("code = ?", [code]))
    if not rows:
        raise UserError(f"code: no player asked to enrol with {code}", field="code")
    if rows[0]["status"] != "pending":
        raise CodeGone(f"code: {code} was already used", field="code")
    if _expired(rows[0], now):
        raise CodeGone(f"code: {code} expired; restart the player for a new code", field="code")
    if not db.table("displays").count_where("id = ?", [display_id]):
        raise UserError(f"display: unknown display {display_id!r}", field="display")
    token = new_token()
    with db.atomic():
        db.table("display_tokens").insert(
            {
                "token_hash": token_hash(token),
                "display_id": display_id,
                "created_at": format_utc(now),
                "revoked_at": None,
            }
        )
        db.table("enrolments").update(code, {"status": "approved", "display_id": display_id, "token_plain": token})


def collect(db: Database, code: str, secret: str, now: datetime) -> dict[str, Any]:
    """The player's poll: pending, or (once) the token -- only for the holder of the secret.

    Unknown code, wrong secret and expired request all raise the same NotFoundError;
    a second collect by the holder raises CodeGone.
    """
    code = normalise_code(code)
    offered = secret_digest(secret)
    rows = list(db.table("enrolments").rows_where("code = ?", [code]))
    row = rows[0] if rows else None
    stored = str(row.get("secret_sha256") or "") if row else ""
    if row is None or not hmac.compare_digest(stored or "-" * 64, offered) or not stored:
        raise NotFoundError(NO_SUCH_ENROLMENT, field="code")
    if row["status"] == "pending":
        if _expired(row, now):
            raise NotFoundError(NO_SUCH_ENROLMENT, field="code")
        return {"status": "pending"}
    if row["status"] != "approved" or not row["token_plain"]:
        raise CodeGone("code: already collected; a code works once", field="code")
    db.table("enrolments").update(code, {"status": "collected", "token_plain": None})
    return {"status": "approved", "display_id": row["display_id"], "token": row["token_plain"]}


def revoke_display_tokens(db: Database, display_id: str, now: datetime) -> int:
    count = db.table("display_tokens").count_where("display_id = ? and revoked_at is null", [display_id])
    db.execute(
        "update display_tokens set revoked_at = ? where display_id = ? and revoked_at is null",
        [format_utc(now), display_id],
    )
    return count
