"""Which displays need recompiling after a change (the scheduler recompiles only those)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from playlists.codec import rule_to_dict
from playlists.model import Display, Playlist, Rule
from playlists.targets import TargetIndex


def _index(displays: Iterable[Display] | TargetIndex) -> TargetIndex:
    return displays if isinstance(displays, TargetIndex) else TargetIndex(displays)


def _schedule_shape(rule: Rule) -> dict[str, object]:
    shape = rule_to_dict(rule)
    shape.pop("title", None)  # a title never reaches a timeline
    return shape


def affected_displays(old: Rule | None, new: Rule | None, displays: Iterable[Display] | TargetIndex) -> list[str]:
    """Sorted ids of displays whose timeline may change when ``old`` becomes ``new``.

    ``old`` None means the rule was added, ``new`` None that it was deleted. A
    change that cannot alter any timeline (same rule, or only its title) affects
    nothing; otherwise every display either version targets is affected.
    """
    if old is None and new is None:
        return []
    if old is not None and new is not None and _schedule_shape(old) == _schedule_shape(new):
        return []
    index = _index(displays)
    ids: set[str] = set()
    for rule in (old, new):
        if rule is not None:
            ids |= index.resolve(rule.targets)
    return sorted(ids)


def affected_by_item(
    item_id: str,
    rules: Sequence[Rule],
    displays: Iterable[Display] | TargetIndex,
    playlists: Mapping[str, Playlist] | None = None,
) -> list[str]:
    """Displays to recompile when an item's duration, size or existence changes."""
    index = _index(displays)
    playlists = playlists or {}
    ids: set[str] = {d.id for d in index.displays.values() if item_id in d.fallback}
    for rule in rules:
        uses = rule.item == item_id or (
            rule.playlist is not None and item_id in playlists.get(rule.playlist, Playlist("", ())).items
        )
        if uses:
            ids |= index.resolve(rule.targets)
    return sorted(ids)


def affected_by_playlist(
    playlist_id: str, rules: Sequence[Rule], displays: Iterable[Display] | TargetIndex
) -> list[str]:
    """Displays to recompile when a playlist's item list changes."""
    index = _index(displays)
    ids: set[str] = set()
    for rule in rules:
        if rule.playlist == playlist_id:
            ids |= index.resolve(rule.targets)
    return sorted(ids)
