"""Manifest sync: conditional GET, verify, download media, atomic swap.

:class:`SyncEngine` is plain Python and synchronous (easy to test);
:class:`SyncService` runs it on a worker thread every ``poll_interval_s`` and
delivers results to the GUI thread through Qt signals. A refused manifest is
logged with its reason and the current content keeps playing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from PySide6.QtCore import QObject, Qt, Signal, Slot

from player.cache import LoadedManifest, ManifestStore, MediaCache, check_envelope
from player.http import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    date_header_epoch_s,
    error_text,
    new_session,
    short_exc,
)
from player.identity import Identity
from signage.errors import ManifestRejected

log = logging.getLogger("player.sync")

MEDIA_READ_TIMEOUT_S = 60.0
RETRY_MIN_S = 2.0


@dataclass(frozen=True)
class SyncOutcome:
    """What one poll did. ``kind`` is one of:

    ``applied`` (new manifest committed), ``unchanged`` (200 with the same
    bytes), ``not_modified`` (304), ``refused`` (verification/version/media
    check failed) or ``failed`` (network or server error; retried).
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
        return self.kind in ("applied", "unchanged", "not_modified")


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
    ) -> None:
        self.identity = identity
        self.manifest_url = manifest_url or identity.manifest_url
        self.cache = cache
        self.store = store
        self.current = current
        self.etag: str | None = None
        self.session = session or new_session()
        self._trusted = identity.trusted_keys()

    def _auth_for(self, url: str) -> dict[str, str]:
        """The bearer token goes only to the manifest's own origin."""
        if urlsplit(url)[:2] == urlsplit(self.manifest_url)[:2]:
            return {"Authorization": f"Bearer {self.identity.token}"}
        return {}

    def sync_once(self) -> SyncOutcome:
        headers = self._auth_for(self.manifest_url)
        if self.etag and self.current is not None:
            headers["If-None-Match"] = self.etag
        local_before_s = time.time()
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
            loaded = self._accept(body)
        except ManifestRejected as exc:
            log.warning("manifest refused: %s", exc.reason)
            return SyncOutcome("refused", reason=exc.reason, **clock)
        except requests.RequestException as exc:
            return self._failed(f"media download failed: {short_exc(exc)}", **clock)
        except OSError as exc:
            return self._failed(f"cannot write to the cache: {exc}", **clock)
        self.etag = etag
        return SyncOutcome("applied", loaded=loaded, **clock)

    def _failed(self, reason: str, **clock: Any) -> SyncOutcome:
        log.warning("%s", reason)
        return SyncOutcome("failed", reason=reason, **clock)

    def _accept(self, body: bytes) -> LoadedManifest:
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
        missing = self.cache.missing(manifest)
        for media in missing:
            self._download(media.url, media)
        loaded = LoadedManifest(manifest, body, "manifest")
        self.store.commit(body)
        self.current = loaded
        removed = self.cache.prune(self.store.referenced_media())
        log.info(
            "manifest version %d applied (%d media, %d downloaded, %d pruned)",
            manifest.version,
            len(manifest.media()),
            len(missing),
            removed,
        )
        return loaded

    def _download(self, relative_url: str, media: Any) -> None:
        url = urljoin(self.manifest_url, relative_url)
        log.info("downloading media %s (%d bytes) from %s", media.sha256[:12], media.size, url)
        with self.session.get(
            url,
            headers=self._auth_for(url),
            stream=True,
            timeout=(CONNECT_TIMEOUT_S, MEDIA_READ_TIMEOUT_S),
        ) as response:
            if response.status_code != 200:
                raise requests.HTTPError(f"{url}: {error_text(response)}")
            self.cache.store_stream(media, response.iter_content(chunk_size=1 << 16))

    def send_heartbeat(self, server_url: str, payload: dict[str, Any]) -> None:
        """Best effort: report status; failures are logged at DEBUG only."""
        url = server_url.rstrip("/") + "/api/v1/player/heartbeat"
        try:
            response = self.session.post(
                url,
                json=payload,
                headers={"Authorization": f"Bearer {self.identity.token}"},
                timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
            )
            if response.status_code >= 300:
                log.debug("heartbeat: %s", error_text(response))
        except requests.RequestException as exc:
            log.debug("heartbeat failed: %s", short_exc(exc))


class SyncService(QObject):
    """Runs a :class:`SyncEngine` on a worker thread; results arrive as signals."""

    syncFinished = Signal(object)  # SyncOutcome, every poll
    manifestChanged = Signal(object)  # LoadedManifest, only when a new one was committed
    _outcomeReady = Signal(object)  # worker thread -> GUI thread

    def __init__(
        self,
        poll_interval_s: float,
        *,
        heartbeat: Callable[[], dict[str, Any]] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine: SyncEngine | None = None
        self.poll_interval_s = poll_interval_s
        self._heartbeat = heartbeat
        self._server_url = ""
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._outcomeReady.connect(self._on_outcome, Qt.ConnectionType.QueuedConnection)

    def start(self, engine: SyncEngine, server_url: str = "") -> None:
        """Poll with ``engine`` now and every ``poll_interval_s``; heartbeat to ``server_url``."""
        if self._thread is not None:
            return
        self.engine = engine
        self._server_url = server_url
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(engine,), name="player-sync", daemon=True
        )
        self._thread.start()

    def trigger(self) -> None:
        """Poll now instead of waiting for the interval."""
        self._wake.set()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self, engine: SyncEngine) -> None:
        retry_s = RETRY_MIN_S
        while not self._stopping.is_set():
            try:
                outcome = engine.sync_once()
            except Exception as exc:  # a bug must not kill the sync thread
                log.exception("sync failed unexpectedly")
                outcome = SyncOutcome("failed", reason=f"sync error: {exc}")
            if self._stopping.is_set():
                return
            self._outcomeReady.emit(outcome)
            if self._heartbeat is not None and self._server_url and outcome.kind != "failed":
                engine.send_heartbeat(self._server_url, self._heartbeat())
            if outcome.kind == "failed":
                wait_s = min(retry_s, self.poll_interval_s)
                retry_s = min(retry_s * 2, 60.0)
            else:
                wait_s = self.poll_interval_s
                retry_s = RETRY_MIN_S
            self._wake.wait(wait_s)
            self._wake.clear()

    @Slot(object)
    def _on_outcome(self, outcome: SyncOutcome) -> None:
        self.syncFinished.emit(outcome)
        if outcome.kind == "applied" and outcome.loaded is not None:
            self.manifestChanged.emit(outcome.loaded)
