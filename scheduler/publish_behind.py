"""Large publishes a staff action causes run behind the request, on one background thread.

An approval reaching a province's thousand displays compiles, signs and writes for most of a minute;
the staffer's browser (and any proxy in front of the scheduler) should not wait that long, and a second
approval meanwhile should not queue another full round behind it. Batches above
``publish_inline_max_displays`` are handed to :class:`PublishBehind`: display ids submitted while a round
runs are merged into the next one, so ten approvals in a row make at most two publishes. The emergency
push (one signed message, seconds) still happens in the request, before any of this. Smaller batches
publish in the request as before, so its answer lists the new versions.

A failed round (a busy store, a full disk) is logged and tried again after 2 s, doubling up to a
minute; ids queued meanwhile join it. Nothing is lost on a stop: a round under way finishes; ids not
yet started are logged and left to the start-up publish (``signage scheduler serve`` publishes every
changed display when it starts) and the 5-minute republish loop, which find every display whose
inputs changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger("scheduler.publish_behind")
RETRY_FIRST_S = 2.0  # a failed round is tried again after this, doubling up to RETRY_MAX_S
RETRY_MAX_S = 60.0


class PublishBehind:
    def __init__(self, publish: Callable[[list[str]], object]) -> None:
        self._publish = publish
        self._pending: set[str] = set()
        self._running: set[str] = set()
        self._cond = threading.Condition()
        self._closed = False
        self.rounds = 0  # publishes run so far (tests, logs)
        self._thread = threading.Thread(target=self._run, name="publish-behind", daemon=True)
        self._thread.start()

    def submit(self, display_ids: Iterable[str]) -> int:
        """Queue ``display_ids`` for the next round; how many displays are waiting or being published now."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the background publisher is stopped")
            self._pending.update(display_ids)
            self._cond.notify_all()
            return len(self._pending | self._running)

    @property
    def busy(self) -> int:
        """Displays waiting for or in a background publish."""
        with self._cond:
            return len(self._pending | self._running)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until nothing is queued or running (True), or ``timeout_s`` passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._running, timeout=timeout_s)

    def close(self, timeout_s: float = 300.0) -> None:
        """Stop taking work; let a round under way finish. Ids never started are left to the next start."""
        with self._cond:
            self._closed = True
            left = sorted(self._pending)
            self._pending.clear()
            self._cond.notify_all()
        if left:
            log.warning("stopping: %d display(s) not republished yet; the next start publishes them", len(left))
        self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        retry_s = RETRY_FIRST_S
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                if not self._pending:  # closed, nothing left
                    return
                self._running, self._pending = self._pending, set()
            failed = False
            try:
                self.rounds += 1
                self._publish(sorted(self._running))
                retry_s = RETRY_FIRST_S
            except Exception:  # the environment's fault (disk full, a busy store): tried again after a pause
                log.exception("background publish of %d display(s) failed; retrying in %.0f s", len(self._running),
                              retry_s)  # fmt: skip
                failed = True
            with self._cond:
                if failed and not self._closed:
                    self._pending |= self._running
                self._running = set()
                self._cond.notify_all()
                if failed:
                    self._cond.wait_for(lambda: self._closed, timeout=retry_s)
                    retry_s = min(retry_s * 2, RETRY_MAX_S)
