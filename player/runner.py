"""Timeline runner: which item the main zone shows now, and until when.

The decision is plain arithmetic on the manifest (``Manifest.play_at``, the
reference implementation shared with the scheduler's preview) at the time
given by an injectable clock; a single-shot QTimer fires at the next item
boundary. The runner never decides from the wall clock directly.

Decision order for a zone at instant *t*:

1. ``play_at(t)`` returns an item -> play it (state ``playing``).
2. Some segment covers *t* but ``play_at`` returned None -> it is an ``off``
   segment (outside operating hours): black (state ``off``).
3. Nothing covers *t* and the manifest has ``fallback`` items -> loop them,
   anchored at the end of the last segment before *t* (state ``playing``).
4. No manifest, or nothing at all -> the built-in slate (state ``slate``).

Past its horizon (``valid_until``; the scheduler has been unreachable for
longer than the manifest covers) the manifest is not dropped: its last week
(or its last whole days, for a shorter manifest) is replayed without its
emergency segments, with source ``last_good`` and :attr:`TimelineRunner.past_horizon`
set, so the heartbeat can warn. Only a player that never had a manifest shows
the slate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from player.cache import LoadedManifest
from signage.clock import Clock
from signage.manifest import Item, Manifest

log = logging.getLogger("player.runner")

#: Re-decide at least this often (clock corrections, long items).
MAX_WAIT_S = 30.0
#: Fire this much after a boundary so the new item is certainly current.
BOUNDARY_SLACK_MS = 5
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Cue:
    """What one zone shows: an item from ``start`` to ``until``, or a state."""

    zone: str
    state: str  # "playing" | "off" | "slate"
    item: Item | None = None
    start: datetime | None = None
    until: datetime | None = None
    source: str = "slate"  # "manifest" | "last_good" | "local" | "slate"
    why: str = ""
    loop: tuple[str, ...] = ()  # the loop the item came from (to skip a failing item)
    layer: str = ""  # the timeline segment's layer ("emergency", "normal", ...); "" for fallback and states

    def same_play(self, other: Cue | None) -> bool:
        """True when ``other`` is the same play (no need to restart the visual)."""
        return (
            other is not None
            and other.state == self.state
            and other.start == self.start
            and other.item == self.item
        )


def decide(manifest: Manifest | None, moment: datetime, zone: str = "main",
           source: str = "manifest") -> Cue:
    """The cue for ``zone`` at ``moment`` (pure; see the module docstring)."""
    if manifest is None:
        return Cue(zone, "slate")
    segments = [s for s in manifest.timeline if s.zone == zone]
    next_change = min(
        (t for s in segments for t in (s.start, s.end) if t > moment), default=None
    )
    hit = manifest.play_at(moment, zone)
    if hit is not None:
        segment, item, item_start = hit
        item_end = item_start + timedelta(seconds=item.duration_s)
        until = min(item_end, segment.end, next_change or item_end)
        why = segment.why or segment.layer
        return Cue(zone, "playing", item, item_start, until, source, why, segment.loop, segment.layer)
    if any(s.start <= moment < s.end for s in segments):
        return Cue(zone, "off", until=next_change, source=source, why="off")
    if zone == "main" and manifest.fallback:
        anchor = max((s.end for s in segments if s.end <= moment), default=manifest.generated_at)
        if anchor > moment:
            anchor = moment
        period_s = manifest.loop_duration_s(manifest.fallback)
        offset_s = (moment - anchor).total_seconds() % period_s
        item_start = moment - timedelta(seconds=offset_s)
        for item_id in manifest.fallback:
            item = manifest.items[item_id]
            if offset_s < item.duration_s:
                break
            offset_s -= item.duration_s
            item_start += timedelta(seconds=item.duration_s)
        item_end = item_start + timedelta(seconds=item.duration_s)
        until = min(item_end, next_change or item_end)
        return Cue(zone, "playing", item, item_start, until, source, "fallback",
                   manifest.fallback)
    return Cue(zone, "slate", until=next_change)


def replay_period(manifest: Manifest) -> timedelta:
    """The period a manifest past its horizon is replayed with: a week, else its whole days."""
    span = manifest.valid_until - manifest.generated_at
    if span >= WEEK:
        return WEEK
    if span >= DAY:
        return DAY * (span // DAY)
    return max(span, timedelta(minutes=1))


def _without_emergencies(manifest: Manifest) -> Manifest:
    return replace(manifest, timeline=tuple(s for s in manifest.timeline if s.layer != "emergency"))


def decide_at(manifest: Manifest | None, moment: datetime, zone: str = "main", source: str = "manifest") -> Cue:
    """:func:`decide`, replaying the manifest's last period once ``moment`` is past its horizon."""
    if manifest is None or moment < manifest.valid_until or source == "local":
        return decide(manifest, moment, zone, source)
    period = replay_period(manifest)
    shift = period * ((moment - manifest.valid_until) // period + 1)
    cue = decide(_without_emergencies(manifest), moment - shift, zone, "last_good")
    return replace(
        cue,
        start=None if cue.start is None else cue.start + shift,
        until=None if cue.until is None else cue.until + shift,
        why=f"replay of {(moment - shift).date()} (manifest past its horizon)",
    )


def substitute(cue: Cue, failed: set[str], manifest: Manifest | None) -> Cue:
    """Replace a failed item by the next playable one of its loop, for the same slot.

    The timeline stays aligned (the slot keeps its start and end); if every
    item of the loop failed, the zone falls back to the slate, never to nothing.
    """
    if cue.item is None or cue.item.id not in failed or manifest is None:
        return cue
    loop = cue.loop or (cue.item.id,)
    at = loop.index(cue.item.id) if cue.item.id in loop else 0
    for step in range(1, len(loop) + 1):
        candidate = loop[(at + step) % len(loop)]
        if candidate not in failed:
            return replace(cue, item=manifest.items[candidate])
    return Cue(cue.zone, "slate", until=cue.until, why="every item failed")


class TimelineRunner(QObject):
    """Emits ``cueChanged`` whenever what ``zone`` shows changes.

    ``upcoming`` announces the cue after the current one (for preloading).
    ``skip(item_id)`` marks an item as unplayable until the next manifest.
    """

    cueChanged = Signal(object)  # Cue
    itemChanged = Signal(object, object)  # Item, item start (datetime); items only
    upcoming = Signal(object)  # Cue that follows the current one

    def __init__(self, clock: Clock, zone: str = "main", parent: QObject | None = None, *,
                 time_scale: float = 1.0) -> None:
        super().__init__(parent)
        self.clock = clock
        self.zone = zone
        self.time_scale = time_scale  # clock seconds per real second (accelerated tests/benchmarks)
        self.loaded: LoadedManifest | None = None
        self.cue: Cue | None = None
        self.next_cue: Cue | None = None
        self.failed: dict[str, str] = {}
        self._stopped = False  # after stop() nothing re-arms the timer or announces a cue
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # coarse may be 5% late
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self.reevaluate)

    def set_manifest(self, loaded: LoadedManifest | None) -> None:
        if (loaded is None or self.loaded is None or loaded.envelope != self.loaded.envelope
                or loaded.complete != self.loaded.complete):
            self.failed.clear()  # a new manifest, or media that were missing have arrived
        self.loaded = loaded
        self.reevaluate()

    @Slot(str, str)
    def skip(self, item_id: str, reason: str) -> None:
        """Stop playing ``item_id`` (it cannot be shown) until the manifest changes."""
        if item_id in self.failed:
            return
        log.warning("skipping item %s from now on: %s", item_id, reason)
        self.failed[item_id] = reason
        self.reevaluate()

    @Slot()
    def reevaluate(self) -> None:
        """Decide now, emit on change, and arm the timer for the next boundary."""
        if self._stopped:  # a late signal (a manifest loaded, a clock jump) after shutdown
            return
        now = self.clock()
        manifest = self.loaded.manifest if self.loaded else None
        source = self.loaded.source if self.loaded else "slate"
        failed = set(self.failed)
        cue = substitute(decide_at(manifest, now, self.zone, source), failed, manifest)
        if not cue.same_play(self.cue):
            self.cue = cue
            self._announce(cue)
        else:
            self.cue = cue
        wait_s = MAX_WAIT_S
        if cue.until is not None:
            wait_s = min(wait_s, max(0.0, (cue.until - now).total_seconds()))
            following = substitute(decide_at(manifest, cue.until, self.zone, source), failed,
                                    manifest)
            if not following.same_play(self.next_cue):
                self.next_cue = following
                self.upcoming.emit(following)
        self._timer.start(int(wait_s * 1000 / self.time_scale) + BOUNDARY_SLACK_MS)

    @property
    def past_horizon(self) -> bool:
        """True while the manifest is replayed past its ``valid_until``."""
        return self.loaded is not None and self.loaded.source != "local" and \
            self.clock() >= self.loaded.manifest.valid_until

    @property
    def timer_active(self) -> bool:
        return self._timer.isActive()

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()

    def _announce(self, cue: Cue) -> None:
        # main zone: "playing item ID (TYPE)"; overlays: "zone Z: playing item ID (TYPE)"
        where = "" if self.zone == "main" else f"zone {self.zone}: "
        if cue.item is not None:
            log.info("%splaying item %s (%s)", where, cue.item.id, cue.item.type)
        elif cue.state == "off":
            log.info("%soutside operating hours: screen off until %s", where, cue.until)
        elif self.zone == "main":
            log.info("showing slate")
        else:
            log.debug("%snothing to show", where)
        self.cueChanged.emit(cue)
        if cue.item is not None:
            self.itemChanged.emit(cue.item, cue.start)
