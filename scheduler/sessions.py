"""Server-side web admin sessions, stored in the database so they survive a restart.

The cookie holds a random token; the store keeps only its SHA-256. A session ends
after ``idle_s`` without a request or ``max_age_s`` after login, whichever comes
first. Each session carries its CSRF token (synchronizer token pattern) and the
flash messages to show once on the next page.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from signage.clock import Clock, format_utc, parse_utc

TOUCH_EVERY_S = 15.0  # last_seen_at is written at most this often per session


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class WebSession:
    id_hash: str
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


class SessionStore:
    def __init__(
        self, db: Database, lock: AbstractContextManager[Any], clock: Clock, idle_s: float, max_age_s: float
    ) -> None:
        self.db = db
        self.lock = lock
        self.clock = clock
        self.idle_s = idle_s
        self.max_age_s = max_age_s

    def create(self, user_id: int, remote_addr: str = "") -> tuple[str, WebSession]:
        """A new session for ``user_id``; returns the cookie value (shown once) and the session."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        row = {
            "id_hash": _digest(token),
            "user_id": user_id,
            "csrf_token": secrets.token_urlsafe(32),
            "created_at": format_utc(now),
            "last_seen_at": format_utc(now),
            "remote_addr": remote_addr,
            "flash": "[]",
        }
        with self.lock:
            self.db.table("web_sessions").insert(row)
            self._purge_expired(now)
        return token, self._session(row)

    def get(self, token: str | None) -> WebSession | None:
        """The live session for a cookie value (touched), or None if unknown or expired (then deleted)."""
        if not token:
            return None
        id_hash = _digest(token)
        now = self.clock()
        with self.lock:
            rows = list(self.db.table("web_sessions").rows_where("id_hash = ?", [id_hash]))
            if not rows:
                return None
            session = self._session(rows[0])
            if self._expired(session, now):
                self.db.table("web_sessions").delete(id_hash)
                return None
            if (now - session.last_seen_at).total_seconds() >= TOUCH_EVERY_S:
                self.db.table("web_sessions").update(id_hash, {"last_seen_at": format_utc(now)})
                session.last_seen_at = now
        return session

    def delete(self, token: str | None) -> None:
        if token:
            with self.lock:
                self.db.execute("delete from web_sessions where id_hash = ?", [_digest(token)])

    def delete_for_user(self, user_id: int, keep_id_hash: str | None = None) -> None:
        """End every session of a user (disabled, password reset), optionally keeping the current one."""
        with self.lock:
            self.db.execute(
                "delete from web_sessions where user_id = ? and id_hash != ?", [user_id, keep_id_hash or ""]
            )

    def add_flash(self, id_hash: str, message: str) -> None:
        with self.lock:
            rows = list(self.db.table("web_sessions").rows_where("id_hash = ?", [id_hash]))
            if rows:
                messages = [*json.loads(rows[0]["flash"] or "[]"), message]
                self.db.table("web_sessions").update(id_hash, {"flash": json.dumps(messages[-5:])})

    def pop_flash(self, id_hash: str) -> list[str]:
        with self.lock:
            rows = list(self.db.table("web_sessions").rows_where("id_hash = ?", [id_hash]))
            if not rows or rows[0]["flash"] in (None, "", "[]"):
                return []
            self.db.table("web_sessions").update(id_hash, {"flash": "[]"})
        return [str(m) for m in json.loads(rows[0]["flash"])]

    def _expired(self, session: WebSession, now: datetime) -> bool:
        return now - session.last_seen_at >= timedelta(seconds=self.idle_s) or now - session.created_at >= timedelta(
            seconds=self.max_age_s
        )

    def _purge_expired(self, now: datetime) -> None:
        idle_cut = format_utc(now - timedelta(seconds=self.idle_s))
        age_cut = format_utc(now - timedelta(seconds=self.max_age_s))
        self.db.execute("delete from web_sessions where last_seen_at <= ? or created_at <= ?", [idle_cut, age_cut])

    @staticmethod
    def _session(row: dict[str, Any]) -> WebSession:
        return WebSession(
            id_hash=row["id_hash"],
            user_id=int(row["user_id"]),
            csrf_token=row["csrf_token"],
            created_at=parse_utc(row["created_at"]),
            last_seen_at=parse_utc(row["last_seen_at"]),
        )
