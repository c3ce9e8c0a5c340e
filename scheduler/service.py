"""The scheduler's state in one object: store, keys, media, publisher, sessions."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from content.store import MediaStore
from scheduler.auth import token_hash
from scheduler.events import EventHub
from scheduler.keyring import KeyRing
from scheduler.publish import PublishedManifest, Publisher
from scheduler.ratelimit import RateLimiter
from scheduler.store import open_store
from signage.clock import Clock, format_utc, system_clock
from signage.config import SchedulerConfig

log = logging.getLogger("scheduler.service")
TOKEN_CACHE_S = 30.0
ENROL_LIMIT_PER_MINUTE = 20


class Service:
    def __init__(self, config: SchedulerConfig, clock: Clock = system_clock) -> None:
        self.config = config
        self.clock = clock
        self.data_dir = Path(config.data_dir)
        self.lock = threading.RLock()
        self.db = open_store(self.data_dir / "signage.db")
        self.media = MediaStore(self.data_dir / "media")
        self.keyring = KeyRing(self.db, self.data_dir / "keys", format_utc(clock()))
        self.events = EventHub()
        self.enrol_limiter = RateLimiter(ENROL_LIMIT_PER_MINUTE, "enrolment attempts")
        self.stopping = threading.Event()
        self.sse_keepalive_s = 15.0
        self._listeners: list[Callable[[PublishedManifest], None]] = [
            lambda p: self.events.emit(p.display_id, "manifest", {"version": p.version, "etag": p.etag})
        ]
        self.publisher = Publisher(
            self.db,
            self.keyring,
            self.media,
            self.data_dir / "manifests",
            clock,
            horizon_days=config.horizon_days,
            static_dir=Path(config.static_dir) if config.static_dir else None,
            on_published=self._notify,
            db_lock=self.lock,
        )
        self._token_cache: dict[str, tuple[str, float]] = {}
        self.sessions: dict[str, int] = {}

    def add_listener(self, listener: Callable[[PublishedManifest], None]) -> None:
        self._listeners.append(listener)

    def _notify(self, published: PublishedManifest) -> None:
        for listener in self._listeners:
            try:
                listener(published)
            except Exception:  # a listener bug must not undo a publish
                log.exception("publish listener failed")

    def now_iso(self) -> str:
        return format_utc(self.clock())

    def display_for_token(self, token: str) -> str | None:
        digest = token_hash(token)
        if digest in self._token_cache:
            return self._token_cache[digest]
        with self.lock:
            rows = list(self.db["display_tokens"].rows_where("token_hash = ? and revoked_at is null", [digest]))
        if not rows:
            return None
        self._token_cache[digest] = rows[0]["display_id"]
        return rows[0]["display_id"]

    def forget_tokens(self) -> None:
        self._token_cache.clear()

    def new_session(self, user_id: int) -> str:
        token = secrets.token_urlsafe(24)
        self.sessions[token] = user_id
        return token

    def user(self, user_id: int) -> dict[str, Any] | None:
        with self.lock:
            rows = list(self.db["users"].rows_where("id = ? and disabled = 0", [user_id]))
        return rows[0] if rows else None
