"""Atomic file writes, the one implementation every component uses.

A file appears under its final name whole or not at all, and survives a power
cut once the call returns: the bytes go to a temp file in the same folder, the
file is fsynced, renamed over the final name, and the folder is fsynced (so the
rename itself is on disk). ``sync=False`` skips both fsyncs for files that are
rewritten every few seconds and worthless after a crash (the player's status).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

DEFAULT_MODE = 0o644


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename, a new file) to disk; best effort where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit_file(tmp: Path, path: Path, *, mode: int | None = DEFAULT_MODE, sync: bool = True) -> None:
    """Rename a finished (already fsynced) temp file over ``path``, in the same folder, durably."""
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)
    if sync:
        fsync_dir(Path(path).parent)


@contextlib.contextmanager
def atomic_writer(
    path: Path, *, mode: int = DEFAULT_MODE, sync: bool = True, prefix: str | None = None
) -> Iterator[IO[bytes]]:
    """A binary file to write; on a clean exit it replaces ``path`` atomically, on an exception it is discarded.

    The temp file is created with mode 0600 and only gets ``mode`` just before the
    rename, so a secret (``mode=0o600``) is never readable by others, not even briefly.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=prefix or f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            if sync:
                os.fsync(out.fileno())
        commit_file(tmp, path, mode=mode, sync=sync)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(
    path: Path, data: bytes, *, mode: int = DEFAULT_MODE, sync: bool = True, prefix: str | None = None
) -> None:
    with atomic_writer(path, mode=mode, sync=sync, prefix=prefix) as out:
        out.write(data)


def atomic_write_json(path: Path, value: Any, *, mode: int = DEFAULT_MODE, sync: bool = True) -> None:
    """Pretty, sorted UTF-8 JSON with a final newline."""
    data = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_bytes(path, data.encode("utf-8"), mode=mode, sync=sync)


def atomic_copy(source: Path, path: Path, *, mode: int = DEFAULT_MODE, sync: bool = True) -> None:
    """Copy a (possibly large) file without reading it into memory."""
    with atomic_writer(path, mode=mode, sync=sync) as out, Path(source).open("rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)
