"""Resumable, verified media downloads (plain Python, any thread).

A download goes to ``cache/.partial/<sha256>.part``, which survives failures
and restarts: the next attempt sends ``Range: bytes=<size>-`` and appends.
When the file is complete its sha256 (prefix included) must match; then it is
fsynced and renamed to ``cache/<sha256>``. A file under a final name is always
complete and verified. A :class:`signage.ratelimit.TokenBucket` shared by every download caps
the bandwidth; :func:`download_all` runs at most ``max_parallel`` at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from player.cache import MediaCache, MediaMismatch
from player.http import CONNECT_TIMEOUT_S, error_text, short_exc
from signage.fsutil import commit_file
from signage.manifest import MediaRef
from signage.ratelimit import TokenBucket

log = logging.getLogger("player.download")

CHUNK_BYTES = 1 << 14  # small reads: a cut link loses at most one partly read chunk
MEDIA_READ_TIMEOUT_S = 60.0
#: Attempts for one file within one sync before giving up (the next sync resumes).
ATTEMPTS = 8
RETRY_FIRST_S = 0.0  # a cut link is retried at once, then with backoff
RETRY_MAX_S = 30.0


class MediaUnavailable(requests.HTTPError):
    """The server answered with an error status (retried at the next sync, not at once)."""


@dataclass
class DownloadStats:
    files: int = 0
    bytes_received: int = 0
    resumed: int = 0
    retries: int = 0

    def add(self, other: DownloadStats) -> None:
        self.files += other.files
        self.bytes_received += other.bytes_received
        self.resumed += other.resumed
        self.retries += other.retries


class Downloader:
    def __init__(
        self,
        cache: MediaCache,
        session: requests.Session,
        *,
        limiter: TokenBucket | None = None,
        headers_for: Callable[[str], dict[str, str]] = lambda _url: {},
        attempts: int = ATTEMPTS,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.cache = cache
        self.session = session
        self.limiter = limiter or TokenBucket(0, CHUNK_BYTES)
        self.headers_for = headers_for
        self.attempts = attempts
        self.should_stop = should_stop
        self._stats_lock = threading.Lock()
        self.stats = DownloadStats()

    def fetch(self, url: str, media: MediaRef) -> Path:
        """Download ``media`` into the cache (resuming), verify and publish it; return its path.

        Raises requests.RequestException after ``attempts`` network failures
        (the partial file stays for the next sync) and MediaMismatch when the
        complete file does not hash to its name (the partial file is removed).
        """
        final = self.cache.path_for(media.sha256)
        if self.cache.has(media):
            return final
        delay_s = RETRY_FIRST_S
        failures = 0
        while True:
            before = self._partial_size(media)
            try:
                return self._attempt(url, media)
            except MediaUnavailable:
                raise  # the server answered: no point retrying at once
            except requests.RequestException as exc:
                if self._partial_size(media) > before:
                    failures, delay_s = 0, RETRY_FIRST_S  # the link works, it was cut: resume at once
                failures += 1
                if failures >= self.attempts or self.should_stop():
                    raise
                with self._stats_lock:
                    self.stats.retries += 1
                log.info("media %s: %s; retrying in %.0f s", media.sha256[:12], short_exc(exc), delay_s)
                time.sleep(delay_s)
                delay_s = min(max(1.0, delay_s * 2), RETRY_MAX_S)

    def _partial_size(self, media: MediaRef) -> int:
        try:
            return self.cache.partial_path(media.sha256).stat().st_size
        except OSError:
            return 0

    def _attempt(self, url: str, media: MediaRef) -> Path:
        part = self.cache.partial_path(media.sha256)
        part.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.exists() else 0
        if have > media.size:
            part.unlink()
            have = 0
        if have < media.size:
            headers = dict(self.headers_for(url))
            if have:
                headers["Range"] = f"bytes={have}-"
            with self.session.get(url, headers=headers, stream=True,
                                  timeout=(CONNECT_TIMEOUT_S, MEDIA_READ_TIMEOUT_S)) as response:
                if response.status_code == 206 and have:
                    if not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
                        raise MediaUnavailable(f"{url}: unexpected Content-Range "
                                                 f"{response.headers.get('Content-Range')!r}")
                    with self._stats_lock:
                        self.stats.resumed += 1
                    log.info("media %s: resuming at byte %d of %d", media.sha256[:12], have, media.size)
                    mode = "ab"
                elif response.status_code == 200:
                    mode, have = "wb", 0
                elif response.status_code == 416 and have:
                    part.unlink()  # the server says our prefix is wrong: start over next time
                    raise MediaUnavailable(f"{url}: range not satisfiable, restarting the download")
                else:
                    raise MediaUnavailable(f"{url}: {error_text(response)}")
                self._write(part, mode, have, media, response.iter_content(chunk_size=CHUNK_BYTES))
        return self._publish(part, media)

    def _write(self, part: Path, mode: str, have: int, media: MediaRef, chunks: Iterable[bytes]) -> None:
        size = have
        with part.open(mode) as out:
            try:
                for chunk in chunks:
                    if not chunk:
                        continue
                    self.limiter.take(len(chunk))
                    size += len(chunk)
                    if size > media.size:
                        raise MediaMismatch(f"media {media.sha256[:12]} is larger than the manifest says "
                                            f"({media.size} bytes)")
                    out.write(chunk)
                    with self._stats_lock:
                        self.stats.bytes_received += len(chunk)
                    if self.should_stop():
                        raise requests.ConnectionError("download stopped")
            except MediaMismatch:
                out.close()
                _discard(part)
                raise
            finally:
                if not out.closed:
                    out.flush()
                    os.fsync(out.fileno())  # keep what arrived: the next attempt resumes from it
        if size < media.size:
            raise requests.ConnectionError(f"connection ended at byte {size} of {media.size}")

    def _publish(self, part: Path, media: MediaRef) -> Path:
        digest = hashlib.sha256()
        with part.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        actual = digest.hexdigest()
        if actual != media.sha256:
            _discard(part)
            raise MediaMismatch(f"media {media.sha256[:12]} sha256 mismatch (downloaded {media.size} bytes "
                                f"hashing to {actual[:12]})")
        final = self.cache.path_for(media.sha256)
        commit_file(part, final)
        with self._stats_lock:
            self.stats.files += 1
        log.info("media %s verified and cached (%d bytes)", media.sha256[:12], media.size)
        return final


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)


def download_all(
    downloader: Downloader,
    jobs: list[tuple[str, MediaRef]],
    max_parallel: int,
) -> list[tuple[MediaRef, BaseException]]:
    """Fetch every (url, media); return the failures (empty: all cached)."""
    failures: list[tuple[MediaRef, BaseException]] = []
    if not jobs:
        return failures
    with ThreadPoolExecutor(max_workers=max(1, max_parallel), thread_name_prefix="player-dl") as pool:
        futures = [(media, pool.submit(downloader.fetch, url, media)) for url, media in jobs]
        for media, future in futures:
            try:
                future.result()
            except (requests.RequestException, MediaMismatch, OSError) as exc:
                failures.append((media, exc))
    return failures
