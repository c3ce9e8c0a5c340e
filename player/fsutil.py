"""Player file writes: atomic writes (the one implementation lives in :mod:`signage.fsutil`) and
write-fault bookkeeping.

The atomic helpers are re-exported so code importing ``player.fsutil`` keeps
working; new code imports ``signage.fsutil``.

:class:`WriteFaults` is how every write path of the player survives a full
or failing disk (ENOSPC, EIO, EFBIG): the writer catches the error, reports it
here and carries on (retrying at its next write); the fault is logged once,
not on every attempt, cleared by the next successful write, and listed in the
heartbeat's warnings meanwhile.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from signage.fsutil import atomic_write_bytes, atomic_write_json, fsync_dir
from signage.reason_codes import coded

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
        return [text for text, _ in self.coded_warnings()]

    def coded_warnings(self) -> list[tuple[str, dict[str, Any]]]:
        """Each warning in English with its code (signage.reason_codes) for the heartbeat."""
        return [(f"cannot write {what}: {reason}", coded("cannot_write", {"what": what}))
                for what, reason in sorted(self.active().items())]  # fmt: skip


__all__ = ["WriteFaults", "atomic_write_bytes", "atomic_write_json", "fsync_dir"]
