"""Typed schedule model: items, displays, rules, playlists.

All objects are frozen and hashable, so the compiler can cache on them. Times
of day are minutes after local midnight; validity bounds are naive local wall
times in ``Rule.timezone`` (or, when that is None, in each display's own zone).
The dict shapes (what the scheduler stores as JSON and the YAML import reads)
live in :mod:`playlists.codec` and are documented in ``docs/schedule.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from signage.clock import DEFAULT_TIMEZONE
from signage.manifest import ITEM_TYPES as ITEM_TYPES  # the one definition (what a manifest item may be)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE_LAYERS = ("emergency", "interrupt", "normal", "fallback", "overlay")
ZONE_NAMES = ("main", "ticker", "logo", "clock", "side", "top", "bottom")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Daypart:
    """A local time-of-day window; ``end_min <= start_min`` runs past midnight."""

    start_min: int
    end_min: int

    @property
    def overnight(self) -> bool:
        return self.end_min <= self.start_min

    @property
    def length_min(self) -> int:
        return (self.end_min - self.start_min) % MINUTES_PER_DAY or MINUTES_PER_DAY


@dataclass(frozen=True)
class OperatingWindow:
    """On-hours of a display: a daypart on some weekdays (empty ``days`` = every day)."""

    daypart: Daypart
    days: tuple[int, ...] = ()


@dataclass(frozen=True)
class Targets:
    """Whom a rule addresses: the union of these display ids, groups and tags."""

    displays: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    all: bool = False

    @property
    def empty(self) -> bool:
        return not (self.all or self.displays or self.groups or self.tags)

    @cached_property
    def names(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """(display ids, groups, tags) as sets, computed once (targets are frozen)."""
        return frozenset(self.displays), frozenset(self.groups), frozenset(self.tags)


@dataclass(frozen=True)
class Share:
    """Share of voice of an interrupt: exactly one of the two is set."""

    seconds_per_hour: float | None = None
    percent: float | None = None

    @property
    def effective_s_per_h(self) -> float:
        if self.seconds_per_hour is not None:
            return self.seconds_per_hour
        assert self.percent is not None
        return self.percent * 36.0


@dataclass(frozen=True)
class ItemSpec:
    """What the compiler needs to know about a piece of content."""

    id: str
    type: str
    duration_s: float
    title: str = ""
    width_px: int | None = None
    height_px: int | None = None

    @property
    def slot_s(self) -> int:
        """Whole seconds the item occupies on a timeline (the manifest's ``duration_s``)."""
        return max(1, math.ceil(self.duration_s - 1e-9))

    @property
    def orientation(self) -> str | None:
        if not self.width_px or not self.height_px:
            return None
        if self.width_px == self.height_px:
            return "square"
        return "landscape" if self.width_px > self.height_px else "portrait"


@dataclass(frozen=True)
class Display:
    id: str
    timezone: str = DEFAULT_TIMEZONE
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    width_px: int = 1920
    height_px: int = 1080
    rotation_deg: int = 0
    zones: tuple[str, ...] = ("main",)
    operating_hours: tuple[OperatingWindow, ...] = ()  # empty: always on
    fallback: tuple[str, ...] = ()  # item ids looped when no rule has anything

    @property
    def shown_size_px(self) -> tuple[int, int]:
        """Width and height as viewers see them (after rotation)."""
        if self.rotation_deg in (90, 270):
            return self.height_px, self.width_px
        return self.width_px, self.height_px

    @property
    def orientation(self) -> str:
        w, h = self.shown_size_px
        return "square" if w == h else ("landscape" if w > h else "portrait")


@dataclass(frozen=True)
class Playlist:
    """A named, ordered list of item ids a rule can schedule as one block."""

    id: str
    items: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    item: str | None = None
    playlist: str | None = None
    layer: str = "normal"
    zone: str = "main"
    targets: Targets = field(default_factory=Targets)
    valid_from: datetime | None = None  # naive local wall time
    valid_until: datetime | None = None  # naive local wall time, exclusive
    timezone: str | None = None  # zone of valid_from/valid_until; None = display's zone
    days: tuple[int, ...] = ()  # 0 = Monday; empty = every day
    dayparts: tuple[Daypart, ...] = ()  # empty = the whole day
    preset: str | None = None
    rrule: str | None = None
    exdates: tuple[date, ...] = ()
    share: Share | None = None  # interrupts only
    weight: int = 1  # normal / fallback / overlay
    max_per_hour: int | None = None  # normal / fallback / overlay
    title: str = ""
