"""What a display's manifest is made from, as one digest: the same digest, the same manifest content.

A render (``scheduler.manifest_render``) is a pure function of the display's row, its manifest items
(media variants, slide PNGs, data slides' values and their durations), the rules and refused rules
reaching it, the playlists, the horizon (start of the display's local day, length), the signing key
and the static-tree flag. :class:`InputDigests` hashes exactly those, so a publisher that already
published a version from the same inputs knows the content is unchanged without compiling: the
5-minute republish loop and the start-up publish (after the first) cost a hash per display, not a
compile (~60 ms each in a 1,000-display world).

Rules are matched to displays through an index (all / display id / group / tag) that gives the same
set as ``playlists.compiler.rules_targeting``; a rule enters as the digest of its dataclass ``repr``
(every field). The whole ``displays`` row enters, not only what the compile reads: a change to any of
its columns costs a compile, never a missed republish.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from playlists.model import Display
from scheduler.manifest_render import RenderContext, RenderJob
from scheduler.schedule import horizon_start
from signage.canonical import canonical_json

#: Bumped when what a render makes of the same inputs changes (the digests are only kept in memory, so
#: a new version of the code starts from compiles anyway; this guards code reloaded in place).
RENDER_INPUTS_VERSION = 1


class InputDigests:
    """Digests of render inputs for one publish (one :class:`RenderContext`)."""

    def __init__(self, ctx: RenderContext) -> None:
        self.ctx = ctx
        self._everyone: list[int] = []
        self._by_display: dict[str, list[int]] = defaultdict(list)
        self._by_group: dict[str, list[int]] = defaultdict(list)
        self._by_tag: dict[str, list[int]] = defaultdict(list)
        for position, rule in enumerate(ctx.rules):
            targets = rule.targets
            if targets.all:
                self._everyone.append(position)
                continue
            for name in targets.displays:
                self._by_display[name].append(position)
            for name in targets.groups:
                self._by_group[name].append(position)
            for name in targets.tags:
                self._by_tag[name].append(position)
        self._rule_text: dict[int, bytes] = {}  # position -> digest of the rule's repr (this publish only)
        common = hashlib.sha256(f"render-inputs/{RENDER_INPUTS_VERSION}\n".encode())
        common.update(repr(ctx.playlists).encode())
        common.update(
            canonical_json(
                {
                    "horizon_days": ctx.horizon_days,
                    "key_id": ctx.key_id,
                    "introductions": ctx.introductions,
                    "static_tree": ctx.static_tree,
                }
            )
        )
        self._common = common

    def digest(self, job: RenderJob, model: Display) -> str:
        """The digest of everything ``job``'s render reads (not its version: that is the output's number).

        ``model``: the display's parsed settings (``display_model(job.display)``)."""
        h = self._common.copy()
        h.update(canonical_json({"display": job.display, "items": job.items}))
        h.update(horizon_start(self.ctx.now, model.timezone).isoformat().encode())
        positions = self._positions(model)
        for position in positions:
            text = self._rule_text.get(position)
            if text is None:
                text = self._rule_text[position] = hashlib.sha256(repr(self.ctx.rules[position]).encode()).digest()
            h.update(text)
        refused = [r for r in self.ctx.refused if r.targets_display(model)]
        h.update(repr(refused).encode())
        return h.hexdigest()

    def _positions(self, display: Display) -> list[int]:
        positions = set(self._everyone)
        positions.update(self._by_display.get(display.id, ()))
        for group in display.groups:
            positions.update(self._by_group.get(group, ()))
        for tag in display.tags:
            positions.update(self._by_tag.get(tag, ()))
        return sorted(positions)
