"""Share-of-voice interrupts: when each spot is due, spread evenly through the hour.

A rule with share *S* seconds per hour and a spot of *d* seconds (its item, or
its playlist played through) plays at rate ``r = S / d`` per hour. Hour *H*
(UTC-aligned, i.e. local hours in every Indonesian zone) gets
``floor((H+1) r) - floor(H r)`` spots, so fractional rates even out exactly
over consecutive hours, at ``H + (k + phase) * usable / n``; ``phase``
staggers the display's interrupt rules so they do not all fall due at once.
A due spot waits for the current round-robin item to finish (and for spots
already waiting), so ``usable = 3600 - margin`` where the margin is the longest
looped item plus one spot of every interrupt: a spot due in an hour then also
plays inside that hour, which keeps every full hour within one spot of its
share.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from playlists.intervals import Span

HOUR_S = 3600


def due_times(spans: Sequence[Span], s_per_h: float, spot_s: int, phase: float, margin_s: int = 0) -> list[int]:
    """Nominal start instants (Unix seconds) of the spots inside ``spans``."""
    rate = s_per_h / spot_s
    usable_s = max(HOUR_S - margin_s, HOUR_S // 2)
    out: list[int] = []
    for start, end in spans:
        hour = start // HOUR_S
        while hour * HOUR_S < end:
            count = math.floor((hour + 1) * rate) - math.floor(hour * rate)
            if count > 0:
                step = usable_s / count
                base = hour * HOUR_S
                for k in range(count):
                    t = base + int((k + phase) * step)
                    if start <= t < end:
                        out.append(t)
            hour += 1
    return out


def overloaded_hours(
    active: Sequence[tuple[str, float, Sequence[Span]]],
) -> dict[tuple[str, ...], list[int]]:
    """Rule sets whose shares add up to more than an hour -> the hours (index) it happens.

    ``active`` holds (rule id, seconds per hour, spans where the rule is live).
    """
    per_hour: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for rule_id, s_per_h, spans in active:
        hours: set[int] = set()
        for start, end in spans:
            hours.update(range(start // HOUR_S, (end - 1) // HOUR_S + 1))
        for hour in hours:
            per_hour[hour].append((rule_id, s_per_h))
    out: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for hour in sorted(per_hour):
        shares = per_hour[hour]
        if sum(s for _, s in shares) > HOUR_S + 1e-9:
            out[tuple(sorted(r for r, _ in shares))].append(hour)
    return dict(out)
