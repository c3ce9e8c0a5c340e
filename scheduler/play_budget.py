"""How many play events each display may send per UTC day: a bound on what one display token can write.

Proof of play is idempotent and needs no count per request (``scheduler/proof_of_play.py``), so a stolen
display token could otherwise grow the database as fast as it can post (18 MB/s in the third review).
Each display gets ``play_events_max_per_day`` events per UTC day of receipt, counted in memory (a restart
starts the day's count again: the bound holds between restarts, which is what limits a flood); a batch
that would go past it is refused whole with HTTP 429, and the player keeps it for the next day.
"""

from __future__ import annotations

import threading
from datetime import datetime

from scheduler.errors import TooMany


class DailyPlayBudget:
    def __init__(self, per_day: int) -> None:
        self.per_day = per_day
        self._day = ""
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, display_id: str, events: int, now: datetime) -> None:
        """Count ``events`` for ``display_id`` today (UTC), or raise TooMany (nothing counted) past the allowance."""
        day = now.date().isoformat()
        with self._lock:
            if day != self._day:  # a new UTC day: every display starts again
                self._day, self._used = day, {}
            used = self._used.get(display_id, 0)
            if used + events > self.per_day:
                raise TooMany(
                    f"events: this display already sent {used} play events today (UTC) and may send "
                    f"{self.per_day} a day (play_events_max_per_day); keep them and send them after 00:00 UTC",
                    field="events",
                )
            self._used[display_id] = used + events

    def used(self, display_id: str) -> int:
        with self._lock:
            return self._used.get(display_id, 0)
