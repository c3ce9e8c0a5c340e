"""Atomic file writes (temp file in the same folder, fsync, rename) and write-fault bookkeeping.

A reader (the player after a power cut, the e2e test polling status.json)
never sees a half-written file under its final name.

:class:`WriteFaults` is how every write path of the player survives a full
or failing disk (ENOSPC, EIO): the writer catches the error, reports it here
and carries on (retrying at its next write); the fault is logged once, not on
every attempt, cleared by the next successful write, and listed in the
heartbeat's warnings meanwhile.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("player.disk")


class WriteFaults:
    """Thread-safe: which kinds of write currently fail, and why."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, str] = {}

    def failed(self, what: str, exc: BaseException) -> None:
        """``what`` (e.g. ``"play log"``) could not be written: log once until it works again."""
        reason = str(exc) or type(exc).__name__
        with self._lock:
            first = what not in self._faults
            self._faults[what] = reason
        if first:
            log.warning("cannot write %s: %s (playing on; will retry)", what, reason)

    def ok(self, what: str) -> None:
        with self._lock:
            was = self._faults.pop(what, None)
        if was is not None:
            log.info("writing %s works again", what)

    def active(self) -> dict[str, str]:
        with self._lock:
            return dict(self._faults)

    def warnings(self) -> list[str]:
        return [f"cannot write {what}: {reason}" for what, reason in sorted(self.active().items())]


def fsync_dir(folder: Path) -> None:
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


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644, sync: bool = True) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            if sync:
                os.fsync(out.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    if sync:
        fsync_dir(path.parent)


def atomic_write_json(path: Path, value: Any, *, mode: int = 0o644, sync: bool = True) -> None:
    data = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_bytes(path, data.encode("utf-8"), mode=mode, sync=sync)
