"""Turning whatever file name staff used into a safe display name (never used as a path)."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_CHARS = 120


def display_name(raw: str) -> str:
    """Last path component only, NFC, no control characters, trimmed; never empty.

    ``"../../etc/Pengumuman\\u0000 Ü.jpg"`` -> ``"Pengumuman Ü.jpg"``.
    """
    text = unicodedata.normalize("NFC", raw)
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = " ".join(text.split()).lstrip(". ")
    if len(text) > MAX_NAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        keep = MAX_NAME_CHARS - len(ext) - 1 if dot and len(ext) <= 8 else MAX_NAME_CHARS
        text = (stem[:keep] + "." + ext) if dot and len(ext) <= 8 else text[:keep]
    return text or "untitled"


def title_from_name(raw: str) -> str:
    """A default announcement title: the display name without its extension."""
    name = display_name(raw)
    stem, dot, _ext = name.rpartition(".")
    title = stem if dot and stem else name
    return " ".join(title.replace("_", " ").split()) or "untitled"
