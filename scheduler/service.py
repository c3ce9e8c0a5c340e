"""The scheduler's state in one object: store, keys, media, publisher, events, sessions."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from content.store import MediaStore
from scheduler.announcements import displays_reached
from scheduler.auth import token_hash
from scheduler.events import EventHub
from scheduler.keyring import KeyRing
from scheduler.media import MediaJobs
from scheduler.publish import PublishedManifest, Publisher
from scheduler.ratelimit import RateLimiter
from scheduler.schedule import ensure_rules
from scheduler.sessions import SessionStore
from scheduler.store import loads, open_store
from signage.clock import Clock, format_utc, system_clock
from signage.config import SchedulerConfig

log = logging.getLogger("scheduler.service")
TOKEN_CACHE_S = 30.0  # a token revoked from the CLI is refused within this time
ENROL_LIMIT_PER_MINUTE = 20


class Service:
    def __init__(self, config: SchedulerConfig, clock: Clock = system_clock) -> None:
        self.config = config
        self.clock = clock
        self.data_dir = Path(config.data_dir)
        self.lock = threading.RLock()  # one writer: every store access holds it, briefly
        self.stopping = threading.Event()
        self.db = open_store(self.data_dir / "signage.db")
        self.media = MediaStore(self.data_dir / "media")
        self.keyring = KeyRing(self.db, self.data_dir / "keys", format_utc(clock()))
        with self.lock:
            ensure_rules(self.db, clock())
        self.events = EventHub()
        self.sse_keepalive_s = 15.0
        self.enrol_limiter = RateLimiter(ENROL_LIMIT_PER_MINUTE, "enrolment attempts")
        self._listeners: list[Callable[[PublishedManifest], object]] = [
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
            on_missing_variant=lambda sha256: self.media_jobs.ensure_variants(sha256),
        )
        self.media_jobs = MediaJobs(self.db, self.lock, self.media, clock, config.max_ingest_jobs, self._media_ready)
        self._token_cache: dict[str, tuple[str, float]] = {}
        self.web_sessions = SessionStore(
            self.db, self.lock, clock, config.session_idle_timeout_s, config.session_max_age_s
        )
        # Failed logins, per user name and per client address (a lockout, not a per-minute rate).
        self.login_failures_by_user = RateLimiter(config.login_max_failures, "failed logins", config.login_lockout_s)
        self.login_failures_by_address = RateLimiter(
            config.login_max_failures_per_address, "failed logins", config.login_lockout_s
        )

    def close(self) -> None:
        self.media_jobs.shutdown()

    def _notify(self, published: PublishedManifest) -> None:
        for listener in self._listeners:
            try:
                listener(published)
            except Exception:  # a listener bug must not undo a publish
                log.exception("publish listener failed")

    def _media_ready(self, sha256: str) -> None:
        """A normalisation finished: republish the displays whose approved announcements use it."""
        with self.lock:
            reached: set[str] = set()
            for ann in self.db.table("announcements").rows_where("media_sha256 = ? and status = 'approved'", [sha256]):
                reached |= displays_reached(self.db, loads(ann["targets"], {}))
        if reached:
            self.publisher.publish(reached)

    def now_iso(self) -> str:
        return format_utc(self.clock())

    def display_for_token(self, token: str) -> str | None:
        """The display a token belongs to; cached for TOKEN_CACHE_S."""
        digest = token_hash(token)
        cached = self._token_cache.get(digest)
        now_s = time.monotonic()
        if cached is not None and now_s - cached[1] < TOKEN_CACHE_S:
            return cached[0]
        with self.lock:
            rows = list(self.db.table("display_tokens").rows_where("token_hash = ? and revoked_at is null", [digest]))
        if not rows:
            self._token_cache.pop(digest, None)
            return None
        self._token_cache[digest] = (rows[0]["display_id"], now_s)
        return str(rows[0]["display_id"])

    def user(self, user_id: int) -> dict[str, Any] | None:
        with self.lock:
            rows = list(self.db.table("users").rows_where("id = ? and disabled = 0", [user_id]))
        return rows[0] if rows else None
