"""YAML loaders that refuse anchors' aliases (``*name``).

PyYAML builds an aliased value once and shares it, so a few hundred bytes of nested aliases ("billion laughs")
load quickly, but anything that walks or prints the result (validation, an error message naming the value)
expands it to gigabytes. Nothing we read needs aliases (our own exports write none), so a document using one is
refused at its line with a plain reason, as malformed YAML is.
"""

from __future__ import annotations

from typing import Any

import yaml

ALIAS_PROBLEM = "anchors and aliases (&name / *name) are not accepted; write each value out in full"


class NoAliasSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that raises a ``ComposerError`` (a ``YAMLError`` with its line) at the first alias."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, ALIAS_PROBLEM, mark)
        return super().compose_node(parent, index)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` without aliases."""
    return yaml.load(text, Loader=NoAliasSafeLoader)


class NoAliasSafeDumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that writes a value seen twice out in full instead of as an alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
