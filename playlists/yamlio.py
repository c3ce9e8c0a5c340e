"""YAML import/export of items, playlists, rules and displays (pure: text in, text out).

The document is a mapping with optional lists ``items``, ``playlists``,
``rules`` and ``displays``, each entry in the same dict shape as
:mod:`playlists.codec`. Errors are :class:`signage.errors.ConfigError` naming
the file, the line and the field (``rules[2].dayparts[0].end``).

YAML 1.1 would read ``22:00`` as the number 1320 and ``2026-12-01`` as a
date; this loader keeps both as text, so staff need not quote times.
``load_document(dump_document(doc)) == doc`` for every valid document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from playlists.codec import (
    display_to_dict,
    item_to_dict,
    parse_display,
    parse_item,
    parse_playlist,
    parse_rule,
    playlist_to_dict,
    rule_to_dict,
)
from playlists.model import Display, ItemSpec, Playlist, Rule
from playlists.targets import validate_rules
from signage.errors import ConfigError, UserError
from signage.yamlsafe import NoAliasSafeDumper, NoAliasSafeLoader

SECTIONS = ("items", "playlists", "rules", "displays")


class _Loader(NoAliasSafeLoader):
    """SafeLoader without timestamps and without base-60 numbers, refusing duplicate keys and aliases."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # unhashable: SafeLoader refuses it itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (YAML keeps only the last one)", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?(?:0|[1-9][0-9_]*))$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


@dataclass(frozen=True)
class Document:
    items: tuple[ItemSpec, ...] = ()
    playlists: tuple[Playlist, ...] = ()
    rules: tuple[Rule, ...] = ()
    displays: tuple[Display, ...] = ()
    # the sections the file has (even empty ones): an import leaves the others untouched
    sections: frozenset[str] = field(default=frozenset(SECTIONS), compare=False)


def _line_of(root: yaml.Node | None, path: str) -> int | None:
    """1-based line of the deepest node along ``rules[2].dayparts[0].end``."""
    if root is None:
        return None
    node: yaml.Node = root
    line = node.start_mark.line + 1
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("[") and isinstance(node, yaml.SequenceNode):
            i = int(part[1:-1])
            if i >= len(node.value):
                break
            node = node.value[i]
        elif isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
            if not found:
                break
            line = found[0][0].start_mark.line + 1
            node = found[0][1]
            continue
        else:
            break
        line = node.start_mark.line + 1
    return line


def _strip_field(message: str, field: str | None) -> str:
    prefix = f"{field}: "
    return message[len(prefix) :] if field and message.startswith(prefix) else message


def _section(
    data: dict[str, Any],
    name: str,
    parse: Callable[[Any], Any],
    root: yaml.Node | None,
    filename: str,
) -> tuple[Any, ...]:
    raw = data.get(name) or []
    if not isinstance(raw, list):
        raise ConfigError(filename, name, "expected a list", _line_of(root, name))
    out = []
    ids: set[str] = set()
    for i, entry in enumerate(raw):
        try:
            obj = parse(entry)
        except UserError as exc:
            field = f"{name}[{i}]" + (f".{exc.field}" if exc.field and exc.field != "(top)" else "")
            raise ConfigError(filename, field, _strip_field(exc.message, exc.field), _line_of(root, field)) from None
        if obj.id in ids:
            field = f"{name}[{i}].id"
            raise ConfigError(filename, field, f"duplicate id {obj.id!r}", _line_of(root, field))
        ids.add(obj.id)
        out.append(obj)
    return tuple(out)


def load_document(
    text: str,
    filename: str = "<yaml>",
    *,
    known_displays: Iterable[Display] = (),
    known_item_ids: Iterable[str] = (),
    known_groups: Iterable[str] = (),
) -> Document:
    """Parse and validate a YAML document.

    Rule targets are checked against the document's displays (which replace
    ``known_displays`` of the same id) plus ``known_displays``, and may also
    name any of ``known_groups`` (groups that exist even without displays).
    Without ``known_item_ids``, the document's ``items`` are the known items;
    with them, every ``items`` entry must be one of them (the section only
    describes stored items) and rules and playlists are checked against them.
    """
    try:
        data = yaml.load(text, Loader=_Loader)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(filename, None, f"malformed YAML: {problem}", mark.line + 1 if mark else None) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(filename, None, "the top level must be a mapping with items/playlists/rules/displays", 1)
    for key in data:
        if key not in SECTIONS:
            raise ConfigError(
                filename, str(key), f"unknown section (known: {', '.join(SECTIONS)})", _line_of(root, str(key))
            )
    doc = Document(
        items=_section(data, "items", parse_item, root, filename),
        playlists=_section(data, "playlists", parse_playlist, root, filename),
        rules=_section(data, "rules", parse_rule, root, filename),
        displays=_section(data, "displays", parse_display, root, filename),
        sections=frozenset(str(k) for k in data),
    )
    in_file = {d.id for d in doc.displays}
    displays = list(doc.displays) + [d for d in known_displays if d.id not in in_file]
    stored_items = set(known_item_ids)
    if stored_items:
        for i, spec in enumerate(doc.items):
            if spec.id not in stored_items:
                field_name = f"items[{i}].id"
                raise ConfigError(
                    filename,
                    field_name,
                    f"unknown item {spec.id!r}: items are the stored announcements (this section only lists them)",
                    _line_of(root, field_name),
                )
    item_ids = stored_items or {i.id for i in doc.items}
    playlists = {p.id: p for p in doc.playlists}
    for i, playlist in enumerate(doc.playlists):
        for k, item_id in enumerate(playlist.items):
            if item_ids and item_id not in item_ids:
                field = f"playlists[{i}].items[{k}]"
                raise ConfigError(filename, field, f"unknown item {item_id!r}", _line_of(root, field))
    try:
        validate_rules(
            doc.rules,
            displays or None,
            item_ids or None,
            playlists if (doc.playlists or item_ids) else None,
            known_groups=known_groups,
        )
    except UserError as exc:
        field = exc.field or "rules"
        raise ConfigError(filename, field, _strip_field(exc.message, field), _line_of(root, field)) from None
    return doc


def document_to_dict(doc: Document, *, all_sections: bool = False) -> dict[str, Any]:
    """The document as plain data; empty sections are left out unless ``all_sections``."""
    out: dict[str, Any] = {}
    if doc.items or all_sections:
        out["items"] = [item_to_dict(i) for i in doc.items]
    if doc.playlists or all_sections:
        out["playlists"] = [playlist_to_dict(p) for p in doc.playlists]
    if doc.rules or all_sections:
        out["rules"] = [rule_to_dict(r) for r in doc.rules]
    if doc.displays or all_sections:
        out["displays"] = [display_to_dict(d) for d in doc.displays]
    return out


def dump_document(doc: Document, *, all_sections: bool = False) -> str:
    """YAML text of ``doc`` (canonical: defaults left out, fixed key order).

    An export writes ``all_sections`` (even empty ones, ``playlists: []``), so
    importing it replaces every section, emptying what is empty.
    """
    return yaml.dump(
        document_to_dict(doc, all_sections=all_sections),
        Dumper=NoAliasSafeDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
