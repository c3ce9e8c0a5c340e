"""DiskWriter: one background thread for the player's slow disk writes (SQLite commits, fsyncs).

The GUI thread paints the screen; a commit or an fsync on a busy or failing
disk can take hundreds of milliseconds, which would freeze the picture. So
the GUI thread only *submits* a job; this thread runs it. Jobs are keyed: a
job submitted while one with the same key is still waiting replaces it (the
newest state is all that needs writing), so a slow disk never builds a queue.

Jobs handle their own errors (a full disk is the writer's business, reported
through :class:`player.fsutil.WriteFaults`); an exception that escapes a job
is logged and the thread carries on.

:meth:`flush` waits until everything submitted before it has run;
:meth:`stop` runs what is pending, then ends the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("player.diskwriter")

#: How long :meth:`DiskWriter.stop` waits for pending writes at shutdown (a stop must not hang on a bad disk).
STOP_TIMEOUT_S = 3.0
#: How long :meth:`DiskWriter.flush` waits by default.
FLUSH_TIMEOUT_S = 15.0


class DiskWriter:
    def __init__(self, name: str = "player-disk-writer") -> None:
        self._cond = threading.Condition()
        self._jobs: dict[str, Callable[[], object]] = {}  # key -> newest job, in submission order
        self._submitted = 0  # submissions so far
        self._done = 0  # submissions whose job (or a newer job of the same key) has run
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, key: str, job: Callable[[], object]) -> None:
        """Run ``job`` on the writer thread soon; replaces a waiting job with the same ``key``.

        After :meth:`stop` the job runs at once on the caller's thread (a write at teardown is not lost)."""
        with self._cond:
            stopped = self._stopping
            if not stopped:
                self._jobs.pop(key, None)
                self._jobs[key] = job
                self._submitted += 1
                self._cond.notify_all()
        if stopped:
            job()

    def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> bool:
        """Wait until every job submitted so far has run; False if ``timeout_s`` passed first."""
        if threading.current_thread() is self._thread:
            return True  # called from a job: everything before it has run
        with self._cond:
            target = self._submitted
            return self._cond.wait_for(lambda: self._done >= target or not self._thread.is_alive(), timeout_s)

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._jobs)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Run the pending jobs, then end the thread (waits at most ``timeout_s``)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("disk writes still running after %.0f s at shutdown", timeout_s)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._jobs) or self._stopping)
                if not self._jobs:
                    return  # stopping, nothing left
                key = next(iter(self._jobs))
                job = self._jobs.pop(key)
                done_upto = self._submitted if not self._jobs else None
            try:
                job()
            except Exception:  # a bug in a job must not end the writes of the others
                log.exception("disk write %r failed", key)
            with self._cond:
                if done_upto is not None:
                    self._done = max(self._done, done_upto)
                self._cond.notify_all()


__all__ = ["DiskWriter"]
