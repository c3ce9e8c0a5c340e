"""The timeline clock: server time, advanced by the monotonic clock.

``PlayerClock()`` is callable and returns an aware UTC datetime, like any
``signage.clock.Clock``. It is anchored on (wall time, monotonic time) and only
moves with ``time.monotonic``, so an NTP step or a technician changing the PC
clock does not make the runner jump. Each sync passes the server's ``Date``
header to :meth:`PlayerClock.correct`; small differences (the header has
one-second resolution) are ignored so item boundaries do not jitter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

log = logging.getLogger("player.clock")

#: Corrections smaller than this are ignored (Date has 1 s resolution).
CORRECTION_THRESHOLD_S = 1.5


class PlayerClock:
    def __init__(
        self,
        wall_s: Callable[[], float] = time.time,
        monotonic_s: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall_s = wall_s
        self._monotonic_s = monotonic_s
        self._anchor_epoch_s = wall_s()
        self._anchor_mono_s = monotonic_s()
        self.offset_s = 0.0  # last measured server time - local wall time

    def epoch_s(self) -> float:
        return self._anchor_epoch_s + (self._monotonic_s() - self._anchor_mono_s)

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.epoch_s(), UTC)

    def correct(self, server_epoch_s: float, at_monotonic_s: float, local_epoch_s: float) -> bool:
        """Re-anchor on the server's time measured at ``at_monotonic_s``.

        ``local_epoch_s`` is the local wall clock at the same instant; it only
        feeds the reported ``offset_s``. Returns True if the clock moved.
        """
        self.offset_s = server_epoch_s - local_epoch_s
        ours_s = self._anchor_epoch_s + (at_monotonic_s - self._anchor_mono_s)
        drift_s = server_epoch_s - ours_s
        if abs(drift_s) < CORRECTION_THRESHOLD_S:
            return False
        log.info("clock corrected by %+.1f s (server - local wall clock = %+.1f s)",
                 drift_s, self.offset_s)
        self._anchor_epoch_s = server_epoch_s
        self._anchor_mono_s = at_monotonic_s
        return True
