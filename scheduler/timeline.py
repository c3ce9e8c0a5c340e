"""Announcements -> manifest timeline segments for one display.

Each interval between window boundaries becomes one segment per layer that
loops the items active in it; emergencies pre-empt (the player ranks layers).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from signage.clock import format_utc, parse_utc


def compile_timeline(
    announcements: list[dict[str, Any]], horizon_start: datetime, horizon_end: datetime
) -> list[dict[str, Any]]:
    cuts = {horizon_start, horizon_end}
    windows = []
    for ann in announcements:
        start = parse_utc(ann["starts_at"]) if ann["starts_at"] else horizon_start
        end = parse_utc(ann["ends_at"]) if ann["ends_at"] else horizon_end
        start, end = max(start, horizon_start), min(end, horizon_end)
        if start < end:
            windows.append((start, end, ann))
            cuts.update((start, end))
    ordered = sorted(cuts)
    segments: list[dict[str, Any]] = []
    for left, right in itertools.pairwise(ordered):
        for layer in ("emergency", "interrupt", "normal", "fallback"):
            loop = [a["item_id"] for s, e, a in windows if a["layer"] == layer and s <= left and right <= e]
            if not loop:
                continue
            previous = segments[-1] if segments else None
            if (
                previous
                and previous["layer"] == layer
                and previous["loop"] == loop
                and previous["end"] == format_utc(left)
            ):
                # contiguous identical loops would restart mid-cycle; keep them as one run
                previous["end"] = format_utc(right)
                continue
            segments.append(
                {
                    "start": format_utc(left),
                    "end": format_utc(right),
                    "zone": "main",
                    "layer": layer,
                    "loop": loop,
                    "why": f"{layer} announcements",
                }
            )
    return segments
