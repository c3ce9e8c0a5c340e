"""The on-disk cache: media by sha256 and the accepted manifest envelopes.

Layout under ``data_dir``::

    cache/<sha256>             media bytes, verified, immutable
    cache/.dl-*.tmp            a download in progress (never under a final name)
    manifest/current.json      envelope bytes of the manifest being played
    manifest/last_good.json    the one before it

Every write is temp file + fsync + rename. At start the player re-verifies
the cached envelope with the identity's keys and checks that every media
file is present, so the offline path plays exactly what was verified.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from player.fsutil import atomic_write_bytes, fsync_dir
from signage.errors import ManifestRejected
from signage.manifest import Manifest, ManifestFormatError, MediaRef, parse_manifest
from signage.signing import verify_envelope

log = logging.getLogger("player.cache")

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK_BYTES = 1 << 16
#: Below this total size the startup check hashes every file, above it checks sizes.
FULL_HASH_LIMIT_BYTES = 256 << 20
CURRENT = "current.json"
LAST_GOOD = "last_good.json"


class MediaMismatch(ManifestRejected):
    """A downloaded file's size or sha256 differs from the manifest."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class MediaCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise ValueError(f"{sha256!r} is not a lowercase hex sha256")
        return self.root / sha256

    def has(self, media: MediaRef, *, verify: bool = False) -> bool:
        path = self.path_for(media.sha256)
        try:
            if path.stat().st_size != media.size:
                return False
        except FileNotFoundError:
            return False
        return not verify or sha256_file(path) == media.sha256

    def store_stream(self, media: MediaRef, chunks: Iterable[bytes]) -> Path:
        """Write ``chunks`` under ``media.sha256`` if, and only if, they hash to it."""
        final = self.path_for(media.sha256)
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".dl-", suffix=".tmp")
        tmp = Path(tmp_name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > media.size:
                        raise MediaMismatch(
                            f"media {media.sha256[:12]} is larger than the manifest says "
                            f"({media.size} bytes)"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            actual = digest.hexdigest()
            if actual != media.sha256:
                raise MediaMismatch(
                    f"media {media.sha256[:12]} sha256 mismatch (downloaded {size} bytes "
                    f"hashing to {actual[:12]})"
                )
            os.chmod(tmp, 0o644)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(self.root)
        return final

    def missing(self, manifest: Manifest, *, verify: bool = False) -> list[MediaRef]:
        return [m for m in manifest.media() if not self.has(m, verify=verify)]

    def prune(self, keep: set[str]) -> int:
        """Delete media not in ``keep`` and abandoned temp files; return the count."""
        removed = 0
        for path in self.root.iterdir():
            name = path.name
            if (SHA256_RE.match(name) and name not in keep) or name.startswith(".dl-"):
                try:
                    path.unlink()
                    removed += 1
                except OSError as exc:
                    log.warning("cannot remove %s: %s", path, exc)
        return removed


@dataclass(frozen=True)
class LoadedManifest:
    """A verified, parsed manifest with every media file in the cache."""

    manifest: Manifest
    envelope: bytes
    source: str  # "manifest" (current.json or fresh) or "last_good"

    @property
    def version(self) -> int:
        return self.manifest.version


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
    ) -> LoadedManifest | None:
        """The newest cached manifest that still verifies and has all its media."""
        for source, envelope in self.envelopes():
            name = CURRENT if source == "manifest" else LAST_GOOD
            try:
                manifest = check_envelope(envelope, trusted_keys, display_id)
            except ManifestRejected as exc:
                log.warning("cached %s refused: %s", name, exc.reason)
                continue
            total_bytes = sum(m.size for m in manifest.media())
            missing = media.missing(manifest, verify=total_bytes <= FULL_HASH_LIMIT_BYTES)
            if missing:
                log.warning(
                    "cached %s refused: %d media file(s) missing or damaged in the cache (%s)",
                    name,
                    len(missing),
                    ", ".join(m.sha256[:12] for m in missing[:3]),
                )
                continue
            log.info("loaded cached %s (version %d)", name, manifest.version)
            return LoadedManifest(manifest, envelope, source)
        return None

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
