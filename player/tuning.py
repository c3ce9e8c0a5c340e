"""Player-local tuning that is not part of the shared ``PlayerConfig``.

These knobs only matter on the display PC (download parallelism, bandwidth
cap, cache quota, watchdog limits...). Defaults suit a Mempawah display PC on
a VSAT link; each can be overridden by an environment variable
(``SIGNAGE_PLAYER_<NAME>``, e.g. ``SIGNAGE_PLAYER_MAX_BANDWIDTH_KBPS=1500``) or,
for the common ones, a command-line option of ``signage player run``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger("player.tuning")

ENV_PREFIX = "SIGNAGE_PLAYER_"


@dataclass(frozen=True)
class PlayerTuning:
    #: Media downloads running at the same time.
    max_parallel_downloads: int = 2
    #: Bandwidth cap for media downloads in kbit/s (0: no cap).
    max_bandwidth_kbps: int = 0
    #: A new manifest goes live once the media of this much of its timeline (from now) are cached.
    commit_horizon_s: float = 6 * 3600.0
    #: Cache size above which media no manifest needs are evicted, least recently used first.
    cache_quota_mb: int = 20_000
    #: The background verifier re-hashes one cached file every this many seconds (0: off).
    verify_interval_s: float = 20.0
    #: Heartbeat period.
    heartbeat_interval_s: float = 60.0
    #: Rebuild the renderer at the next item boundary above this resident memory (0: off).
    memory_ceiling_mb: int = 1500
    #: Render watchdog: a playing video without a new frame for this long is a stall.
    video_stall_s: float = 10.0
    #: Proof of play: above this many queued rows the oldest are aggregated per item and hour.
    playlog_max_rows: int = 200_000
    #: Proof of play: events per upload request (the server takes at most 2000).
    playlog_batch: int = 500
    #: Index of the screen to cover in fullscreen (-1: the primary screen).
    screen: int = -1
    #: Try to switch off screen blanking / DPMS at start (X11 ``xset``, Windows API).
    prevent_blanking: bool = True
    #: Subscribe to the scheduler's server-sent events.
    use_events: bool = True
    #: Warn in the heartbeat when the data directory's disk has less than this free.
    low_disk_mb: int = 200
    #: Launcher: a new release that has not synced and painted within this many seconds is rolled back.
    update_health_timeout_s: float = 600.0
    #: Launcher: a new release that exits abnormally this many times before it is healthy is rolled back.
    update_max_crashes: int = 3

    @property
    def max_bandwidth_bps(self) -> float:
        """Bytes per second (0.0: unlimited)."""
        return self.max_bandwidth_kbps * 1000 / 8

    @property
    def cache_quota_bytes(self) -> int:
        return self.cache_quota_mb * 1_000_000

    @property
    def low_disk_bytes(self) -> int:
        return self.low_disk_mb * 1_000_000

    @property
    def memory_ceiling_bytes(self) -> int:
        return self.memory_ceiling_mb * 1_000_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> PlayerTuning:
        """Defaults, then ``SIGNAGE_PLAYER_*`` variables, then ``overrides`` (None values ignored)."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for spec in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + spec.name.upper())
            if raw is None or raw == "":
                continue
            try:
                values[spec.name] = _convert(raw, spec.type)
            except ValueError:
                log.warning("ignoring %s%s=%r: not a valid %s", ENV_PREFIX, spec.name.upper(), raw, spec.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _convert(raw: str, type_name: object) -> object:
    name = str(type_name)
    if name == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if name == "int":
        return int(raw)
    if name == "float":
        return float(raw)
    return raw
