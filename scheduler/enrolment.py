"""Display enrolment: a player shows a one-time code, an admin approves it for a display.

The token is handed to the player exactly once (then only its hash remains).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from scheduler.auth import new_token, token_hash
from signage.clock import format_utc, parse_utc
from signage.errors import UserError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_RE = re.compile(f"^[{CODE_ALPHABET}]{{6}}$")
PENDING_TTL = timedelta(hours=24)


class CodeGone(UserError):
    """The code was already used (or expired); a replay gets nothing."""


def normalise_code(code: str) -> str:
    cleaned = code.replace("-", "").replace(" ", "").upper()
    if not CODE_RE.match(cleaned):
        raise UserError("code: 6 characters from A-Z (without I, O) and 2-9, as shown on the screen", field="code")
    return cleaned


def request_enrolment(db: Database, code: str, name: str, remote_addr: str, now: datetime) -> dict[str, Any]:
    code = normalise_code(code)
    name = (name or "").strip()[:100]
    rows = list(db.table("enrolments").rows_where("code = ?", [code]))
    if rows:
        if rows[0]["status"] != "pending":
            raise CodeGone("code: this code was already used; the player must show a new one", field="code")
        return rows[0]
    row = {
        "code": code,
        "name": name,
        "remote_addr": remote_addr,
        "requested_at": format_utc(now),
        "status": "pending",
        "display_id": None,
        "token_plain": None,
    }
    db.table("enrolments").insert(row)
    return row


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
    if parse_utc(rows[0]["requested_at"]) < now - PENDING_TTL:
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


def collect(db: Database, code: str) -> dict[str, Any]:
    """The player's poll: pending, or (once) the token; a second collect raises CodeGone."""
    code = normalise_code(code)
    rows = list(db.table("enrolments").rows_where("code = ?", [code]))
    if not rows:
        raise UserError(f"code: no enrolment request for {code}; POST it first", field="code")
    row = rows[0]
    if row["status"] == "pending":
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
