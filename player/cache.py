"""The on-disk cache: media by sha256 and the accepted manifest envelopes.

Layout under ``data_dir``::

    cache/<sha256>             media bytes, verified, immutable
    cache/.partial/<sha>.part  a download in progress, resumed after a failure or restart
    manifest/current.json      envelope bytes of the manifest being played
    manifest/last_good.json    the one before it

Every write is temp file + fsync + rename. At start the player re-verifies
the cached envelope with the identity's keys and checks that the media it
needs now (the first hours of its timeline, emergencies, fallback) are
present, so the offline path plays exactly what was verified.

The cache keeps every file the current and last-good manifests (and a manifest
being downloaded) reference; other files stay until the cache exceeds its
quota, then go least recently used first (a file's mtime is touched each time
it is shown). :meth:`MediaCache.verify_next` re-hashes one file at a time so a
background thread can notice a corrupted file and have it fetched again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from signage.errors import ManifestRejected
from signage.fsutil import atomic_write_bytes
from signage.manifest import Manifest, ManifestFormatError, MediaRef, parse_manifest
from signage.signing import verify_envelope

log = logging.getLogger("player.cache")

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK_BYTES = 1 << 16
#: Below this total size the startup check hashes every file, above it checks sizes.
FULL_HASH_LIMIT_BYTES = 256 << 20
CURRENT = "current.json"
LAST_GOOD = "last_good.json"
PARTIAL_DIR = ".partial"
#: A new manifest goes live once the media of this much of its timeline are cached.
DEFAULT_COMMIT_HORIZON_S = 6 * 3600.0


class MediaMismatch(ManifestRejected):
    """A downloaded file's size or sha256 differs from the manifest."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class MediaCache:
    def __init__(self, root: Path, quota_bytes: int | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.quota_bytes = quota_bytes
        self._verified_at: dict[str, float] = {}  # sha -> monotonic time of the last re-hash
        self._lock = threading.Lock()

    def path_for(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise ValueError(f"{sha256!r} is not a lowercase hex sha256")
        return self.root / sha256

    def partial_path(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise ValueError(f"{sha256!r} is not a lowercase hex sha256")
        return self.root / PARTIAL_DIR / f"{sha256}.part"

    def cached(self) -> list[str]:
        """sha256 of every complete file in the cache."""
        try:
            return sorted(p.name for p in self.root.iterdir() if SHA256_RE.match(p.name))
        except OSError:
            return []

    def touch(self, sha256: str) -> None:
        """Mark a file as just used (least-recently-used eviction)."""
        with contextlib.suppress(OSError, ValueError):
            os.utime(self.path_for(sha256))

    def has(self, media: MediaRef, *, verify: bool = False) -> bool:
        path = self.path_for(media.sha256)
        try:
            if path.stat().st_size != media.size:
                return False
        except FileNotFoundError:
            return False
        return not verify or sha256_file(path) == media.sha256

    def missing(self, manifest: Manifest, *, verify: bool = False) -> list[MediaRef]:
        return [m for m in manifest.media() if not self.has(m, verify=verify)]

    def prune(self, keep: set[str], quota_bytes: int | None = None) -> int:
        """Evict media not in ``keep``, least recently used first, until the cache fits the quota.

        ``quota_bytes`` None uses the cache's quota; a cache without quota
        keeps only ``keep``. Abandoned temp files and partial downloads of
        media nobody wants are removed too. Returns the number of files removed.
        """
        quota = self.quota_bytes if quota_bytes is None else quota_bytes
        removed = 0
        files: list[tuple[float, int, Path]] = []
        total = 0
        for path in self.root.iterdir():
            name = path.name
            if name.startswith(".dl-"):
                removed += self._unlink(path)
                continue
            if not SHA256_RE.match(name):
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            total += stat.st_size
            if name not in keep:
                files.append((stat.st_mtime, stat.st_size, path))
        files.sort()
        for _mtime, size, path in files:
            if quota is not None and total <= quota:
                break
            if self._unlink(path):
                removed += 1
                total -= size
        if quota is not None and total > quota:
            log.warning("cache holds %d MB, above its quota of %d MB, all of it needed by the manifests",
                        total // 1_000_000, quota // 1_000_000)
        partial = self.root / PARTIAL_DIR
        if partial.is_dir():
            for path in partial.iterdir():
                if path.name.removesuffix(".part") not in keep:
                    removed += self._unlink(path)
        return removed

    def _unlink(self, path: Path) -> int:
        try:
            path.unlink()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            log.warning("cannot remove %s: %s", path, exc)
            return 0
        with self._lock:
            self._verified_at.pop(path.name, None)
        return 1

    def verify_next(self) -> tuple[str, bool] | None:
        """Re-hash the cached file verified longest ago; (sha, ok) or None if the cache is empty.

        A file that does not hash to its name is deleted (so it is downloaded
        again) and reported with ok False.
        """
        names = self.cached()
        if not names:
            return None
        with self._lock:
            name = min(names, key=lambda n: self._verified_at.get(n, 0.0))
        path = self.root / name
        try:
            ok = sha256_file(path) == name
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot re-verify %s: %s", path, exc)
            ok = False
        with self._lock:
            self._verified_at[name] = time.monotonic()
        if not ok:
            log.warning("cached media %s is corrupt (sha256 differs); removing it to fetch it again", name[:12])
            self._unlink(path)
        return name, ok


@dataclass(frozen=True)
class LoadedManifest:
    """A verified, parsed manifest whose required media are in the cache.

    ``complete`` is False while media needed only later in the timeline are
    still downloading in the background (the runner skips such items).
    """

    manifest: Manifest
    envelope: bytes
    source: str  # "manifest" (current.json or fresh), "last_good" or "local"
    complete: bool = field(default=True, compare=True)

    @property
    def version(self) -> int:
        return self.manifest.version


def required_media(manifest: Manifest, now: datetime, horizon_s: float = DEFAULT_COMMIT_HORIZON_S) -> list[MediaRef]:
    """Media a manifest needs before it may go live at ``now``.

    The items of every segment overlapping ``[now, now + horizon_s)``, every
    emergency segment that has not ended, and the fallback loop. A manifest
    already past its horizon needs everything (it is replayed by week).
    """
    if now >= manifest.valid_until:
        return manifest.media()
    until = now + timedelta(seconds=horizon_s)
    ids: list[str] = list(manifest.fallback)
    for segment in manifest.timeline:
        if (segment.start < until and segment.end > now) or (segment.layer == "emergency" and segment.end > now):
            ids.extend(segment.loop)
    seen: dict[str, MediaRef] = {}
    for item_id in ids:
        media = manifest.items[item_id].media
        if media is not None:
            seen.setdefault(media.sha256, media)
    return list(seen.values())


def check_envelope(
    envelope: bytes, trusted_keys: dict[str, Ed25519PublicKey], display_id: str | None
) -> Manifest:
    """verify_envelope + parse_manifest; every failure is a ManifestRejected."""
    data = verify_envelope(envelope, trusted_keys)
    try:
        manifest = parse_manifest(data)
    except ManifestFormatError as exc:
        raise ManifestRejected(str(exc)) from exc
    if display_id is not None and manifest.display_id != display_id:
        raise ManifestRejected(
            f"manifest is for display {manifest.display_id!r}, this is {display_id!r}"
        )
    return manifest


class ManifestStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def current_path(self) -> Path:
        return self.root / CURRENT

    @property
    def last_good_path(self) -> Path:
        return self.root / LAST_GOOD

    def commit(self, envelope: bytes) -> None:
        """Make ``envelope`` current; the previous current becomes last_good."""
        try:
            previous = self.current_path.read_bytes()
        except FileNotFoundError:
            previous = None
        if previous is not None and previous != envelope:
            atomic_write_bytes(self.last_good_path, previous)
        atomic_write_bytes(self.current_path, envelope)

    def envelopes(self) -> list[tuple[str, bytes]]:
        out = []
        for source, path in (("manifest", self.current_path), ("last_good", self.last_good_path)):
            try:
                out.append((source, path.read_bytes()))
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("cannot read %s: %s", path, exc)
        return out

    def load(
        self,
        trusted_keys: dict[str, Ed25519PublicKey],
        media: MediaCache,
        display_id: str | None = None,
        now: datetime | None = None,
        horizon_s: float = DEFAULT_COMMIT_HORIZON_S,
    ) -> LoadedManifest | None:
        """The newest cached manifest that still verifies and has the media it needs now.

        Files that do not hash to their name are removed from the cache (and
        downloaded again by the next sync).
        """
        for source, envelope in self.envelopes():
            name = CURRENT if source == "manifest" else LAST_GOOD
            try:
                manifest = check_envelope(envelope, trusted_keys, display_id)
            except ManifestRejected as exc:
                log.warning("cached %s refused: %s", name, exc.reason)
                continue
            total_bytes = sum(m.size for m in manifest.media())
            verify = total_bytes <= FULL_HASH_LIMIT_BYTES
            missing = {m.sha256 for m in media.missing(manifest, verify=verify)}
            for sha in missing:
                if media.path_for(sha).exists():
                    log.warning("cached media %s is damaged; removing it", sha[:12])
                    media.path_for(sha).unlink(missing_ok=True)
            needed = required_media(manifest, now, horizon_s) if now is not None else manifest.media()
            lacking = [m for m in needed if m.sha256 in missing]
            if lacking:
                log.warning(
                    "cached %s refused: %d media file(s) missing or damaged in the cache (%s)",
                    name,
                    len(lacking),
                    ", ".join(m.sha256[:12] for m in lacking[:3]),
                )
                continue
            log.info("loaded cached %s (version %d%s)", name, manifest.version,
                     f", {len(missing)} media still to download" if missing else "")
            return LoadedManifest(manifest, envelope, source, complete=not missing)
        return None

    def newest_generated_at(
        self, trusted_keys: dict[str, Ed25519PublicKey], display_id: str | None = None
    ) -> datetime | None:
        """The latest ``generated_at`` among the cached manifests that verify (a floor for the clock)."""
        newest: datetime | None = None
        for _source, envelope in self.envelopes():
            try:
                manifest = check_envelope(envelope, trusted_keys, display_id)
            except ManifestRejected:
                continue
            if newest is None or manifest.generated_at > newest:
                newest = manifest.generated_at
        return newest

    def referenced_media(self) -> set[str]:
        """sha256 of every media file referenced by current or last_good (unverified)."""
        keep: set[str] = set()
        for _source, envelope in self.envelopes():
            try:
                items = json.loads(envelope)["manifest"]["items"]
                for item in items.values():
                    media = item.get("media") or {}
                    if isinstance(media.get("sha256"), str):
                        keep.add(media["sha256"])
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
        return keep
