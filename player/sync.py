"""Manifest sync: conditional GET, verify, download media, atomic swap.

:class:`SyncEngine` is plain Python and synchronous (easy to test);
:class:`SyncService` runs it on a worker thread every ``poll_interval_s`` (and
at once when :meth:`SyncService.trigger` is called, e.g. by a server-sent
event) and delivers results to the GUI thread through Qt signals. A refused
manifest is logged with its reason and the current content keeps playing.

Staged commit: a new manifest becomes current (atomically, ``current.json``)
as soon as the media of its first hours (``commit_horizon_s``), its
emergencies and its fallback are cached; until then the old one keeps playing.
The rest downloads in the background (``pending``), interruptible by the next
poll, and the manifest is re-announced as ``complete`` when everything is in.
Downloads resume with HTTP Range (see :mod:`player.download`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from PySide6.QtCore import QObject, Qt, Signal, Slot

from player.cache import (
    DEFAULT_COMMIT_HORIZON_S,
    LoadedManifest,
    ManifestStore,
    MediaCache,
    MediaMismatch,
    check_envelope,
    required_media,
)
from player.download import CHUNK_BYTES, Downloader, DownloadStats, download_all
from player.fsutil import WriteFaults
from player.http import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    date_header_epoch_s,
    error_text,
    new_session,
    short_exc,
)
from player.identity import Identity, save_identity
from player.worker import WorkerThread
from signage.errors import ManifestRejected
from signage.manifest import Manifest, MediaRef
from signage.ratelimit import TokenBucket
from signage.signing import learn_keys, public_key_to_text

log = logging.getLogger("player.sync")

RETRY_MIN_S = 2.0
RETRY_MAX_S = 60.0
DEFAULT_PARALLEL_DOWNLOADS = 2


@dataclass(frozen=True)
class SyncOutcome:
    """What one poll did. ``kind`` is one of:

    ``applied`` (new manifest committed; ``loaded.complete`` False while
    later media still download), ``completed`` (the background downloads of
    the current manifest finished), ``unchanged`` (200 with the same bytes),
    ``not_modified`` (304), ``refused`` (verification/version/media check
    failed) or ``failed`` (network or server error; retried).
    """

    kind: str
    reason: str | None = None
    loaded: LoadedManifest | None = None
    server_epoch_s: float | None = None
    at_monotonic_s: float | None = None
    local_epoch_s: float | None = None
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return self.kind in ("applied", "completed", "unchanged", "not_modified")


class SyncEngine:
    def __init__(
        self,
        identity: Identity,
        cache: MediaCache,
        store: ManifestStore,
        *,
        manifest_url: str | None = None,
        current: LoadedManifest | None = None,
        session: requests.Session | None = None,
        data_dir: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_parallel: int = DEFAULT_PARALLEL_DOWNLOADS,
        limiter: TokenBucket | None = None,
        commit_horizon_s: float = DEFAULT_COMMIT_HORIZON_S,
        faults: WriteFaults | None = None,
        wall_s: Callable[[], float] = time.time,
    ) -> None:
        self.identity = identity
        self.faults = faults or WriteFaults()
        self.wall_s = wall_s  # the PC's wall clock (for the reported offset)
        self.manifest_url = manifest_url or identity.manifest_url
        self.cache = cache
        self.store = store
        self.current = current
        self.etag: str | None = None
        self.session = session or new_session()
        self.data_dir = data_dir  # where identity.json lives (learned keys are saved there)
        self.clock = clock
        self.max_parallel = max_parallel
        self.limiter = limiter or TokenBucket(0, CHUNK_BYTES)
        self.commit_horizon_s = commit_horizon_s
        self.stats = DownloadStats()
        self._trusted = identity.trusted_keys()
        self._lock = threading.Lock()
        self.pending: list[MediaRef] = []
        if current is not None and not current.complete:
            self.pending = self.cache.missing(current.manifest)

    def _auth_for(self, url: str) -> dict[str, str]:
        """The bearer token goes only to the manifest's own origin."""
        if urlsplit(url)[:2] == urlsplit(self.manifest_url)[:2]:
            return {"Authorization": f"Bearer {self.identity.token}"}
        return {}

    def sync_once(self, should_stop: Callable[[], bool] = lambda: False) -> SyncOutcome:
        headers = self._auth_for(self.manifest_url)
        if self.etag and self.current is not None:
            headers["If-None-Match"] = self.etag
        local_before_s = self.wall_s()
        sent_s = time.monotonic()
        try:
            response = self.session.get(
                self.manifest_url, headers=headers, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
            )
        except requests.RequestException as exc:
            return self._failed(f"manifest request failed: {short_exc(exc)}")
        received_s = time.monotonic()
        clock: dict[str, Any] = {
            "server_epoch_s": date_header_epoch_s(response),
            "at_monotonic_s": (sent_s + received_s) / 2,
            "local_epoch_s": local_before_s + (received_s - sent_s) / 2,
        }
        if response.status_code == 304:
            log.debug("manifest not modified (ETag %s)", self.etag)
            return SyncOutcome("not_modified", **clock)
        if response.status_code != 200:
            return self._failed(f"manifest request failed: {error_text(response)}", **clock)
        body = response.content
        etag = response.headers.get("ETag")
        if self.current is not None and body == self.current.envelope:
            self.etag = etag
            log.debug("manifest unchanged (version %d)", self.current.version)
            return SyncOutcome("unchanged", **clock)
        try:
            loaded = self._accept(body, should_stop)
        except ManifestRejected as exc:
            log.warning("manifest refused: %s", exc.reason)
            return SyncOutcome("refused", reason=exc.reason, **clock)
        except requests.RequestException as exc:
            return self._failed(f"media download failed: {short_exc(exc)}", **clock)
        except OSError as exc:
            return self._write_failed(exc, **clock)
        self.etag = etag
        self.faults.ok("media cache")
        return SyncOutcome("applied", loaded=loaded, **clock)

    def _failed(self, reason: str, **clock: Any) -> SyncOutcome:
        log.warning("%s", reason)
        return SyncOutcome("failed", reason=reason, **clock)

    def _write_failed(self, exc: OSError, **clock: Any) -> SyncOutcome:
        """The cache or manifest store refused a write (full disk): logged once, retried at the next poll."""
        self.faults.failed("media cache", exc)
        return SyncOutcome("failed", reason=f"cannot write to the cache: {exc}", **clock)

    def _accept(self, body: bytes, should_stop: Callable[[], bool]) -> LoadedManifest:
        manifest = check_envelope(body, self._trusted, self.identity.display_id)
        if self.current is not None:
            if manifest.version < self.current.version:
                raise ManifestRejected(
                    f"manifest version {manifest.version} is lower than the current "
                    f"version {self.current.version}"
                )
            if manifest.version == self.current.version:
                raise ManifestRejected(
                    f"manifest version {manifest.version} differs from the one already applied"
                )
        self._remember_introduced_keys(body)
        missing = self.cache.missing(manifest)
        required = {m.sha256 for m in required_media(manifest, self.clock(), self.commit_horizon_s)}
        first = [m for m in missing if m.sha256 in required]
        self._download(manifest, first, should_stop)
        rest = [m for m in missing if m.sha256 not in required]
        loaded = LoadedManifest(manifest, body, "manifest", complete=not rest)
        self.store.commit(body)
        with self._lock:
            self.current = loaded
            self.pending = rest
        removed = self.cache.prune(self.keep())
        log.info(
            "manifest version %d applied (%d media, %d downloaded, %d pruned%s)",
            manifest.version,
            len(manifest.media()),
            len(first),
            removed,
            f", {len(rest)} more downloading in the background" if rest else "",
        )
        return loaded

    def keep(self) -> set[str]:
        """Media the cache must not evict: current, last good, and what is downloading."""
        return self.store.referenced_media() | {m.sha256 for m in self.pending}

    def _download(self, manifest: Manifest, media: list[MediaRef], should_stop: Callable[[], bool]) -> None:
        if not media:
            return
        downloader = Downloader(self.cache, self.session, limiter=self.limiter, headers_for=self._auth_for,
                                should_stop=should_stop)
        jobs = [(urljoin(self.manifest_url, m.url), m) for m in media]
        total = sum(m.size for m in media)
        log.info("downloading %d media file(s), %d bytes, for manifest version %d",
                 len(media), total, manifest.version)
        try:
            failures = download_all(downloader, jobs, self.max_parallel)
        finally:
            self.stats.add(downloader.stats)
        for _media, exc in failures:
            if isinstance(exc, MediaMismatch):
                raise exc
        for _media, exc in failures:
            if isinstance(exc, requests.RequestException):
                raise exc
        for _media, exc in failures:
            raise exc

    def fetch_pending(self, should_stop: Callable[[], bool] = lambda: False) -> SyncOutcome | None:
        """Download the current manifest's remaining media; ``completed`` when all are in.

        None when nothing was pending. A failure keeps the rest pending (and
        the partial files) for the next round.
        """
        with self._lock:
            current, pending = self.current, list(self.pending)
        if current is None or not pending:
            return None
        try:
            self._download(current.manifest, pending, should_stop)
        except MediaMismatch as exc:
            return self._failed(f"media download failed: {exc.reason}")
        except requests.RequestException as exc:
            return self._failed(f"media download failed: {short_exc(exc)}")
        except OSError as exc:
            return self._write_failed(exc)
        self.faults.ok("media cache")
        with self._lock:
            if self.current is not current:
                return None  # a newer manifest arrived meanwhile
            self.pending = self.cache.missing(current.manifest)
            if self.pending:
                return None
            self.current = dataclasses.replace(current, complete=True)
            loaded = self.current
        log.info("manifest version %d complete: every media file is cached", loaded.version)
        self.cache.prune(self.keep())
        return SyncOutcome("completed", loaded=loaded)

    def media_damaged(self, sha256: str) -> bool:
        """A cached file was found corrupt (and removed): fetch it again if the current manifest needs it."""
        with self._lock:
            current = self.current
            if current is None:
                return False
            needed = [m for m in current.manifest.media() if m.sha256 == sha256]
            if not needed or any(m.sha256 == sha256 for m in self.pending):
                return bool(needed)
            self.pending.append(needed[0])
            self.current = dataclasses.replace(current, complete=False)
        log.info("media %s will be downloaded again", sha256[:12])
        return True

    def _remember_introduced_keys(self, body: bytes) -> None:
        """Trust (and save into identity.json) keys introduced by a key we already trust."""
        try:
            envelope = json.loads(body)
        except ValueError:
            return
        learned = learn_keys(envelope, self._trusted)
        if not learned:
            return
        self._trusted.update(learned)
        texts = {key_id: public_key_to_text(key) for key_id, key in learned.items()}
        self.identity = dataclasses.replace(self.identity, public_keys={**self.identity.public_keys, **texts})
        for key_id in texts:
            log.info("learned signing key %s from an introduction", key_id)
        if self.data_dir is not None:
            try:
                save_identity(self.data_dir, self.identity)
            except OSError as exc:
                self.faults.failed("identity.json (learned keys)", exc)


class SyncService(QObject):
    """Runs a :class:`SyncEngine` on a worker thread; results arrive as signals."""

    syncFinished = Signal(object)  # SyncOutcome, every poll
    manifestChanged = Signal(object)  # LoadedManifest: a new one was committed, or it became complete
    _outcomeReady = Signal(object)  # worker thread -> GUI thread

    def __init__(self, poll_interval_s: float, *, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine: SyncEngine | None = None
        self.poll_interval_s = poll_interval_s
        self._worker = WorkerThread("player-sync", self._run)
        self._wake = self._worker.wake
        self._stopping = self._worker.stopping
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._outcomeReady.connect(self._on_outcome, Qt.ConnectionType.QueuedConnection)

    def start(self, engine: SyncEngine) -> None:
        """Poll with ``engine`` now and every ``poll_interval_s``."""
        if self._worker.running:
            return
        self.engine = engine
        self._worker.start()

    @Slot()
    def trigger(self) -> None:
        """Poll now instead of waiting for the interval (thread-safe)."""
        self._wake.set()

    def media_damaged(self, sha256: str) -> None:
        """Thread-safe: a cached file was corrupt; fetch it again soon."""
        if self.engine is not None and self.engine.media_damaged(sha256):
            self._wake.set()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._worker.stop(timeout_s)

    def _run(self) -> None:
        engine = self.engine
        assert engine is not None
        retry_s = RETRY_MIN_S
        stopping = self._stopping.is_set
        while not stopping():
            self._wake.clear()
            try:
                outcome = engine.sync_once(should_stop=stopping)
                completed = None
                if outcome.kind != "failed":
                    completed = engine.fetch_pending(should_stop=lambda: stopping() or self._wake.is_set())
            except Exception as exc:  # a bug must not kill the sync thread
                log.exception("sync failed unexpectedly")
                outcome, completed = SyncOutcome("failed", reason=f"sync error: {exc}"), None
            if stopping():
                return
            self._outcomeReady.emit(outcome)
            if completed is not None:
                self._outcomeReady.emit(completed)
            failed = outcome.kind == "failed" or (completed is not None and completed.kind == "failed")
            if failed:
                wait_s = min(retry_s, self.poll_interval_s)
                retry_s = min(retry_s * 2, RETRY_MAX_S)
            else:
                wait_s = self.poll_interval_s
                retry_s = RETRY_MIN_S
            if engine.pending and not failed:
                wait_s = 0.0 if self._wake.is_set() else min(wait_s, RETRY_MIN_S)
            self._wake.wait(wait_s)

    @Slot(object)
    def _on_outcome(self, outcome: SyncOutcome) -> None:
        self.syncFinished.emit(outcome)
        if outcome.kind in ("applied", "completed") and outcome.loaded is not None:
            self.manifestChanged.emit(outcome.loaded)
