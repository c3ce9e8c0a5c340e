"""Records (CKAN rows, CSV lines, JSON objects) -> series, by a field mapping in the source's options.

A mapping::

    {"series": "agama", "title": "Agama", "label": "agama", "value": "jumlah",
     "male": "laki_laki", "female": "perempuan", "where": {"kecamatan": "MEMPAWAH HILIR"}}

Rows with the same label are added up (e.g. one row per village); ``where``
keeps only rows whose fields equal the given values. ``male``/``female``
are optional; without ``value`` the count is male + female.
"""

from __future__ import annotations

import re
from typing import Any

from content.sources.model import Category, Series
from content.sources.numbers import parse_count

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


class MappingError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def check_mappings(value: object, field: str = "options.mapping") -> list[dict[str, Any]]:
    """One mapping or a list of them, checked; MappingError names the field."""
    mappings = value if isinstance(value, list) else [value]
    if not mappings or not all(isinstance(m, dict) for m in mappings):
        raise MappingError(field, 'an object like {"series": "agama", "label": "agama", "value": "jumlah"}')
    for i, mapping in enumerate(mappings):
        where = f"{field}[{i}]" if isinstance(value, list) else field
        if not KEY_RE.match(str(mapping.get("series") or "")):
            raise MappingError(f"{where}.series", "a short key in lowercase letters, digits and '-', e.g. agama")
        if not isinstance(mapping.get("label"), str) or not mapping["label"]:
            raise MappingError(f"{where}.label", "the record field holding the category name")
        if not mapping.get("value") and not (mapping.get("male") and mapping.get("female")):
            raise MappingError(f"{where}.value", "the record field holding the count (or both male and female)")
        if "where" in mapping and not isinstance(mapping["where"], dict):
            raise MappingError(f"{where}.where", "an object {field: value}")
    return list(mappings)


def count_value(raw: object, where: str) -> int:
    """A count, also accepting ``"1,234"`` as PHP's number_format writes it."""
    if isinstance(raw, str) and re.fullmatch(r"-?\d{1,3}(,\d{3})+", raw.strip()):
        raw = raw.replace(",", "")
    return parse_count(raw, where)


def _count(record: dict[str, Any], field: str | None, where: str) -> int | None:
    if not field:
        return None
    if field not in record:
        raise ValueError(f"{where}: field {field!r} is missing")
    return count_value(record[field], f"{where}.{field}")


def series_from_records(records: list[dict[str, Any]], mapping: dict[str, Any]) -> Series:
    key = str(mapping["series"])
    conditions = mapping.get("where") or {}
    totals: dict[str, list[int | None]] = {}
    for index, record in enumerate(records):
        if any(str(record.get(k)) != str(v) for k, v in conditions.items()):
            continue
        where = f"{key} record {index + 1}"
        label = str(record.get(mapping["label"], "")).strip()
        if not label:
            raise ValueError(f"{where}: field {mapping['label']!r} is empty")
        male = _count(record, mapping.get("male"), where)
        female = _count(record, mapping.get("female"), where)
        value = _count(record, mapping.get("value"), where)
        if value is None:
            value = (male or 0) + (female or 0)
        row = totals.setdefault(label, [0, None, None])
        row[0] = (row[0] or 0) + value
        if male is not None:
            row[1] = (row[1] or 0) + male
        if female is not None:
            row[2] = (row[2] or 0) + female
    categories = tuple(Category(label, int(v[0] or 0), v[1], v[2]) for label, v in totals.items())
    return Series(key=key, title=str(mapping.get("title") or key), categories=categories,
                  total=sum(c.total for c in categories))  # fmt: skip
