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
from scheduler.changes import ExternalChanges
from scheduler.clientaddr import parse_networks
from scheduler.events import EventHub
from scheduler.intake import IntakeWriter
from scheduler.keyring import KeyRing
from scheduler.manifest_schema import SchemaTracker
from scheduler.media import MediaJobs
from scheduler.play_budget import DailyPlayBudget
from scheduler.publish import PublishedManifest, Publisher
from scheduler.publish_behind import PublishBehind
from scheduler.ratelimit import RateLimiter
from scheduler.sessions import SessionStore
from scheduler.store import loads, open_store
from signage.clock import Clock, format_utc, system_clock
from signage.config import SchedulerConfig

log = logging.getLogger("scheduler.service")
TOKEN_CACHE_S = 30.0  # a cached token is re-checked after this time
REVOCATION_POLL_S = 1.0  # a token revoked by another process (the CLI) is refused and its streams end within this
ENROL_LIMIT_PER_MINUTE = 20
#: A waiting player polls every few seconds; more than this from one address is refused (429).
ENROL_POLLS_PER_MINUTE = 120
SCREENSHOTS_PER_MINUTE = 6  # per display: scheduler/screenshot_requests.py


#: Failed logins for one user name from every address together, as a multiple of ``login_max_failures``:
#: more than one address may make (``login_max_failures_per_address``, 20 by default), so one guesser never
#: locks an account out for its owner, while guessing spread over many addresses stays slow.
LOGIN_USER_WIDE_FACTOR = 20


class Service:
    def __init__(self, config: SchedulerConfig, clock: Clock = system_clock) -> None:
        self.config = config
        self.clock = clock
        self.data_dir = Path(config.data_dir)
        self.lock = threading.RLock()  # one writer: every store access holds it, briefly
        self.stopping = threading.Event()
        self.db = open_store(self.data_dir / "signage.db")
        # heartbeats and proof of play: group-committed on the writer's own connection (scheduler/intake.py)
        self.intake = IntakeWriter(
            self.data_dir / "signage.db", queue_limit=config.intake_queue_limit, linger_ms=config.intake_linger_ms
        )
        # play events per display per UTC day (scheduler/play_budget.py): what one display token can write
        self.play_budget = DailyPlayBudget(config.play_events_max_per_day)
        self.media = MediaStore(self.data_dir / "media")
        self.keyring = KeyRing(self.db, self.data_dir / "keys", format_utc(clock()))
        self.external = ExternalChanges(self.db, self.lock)
        self.events = EventHub()
        self.sse_keepalive_s = 15.0
        self.enrol_limiter = RateLimiter(ENROL_LIMIT_PER_MINUTE, "enrolment attempts")
        self.enrol_poll_limiter = RateLimiter(ENROL_POLLS_PER_MINUTE, "enrolment polls")
        # screenshot requests per display (scheduler/screenshot_requests.py): each costs the playing machine work
        self.screenshot_limiter = RateLimiter(SCREENSHOTS_PER_MINUTE, "screenshot requests")
        self.trusted_proxies = parse_networks(config.trusted_proxies)
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
            before_publish=self.pick_up_external_changes,
            timezone=config.timezone,
        )
        self.media_jobs = MediaJobs(
            self.db, self.lock, self.media, clock, config.max_ingest_jobs, self._media_ready,
            min_free_bytes=config.media_min_free_mb * 1024 * 1024,
        )  # fmt: skip
        self._token_cache: dict[str, tuple[str, float]] = {}
        self.web_sessions = SessionStore(
            self.db, self.lock, clock, config.session_idle_timeout_s, config.session_max_age_s
        )
        # Failed logins (a lockout, not a per-minute rate; scheduler/login_throttle.py): per user name from one
        # client address, per client address, and per user name from every address together (a higher bound, so
        # one guesser cannot lock an account out for everyone, and a spread-out guess is still slow).
        self.login_failures_by_user = RateLimiter(config.login_max_failures, "failed logins", config.login_lockout_s)
        self.login_failures_by_user_anywhere = RateLimiter(
            config.login_max_failures * LOGIN_USER_WIDE_FACTOR, "failed logins", config.login_lockout_s
        )
        self.login_failures_by_address = RateLimiter(
            config.login_max_failures_per_address, "failed logins", config.login_lockout_s
        )
        self.login_lockouts_audited = RateLimiter(1, "lockout audits", config.login_lockout_s)  # login_throttle.py
        self._revoked_tokens: set[str] = set()  # digests, as last read from the store
        self._revocation_mark: tuple[int, str | None] = (-1, None)
        from scheduler.emergency_push import EmergencyPusher  # they need a Service (type-only import back)
        from scheduler.emergency_receipts import ReceiptBook

        self.manifest_schemas = SchemaTracker(self)  # what each display's player reads (heartbeats)
        self.publish_behind: PublishBehind | None = None  # started by the server (scheduler/publish_behind.py)
        self.pushes = EmergencyPusher(self)
        self.receipts = ReceiptBook(self)

    def start_publish_behind(self) -> PublishBehind:
        """Serve large staff-caused publishes from a background thread (the server does; the CLI does not)."""
        if self.publish_behind is None:
            self.publish_behind = PublishBehind(self.publisher.publish)
        return self.publish_behind

    def stop_publish_behind(self) -> None:
        behind, self.publish_behind = self.publish_behind, None
        if behind is not None:
            behind.close()

    def close(self) -> None:
        self.stop_publish_behind()
        self.intake.close()
        self.media_jobs.shutdown()
        self.publisher.close()  # its worker processes, if a large publish started them

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

    def pick_up_external_changes(self, max_age_s: float = 0.0) -> None:
        """Another process (a CLI command) committed to the store: follow its key rotation, forget caches.

        Manifests it published are then served (and announced on the event stream) by this server.
        Every publish looks first; requests look at most every ``max_age_s`` (scheduler/deps.py).
        """
        if not self.external.changed(max_age_s):
            return
        with self.lock:
            if self.keyring.reload():
                log.info("signing key changed by another process: now signing with %s", self.keyring.active.key_id)
        self._token_cache.clear()  # a revocation from the CLI applies at once
        if hasattr(self, "pushes"):
            self.pushes.emit_recorded()  # an emergency approved by the CLI goes out before its manifests
        for new in self.publisher.refresh():
            self._notify(new)

    def now_iso(self) -> str:
        return format_utc(self.clock())

    def display_for_token(self, token: str) -> str | None:
        """The display a token belongs to; cached for TOKEN_CACHE_S (or until another process changes the store)."""
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

    def revoke_display(self, display_id: str) -> int:
        """Revoke every token of the display and end its open event streams at once; the number revoked."""
        from scheduler import enrolment

        with self.lock:
            digests = {
                str(r["token_hash"])
                for r in self.db.table("display_tokens").rows_where(
                    "display_id = ? and revoked_at is null", [display_id]
                )
            }
            count = enrolment.revoke_display_tokens(self.db, display_id, self.clock())
        self._forget_tokens(digests)
        self.events.close(display_id=display_id)
        return count

    def sweep_revocations(self) -> int:
        """Apply revocations made by another process (``signage displays revoke``): drop them from the
        token cache and end their streams. Cheap when nothing changed (one aggregate query)."""
        with self.lock:
            mark_row = self.db.execute(
                "select count(*), max(revoked_at) from display_tokens where revoked_at is not null"
            ).fetchone()
            mark = (int(mark_row[0]), mark_row[1])
            if mark != self._revocation_mark:
                self._revoked_tokens = {
                    str(row[0])
                    for row in self.db.execute("select token_hash from display_tokens where revoked_at is not null")
                }
                self._revocation_mark = mark
        self._forget_tokens(self._revoked_tokens & set(self._token_cache))
        return self.events.close(token_digests=self.events.open_tokens() & self._revoked_tokens)

    def _forget_tokens(self, digests: set[str]) -> None:
        self._revoked_tokens |= digests
        for digest in digests:
            self._token_cache.pop(digest, None)

    def user(self, user_id: int) -> dict[str, Any] | None:
        with self.lock:
            rows = list(self.db.table("users").rows_where("id = ? and disabled = 0", [user_id]))
        return rows[0] if rows else None
