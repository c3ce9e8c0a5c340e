"""Content-addressed media store: every file is kept once, under its sha256.

Layout: ``<root>/<sha256>`` for the bytes. Writes go to a temp file in the same
folder, are fsynced and renamed (:mod:`signage.fsutil`), so a reader never sees a
partial file under a final name. Side data lives in dot-folders the media listing ignores:
``<root>/.meta/<sha256>.json`` (size and MIME type) and ``<root>/.gc-state.json``
(when each blob was first seen unreferenced). Storing bytes that are already
there touches the blob's mtime, which restarts its GC grace period.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Set
from dataclasses import dataclass
from pathlib import Path

from content.gc import plan_gc
from signage.fsutil import atomic_write_bytes, commit_file

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK_BYTES = 1 << 20
META_DIR = ".meta"
GC_STATE = ".gc-state.json"
WORK_PREFIX = ".work-"
INCOMING_PREFIX = ".incoming-"
MEDIA_MODE = 0o644  # blobs are public, immutable media (served as static files)


@dataclass(frozen=True)
class StoredMedia:
    sha256: str
    size: int
    path: Path
    mime: str | None = None


@dataclass(frozen=True)
class GcReport:
    deleted: tuple[str, ...]
    freed_bytes: int
    waiting: int  # unreferenced blobs still inside their grace period


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise ValueError(f"{sha256!r} is not a lowercase hex sha256")
        return self.root / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    # -- writing -------------------------------------------------------------------

    def put_bytes(self, data: bytes, *, mime: str | None = None) -> StoredMedia:
        sha256 = hashlib.sha256(data).hexdigest()
        final = self.path_for(sha256)
        if final.exists():
            self._touch(final)
        else:
            atomic_write_bytes(final, data, mode=MEDIA_MODE, prefix=INCOMING_PREFIX)
        self._record_meta(sha256, len(data), mime)
        return StoredMedia(sha256, len(data), final, mime)

    def put_file(self, source: Path, *, mime: str | None = None) -> StoredMedia:
        """Copy ``source`` into the store (hashing while copying)."""
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=INCOMING_PREFIX)
        tmp = Path(tmp_name)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out, Path(source).open("rb") as src:
                while chunk := src.read(CHUNK_BYTES):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            final = self._adopt(tmp, digest.hexdigest())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._record_meta(digest.hexdigest(), size, mime)
        return StoredMedia(digest.hexdigest(), size, final, mime)

    def move_file(self, source: Path, *, mime: str | None = None) -> StoredMedia:
        """Move ``source`` (a finished file on the store's filesystem, e.g. in a
        :meth:`workdir`) into the store without copying it."""
        source = Path(source)
        sha256 = sha256_file(source)
        size = source.stat().st_size
        with source.open("rb") as fh:
            os.fsync(fh.fileno())
        final = self._adopt(source, sha256)
        self._record_meta(sha256, size, mime)
        return StoredMedia(sha256, size, final, mime)

    def workdir(self) -> tempfile.TemporaryDirectory[str]:
        """A scratch folder inside the store (same filesystem, so :meth:`move_file` is a
        rename). Removed when the context exits; never listed as media."""
        return tempfile.TemporaryDirectory(dir=self.root, prefix=WORK_PREFIX)

    def _adopt(self, tmp: Path, sha256: str) -> Path:
        final = self.path_for(sha256)
        if final.exists():
            tmp.unlink()
            self._touch(final)
        else:
            commit_file(tmp, final, mode=MEDIA_MODE)
        return final

    @staticmethod
    def _touch(final: Path) -> None:
        with contextlib.suppress(OSError):
            os.utime(final)

    def remove(self, sha256: str) -> bool:
        """Delete a blob and its side data at once (e.g. the original of a refused upload); True if it was there."""
        path = self.path_for(sha256)
        self._meta_path(sha256).unlink(missing_ok=True)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    # -- metadata ------------------------------------------------------------------

    def _meta_path(self, sha256: str) -> Path:
        return self.root / META_DIR / f"{sha256}.json"

    def _record_meta(self, sha256: str, size: int, mime: str | None) -> None:
        path = self._meta_path(sha256)
        if mime is None and path.exists():
            return
        if path.exists():
            with contextlib.suppress(OSError, ValueError):
                if json.loads(path.read_text("utf-8")).get("mime") == mime:
                    return
        atomic_write_bytes(path, json.dumps({"size": size, "mime": mime}).encode(), prefix=INCOMING_PREFIX)

    def info(self, sha256: str) -> StoredMedia | None:
        """Size and MIME type of a stored blob, or ``None`` if it is not stored."""
        final = self.path_for(sha256)
        try:
            size = final.stat().st_size
        except FileNotFoundError:
            return None
        mime = None
        with contextlib.suppress(OSError, ValueError):
            mime = json.loads(self._meta_path(sha256).read_text("utf-8")).get("mime")
        return StoredMedia(sha256, size, final, mime)

    # -- listing and garbage collection ----------------------------------------------

    def iter_media(self) -> Iterator[tuple[str, float]]:
        """``(sha256, mtime)`` of every stored blob (temp files and side data excluded)."""
        with os.scandir(self.root) as entries:
            for entry in entries:
                if SHA256_RE.match(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        yield entry.name, entry.stat(follow_symlinks=False).st_mtime

    def collect_garbage(self, referenced: Set[str], *, now_s: float, grace_s: float) -> GcReport:
        """Delete blobs nothing references any more once their grace period is over.

        ``referenced`` must hold every sha256 any manifest, draft or announcement
        still uses. See :func:`content.gc.plan_gc` for the exact rule. Also removes
        temp files and scratch folders older than ``grace_s`` (left by a crash).
        """
        state_path = self.root / GC_STATE
        try:
            state = {str(k): float(v) for k, v in json.loads(state_path.read_text("utf-8")).items()}
        except (OSError, ValueError, AttributeError):
            state = {}
        mtimes = dict(self.iter_media())
        plan = plan_gc(mtimes, referenced, state, now_s, grace_s)
        deleted: list[str] = []
        freed = 0
        for sha in sorted(plan.delete):
            path = self.path_for(sha)
            try:
                stat = path.stat()
                if stat.st_mtime != mtimes[sha]:
                    plan.unreferenced_since[sha] = now_s  # stored again meanwhile: keep
                    continue
                path.unlink()
            except FileNotFoundError:
                continue
            self._meta_path(sha).unlink(missing_ok=True)
            deleted.append(sha)
            freed += stat.st_size
        state_bytes = json.dumps(plan.unreferenced_since, sort_keys=True).encode()
        atomic_write_bytes(state_path, state_bytes, prefix=INCOMING_PREFIX)
        self._remove_stale_scratch(now_s - grace_s)
        return GcReport(tuple(deleted), freed, len(plan.unreferenced_since))

    def _remove_stale_scratch(self, older_than_s: float) -> None:
        for entry in self.root.iterdir():
            if not entry.name.startswith((INCOMING_PREFIX, WORK_PREFIX)):
                continue
            with contextlib.suppress(OSError):
                if entry.lstat().st_mtime < older_than_s:
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry, ignore_errors=True)
                    else:
                        entry.unlink()
