"""Shared builders for the playlists tests (exposed as fixtures: importlib mode)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from playlists.codec import parse_display, parse_item, parse_rule
from playlists.model import Display, ItemSpec, Rule

H0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 07:00 in Asia/Pontianak


def item(item_id: str, duration_s: float = 10, **extra: Any) -> ItemSpec:
    return parse_item({"id": item_id, "type": extra.pop("type", "text"), "duration_s": duration_s, **extra})


def rule(rule_id: str, item_id: str, **extra: Any) -> Rule:
    extra.setdefault("targets", {"all": True})
    return parse_rule({"id": rule_id, "item": item_id, **extra})


def display(display_id: str = "d1", **extra: Any) -> Display:
    return parse_display({"id": display_id, **extra})


@pytest.fixture
def h0() -> datetime:
    return H0


@pytest.fixture
def mk() -> Callable[..., Any]:
    """``mk.item / mk.rule / mk.display`` builders."""

    class Builders:
        pass

    b = Builders()
    b.item = item  # type: ignore[attr-defined]
    b.rule = rule  # type: ignore[attr-defined]
    b.display = display  # type: ignore[attr-defined]
    return b  # type: ignore[return-value]


def entry_at(entries: list[Any], zone: str, instant_s: int) -> Any:
    for e in entries:
        if e.zone == zone and e.start_s <= instant_s < e.end_s:
            return e
    return None


def check_invariants(timeline: Any) -> None:
    """No overlap per zone; the main zone covered without holes unless warned."""
    by_zone: dict[str, list[Any]] = {}
    for e in timeline.entries:
        by_zone.setdefault(e.zone, []).append(e)
    for zone_name, entries in by_zone.items():
        for a, b in itertools.pairwise(entries):
            assert a.end_s <= b.start_s, f"overlap in {zone_name}: {a} / {b}"
            assert a.start_s < a.end_s
    main = by_zone.get("main", [])
    if not any(w.code == "main_zone_empty" for w in timeline.warnings):
        assert main[0].start_s == timeline.horizon_start_s
        assert main[-1].end_s == timeline.horizon_end_s
        for a, b in itertools.pairwise(main):
            assert a.end_s == b.start_s, f"hole in main between {a} and {b}"


@pytest.fixture
def check() -> Callable[[Any], None]:
    return check_invariants


@pytest.fixture
def at() -> Callable[..., Any]:
    return entry_at
