"""Explanations staff can act on: where an item plays, and why it never does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from playlists.compiler import DEFAULT_HORIZON_S, CompiledTimeline, compile_display, never_reason
from playlists.intervals import subtract
from playlists.model import Display, ItemSpec, Playlist, Rule
from playlists.targets import TargetIndex
from playlists.warnings import REASONS, ScheduleWarning
from playlists.windows import operating_spans, rule_spans


@dataclass(frozen=True)
class ItemExplanation:
    item_id: str
    plays: dict[str, int] = field(default_factory=dict)  # display id -> plays in the horizon
    seconds: dict[str, int] = field(default_factory=dict)  # display id -> seconds on screen
    warnings: tuple[ScheduleWarning, ...] = ()

    @property
    def plays_anywhere(self) -> bool:
        return any(self.plays.values())


def rules_using(item_id: str, rules: Iterable[Rule], playlists: Mapping[str, Playlist]) -> list[Rule]:
    out = []
    for rule in rules:
        if rule.item == item_id or (
            rule.playlist is not None and item_id in playlists.get(rule.playlist, Playlist("", ())).items
        ):
            out.append(rule)
    return out


def never_warning(item_id: str, reason: str, **ids: str | None) -> ScheduleWarning:
    """A ``never_plays`` warning for ``item_id`` with ``reason`` (a REASONS key)."""
    return _never(item_id, reason, **ids)


def _never(item_id: str, reason: str, **ids: str | None) -> ScheduleWarning:
    where = f" on display {ids['display_id']}" if ids.get("display_id") else ""
    via = f" (rule {ids['rule_id']})" if ids.get("rule_id") else ""
    return ScheduleWarning(
        "never_plays",
        f"Item {item_id} never plays{where} in this horizon{via}: {REASONS[reason]}.",
        display_id=ids.get("display_id"),
        rule_id=ids.get("rule_id"),
        item_id=item_id,
        detail={"reason": reason},
    )


def explain_item(
    item_id: str,
    rules: Sequence[Rule],
    displays: Iterable[Display],
    items: Mapping[str, ItemSpec],
    horizon_start: datetime,
    horizon_s: int = DEFAULT_HORIZON_S,
    *,
    playlists: Mapping[str, Playlist] | None = None,
    compiled: Mapping[str, CompiledTimeline] | None = None,
    unavailable: Mapping[str, str] | None = None,
) -> ItemExplanation:
    """How often ``item_id`` plays on each targeted display, and if never, why.

    ``compiled`` may hold already compiled timelines (by display id); displays
    missing from it are compiled here. ``unavailable`` maps display ids where
    the item cannot be on the timeline at all to the reason (a REASONS key,
    e.g. ``not_in_targets`` or ``media_not_ready``); that reason is given there.
    """
    playlists = playlists or {}
    index = TargetIndex(displays)
    using = rules_using(item_id, rules, playlists)
    if not using:
        return ItemExplanation(item_id, warnings=(_never(item_id, "no_rule"),))
    if item_id not in items:
        return ItemExplanation(item_id, warnings=(_never(item_id, "unknown_item"),))
    targeted = sorted({d for rule in using for d in index.resolve(rule.targets)})
    if not targeted:
        return ItemExplanation(item_id, warnings=tuple(_never(item_id, "no_display", rule_id=r.id) for r in using))
    plays: dict[str, int] = {}
    seconds: dict[str, int] = {}
    warnings: list[ScheduleWarning] = []
    for display_id in targeted:
        display = index.displays[display_id]
        if unavailable and display_id in unavailable:
            plays[display_id] = seconds[display_id] = 0
            for rule in using:
                if display_id in index.resolve(rule.targets):
                    warnings.append(_never(item_id, unavailable[display_id], display_id=display_id, rule_id=rule.id))
            continue
        timeline = (compiled or {}).get(display_id) or compile_display(
            display, rules, items, horizon_start, horizon_s, playlists=playlists
        )
        mine = [e for e in timeline.entries if e.item_id == item_id]
        plays[display_id] = len(mine)
        seconds[display_id] = sum(e.duration_s for e in mine)
        if mine:
            continue
        h0, h1 = timeline.horizon_start_s, timeline.horizon_end_s
        on = operating_spans(display, h0, h1)
        emergency = [
            s
            for r in rules
            if r.layer == "emergency" and display_id in index.resolve(r.targets)
            for s in rule_spans(r, display.timezone, h0, h1)
        ]
        available = subtract(on, sorted(emergency))
        for rule in using:
            if display_id not in index.resolve(rule.targets):
                continue
            if rule.layer == "overlay" and rule.zone not in display.zones:
                reason = "zone_missing"
            else:
                spans = rule_spans(rule, display.timezone, h0, h1)
                reason = never_reason(rule, spans, on, available)
            warnings.append(_never(item_id, reason, display_id=display_id, rule_id=rule.id))
    return ItemExplanation(item_id, plays, seconds, tuple(warnings))


def items_never_played(
    compiled: Mapping[str, CompiledTimeline],
    rules: Sequence[Rule],
    items: Mapping[str, ItemSpec],
    playlists: Mapping[str, Playlist] | None = None,
) -> list[ScheduleWarning]:
    """One ``never_plays`` warning per scheduled item that plays on no display at all.

    Uses the per-display ``never_plays`` warnings of the compiled timelines, so
    it costs no expansion of entries.
    """
    playlists = playlists or {}
    silent = {(w.display_id, w.rule_id) for c in compiled.values() for w in c.warnings if w.code == "never_plays"}
    reasons: dict[str, set[str]] = {}
    for c in compiled.values():
        for w in c.warnings:
            if w.code == "never_plays" and w.rule_id is not None:
                reasons.setdefault(w.rule_id, set()).add(str(w.detail.get("reason", "crowded_out")))
    played: set[str] = set()
    for c in compiled.values():
        for loop in c.loops():
            for slot in loop.slots:
                if (c.display_id, slot.rule_id) not in silent:
                    played.add(slot.item_id)
    out = []
    for rule in sorted(rules, key=lambda r: r.id):
        ids = (rule.item,) if rule.item else playlists.get(rule.playlist or "", Playlist("", ())).items
        for item_id in ids:
            if item_id in played or item_id not in items:
                continue
            played.add(item_id)  # report each item once
            why = sorted(reasons.get(rule.id, set())) or ["no_display"]
            out.append(_never(item_id, why[0], rule_id=rule.id))
    return out
