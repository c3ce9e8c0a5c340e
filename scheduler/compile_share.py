"""Displays alike compile once per publish: the same settings and rules give the same timeline.

A timeline depends on a display's settings (timezone, canvas, zones, hours, fallback), the
rules reaching it and its items -- never on its id, which only its warnings name. So one
compile, under a placeholder id, serves every display of such a class; each gets a copy
naming it (``CompiledTimeline.as_display``), sharing the columns and the timeline's JSON.
Each display's manifest is still built, signed and gzipped for it: bytes are as before.

The publisher orders a batch by :func:`class_order_key` so a class's displays are rendered
one after another (in the same worker process); :class:`SharedCompiles` keeps the last few.
"""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from dataclasses import replace
from typing import Any

from playlists.budget import CompileRefused
from playlists.compiler import CompiledTimeline, rules_addressing, rules_targeting
from playlists.model import Display, ItemSpec, Rule
from scheduler.schedule import compile_for_display, display_model

#: The id a shared compile runs under: never a display id (a NUL cannot be stored as one).
PLACEHOLDER_ID = "\x00display\x00"
#: Classes kept at once: a batch ordered by class needs one; a few cover interleaving.
KEPT_CLASSES = 4


class SharedCompiles:
    """Compiles of one publish (one rules/now context), shared by displays alike."""

    def __init__(self, kept: int = KEPT_CLASSES) -> None:
        self.kept = kept
        self._by_class: OrderedDict[tuple[Any, ...], CompiledTimeline] = OrderedDict()
        self.compiles = 0  # compiles actually run (the others were shared)

    def compile(self, model: Display, specs: dict[str, ItemSpec], ctx: Any) -> CompiledTimeline:
        """``compile_for_display(model, ctx.rules, ...)``, from a display alike when one was compiled."""
        mine = rules_targeting(model, ctx.rules)
        key = (replace(model, id=PLACEHOLDER_ID), tuple(id(rule) for rule in mine), tuple(specs.items()))
        shared = self._by_class.get(key)
        if shared is None:
            try:
                shared = compile_for_display(
                    replace(model, id=PLACEHOLDER_ID), mine, specs, ctx.playlists, ctx.now, ctx.horizon_days,
                    budget_s=ctx.compile_budget_s, rules_targeted=True,
                )  # fmt: skip
            except CompileRefused:  # compiled again under its own id: the refusal names it
                self.compiles += 1
                return compile_for_display(
                    model, ctx.rules, specs, ctx.playlists, ctx.now, ctx.horizon_days, budget_s=ctx.compile_budget_s
                )
            self.compiles += 1
            self._by_class[key] = shared
            while len(self._by_class) > self.kept:
                self._by_class.popitem(last=False)
        else:
            self._by_class.move_to_end(key)
        return shared.as_display(model.id, PLACEHOLDER_ID)


def rules_reaching_any(rules: list[Rule], displays: list[Display]) -> list[Rule]:
    """The rules reaching at least one of ``displays``, in order: what a batch's compiles can use.

    Each display's compile still picks its own rules from these (``rules_targeting``), so the result is
    the same as with every rule; a batch of ten displays no longer carries (and scans, per display, and
    pickles for the worker processes) thousands of rules meant for other displays.
    """
    return rules_addressing(
        rules,
        frozenset(d.id for d in displays),
        frozenset(g for d in displays for g in d.groups),
        frozenset(t for d in displays for t in d.tags),
    )


def personal_rules(rules: list[Rule]) -> dict[str, list[str]]:
    """Display id -> the ids of the rules naming it in their targets."""
    out: dict[str, list[str]] = defaultdict(list)
    for rule in rules:
        for display_id in rule.targets.names[0]:
            out[display_id].append(rule.id)
    return out


def class_order_key(display: dict[str, Any], items: dict[str, Any], personal: dict[str, list[str]]) -> str:
    """Equal for displays that (likely) compile alike: a batch sorted by it renders a class together.

    Only an order: :class:`SharedCompiles` decides what is shared, on the exact inputs.
    """
    model = replace(display_model(display), id=PLACEHOLDER_ID)
    return json.dumps([repr(model), items, personal.get(display["id"], [])], sort_keys=True, default=str)
