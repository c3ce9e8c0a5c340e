"""Reading numbers as Indonesian sites write them, and writing them as Indonesians read them."""

from __future__ import annotations

import re
from datetime import datetime

MONTHS_ID = ("januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september", "oktober",
             "november", "desember")  # fmt: skip
_INT_RE = re.compile(r"^-?\d{1,3}(?:\.\d{3})+$|^-?\d{1,3}(?:,\d{3})+$|^-?\d+$")


def parse_count(value: object, field: str) -> int:
    """A head count from ``46``, ``"46"``, ``"1.234"`` (thousands dot), ``"1,234"`` (PHP ``number_format``'s
    default thousands comma; a decimal comma such as ``"47,42"`` is no count) or ``" 46 "``; ValueError names
    ``field``."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a count, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "")
        if _INT_RE.match(text):
            return int(text.replace(".", "").replace(",", ""))
    raise ValueError(f"{field}: expected a count, got {value!r}")




def format_count(value: int) -> str:
    """97123 -> ``"97.123"`` (Indonesian thousands separator)."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", ".")


def parse_date_id(text: str) -> datetime | None:
    """``"28 November 2026"`` (optionally ``"... 10:00"``) -> naive datetime; None if none found."""
    match = re.search(r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})(?:[ ,]+(\d{1,2})[:.](\d{2}))?", text)
    if not match:
        return None
    month = match.group(2).lower()
    if month not in MONTHS_ID:
        return None
    hour, minute = int(match.group(4) or 0), int(match.group(5) or 0)
    try:
        return datetime(int(match.group(3)), MONTHS_ID.index(month) + 1, int(match.group(1)), hour, minute)
    except ValueError:
        return None
