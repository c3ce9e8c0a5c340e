"""Which displays a rule addresses, and refusing targets that name nothing.

:class:`TargetIndex` maps display ids, groups and tags to display ids once,
so resolving a rule costs a few set unions instead of a scan of all displays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from playlists.model import Display, Rule, Targets
from signage.errors import UserError


def targets_display(targets: Targets, display: Display) -> bool:
    if targets.all:
        return True
    ids, groups, tags = targets.names
    return display.id in ids or not groups.isdisjoint(display.groups) or not tags.isdisjoint(display.tags)


class TargetIndex:
    def __init__(self, displays: Iterable[Display]) -> None:
        self.displays: dict[str, Display] = {d.id: d for d in displays}
        self.by_group: dict[str, set[str]] = defaultdict(set)
        self.by_tag: dict[str, set[str]] = defaultdict(set)
        for display in self.displays.values():
            for group in display.groups:
                self.by_group[group].add(display.id)
            for tag in display.tags:
                self.by_tag[tag].add(display.id)

    def resolve(self, targets: Targets) -> set[str]:
        """Ids of the known displays ``targets`` addresses."""
        if targets.all:
            return set(self.displays)
        out = {d for d in targets.displays if d in self.displays}
        for group in targets.groups:
            out |= self.by_group.get(group, set())
        for tag in targets.tags:
            out |= self.by_tag.get(tag, set())
        return out

    def check(self, rule: Rule, extra_groups: frozenset[str] = frozenset()) -> None:
        """Refuse a rule naming a display, group or tag that no known display has (or in ``extra_groups``)."""
        for key, names, known in (
            ("displays", rule.targets.displays, self.displays),
            ("groups", rule.targets.groups, self.by_group.keys() | extra_groups),
            ("tags", rule.targets.tags, self.by_tag),
        ):
            for i, name in enumerate(names):
                if name not in known:
                    field = f"targets.{key}[{i}]"
                    raise UserError(f"{field}: unknown {key[:-1]} {name!r} (no display has it)", field=field)


def validate_rules(
    rules: Sequence[Rule],
    displays: Iterable[Display] | None,
    item_ids: Iterable[str] | None,
    playlists: Mapping[str, object] | None = None,
    *,
    known_groups: Iterable[str] = (),
) -> None:
    """Refuse duplicate ids and unknown targets, items and playlists.

    A None argument skips that check. ``known_groups`` are groups that exist
    even if no display has them (yet). ``field`` is ``rules[i].<path>``.
    """
    index = TargetIndex(displays) if displays is not None else None
    known_items = set(item_ids) if item_ids is not None else None
    groups = frozenset(known_groups)
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        prefix = f"rules[{i}]"
        if rule.id in seen:
            raise UserError(f"{prefix}.id: duplicate rule id {rule.id!r}", field=f"{prefix}.id")
        seen.add(rule.id)
        if index is not None:
            try:
                index.check(rule, groups)
            except UserError as exc:
                raise UserError(f"{prefix}.{exc.message}", field=f"{prefix}.{exc.field}") from None
        if known_items is not None and rule.item is not None and rule.item not in known_items:
            raise UserError(f"{prefix}.item: unknown item {rule.item!r}", field=f"{prefix}.item")
        if playlists is not None and rule.playlist is not None and rule.playlist not in playlists:
            raise UserError(f"{prefix}.playlist: unknown playlist {rule.playlist!r}", field=f"{prefix}.playlist")
