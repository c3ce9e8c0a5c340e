"""The optional YAML file next to an inbox drop: ``<stem>.yaml`` with title, dates, layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from signage import yamlsafe
from signage.errors import UserError

SIDECAR_SUFFIXES = (".yaml", ".yml")
ALLOWED_KEYS = ("title", "starts_at", "ends_at", "layer")
#: An emergency is never taken from a dropped file: it is put on air from the emergency page (Darurat) by an approver.
LAYERS = ("normal", "interrupt", "fallback", "overlay")
MAX_SIDECAR_BYTES = 64 * 1024
EXAMPLE = "title: Rapat Paripurna\nstarts_at: 2025-03-01 08:00\nends_at: 2025-03-03\nlayer: normal"


class SidecarError(UserError):
    pass


@dataclass(frozen=True)
class Sidecar:
    title: str | None = None
    starts_at: datetime | date | None = None
    ends_at: datetime | date | None = None
    layer: str | None = None


def sidecar_for(media: Path) -> Path | None:
    for suffix in SIDECAR_SUFFIXES:
        candidate = media.with_suffix(suffix)
        if candidate != media and candidate.is_file():
            return candidate
    return None


def _when(key: str, value: Any) -> datetime | date | None:
    if value is None or isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SidecarError(f"{key} must be a date like 2025-03-01 or 2025-03-01 08:00, not {_shown(value)}", field=key)


def _shown(value: object) -> str:
    """``repr(value)`` cut to a readable length for an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_sidecar(text: str, name: str = "sidecar") -> Sidecar:
    try:
        data = yamlsafe.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = f": {yamlsafe.ALIAS_PROBLEM}" if getattr(exc, "problem", None) == yamlsafe.ALIAS_PROBLEM else ""
        raise SidecarError(f"{name} is not valid YAML{where}{problem}. Example:\n{EXAMPLE}") from None
    if data is None:
        return Sidecar()
    if not isinstance(data, dict):
        raise SidecarError(f"{name} must be a list of 'key: value' lines. Example:\n{EXAMPLE}")
    unknown = sorted(str(k) for k in data if k not in ALLOWED_KEYS)
    if unknown:
        raise SidecarError(
            f"{name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(ALLOWED_KEYS)}",
            field=unknown[0],
        )
    title = data.get("title")
    if title is not None and not isinstance(title, str | int | float):
        raise SidecarError(f"{name}: title must be text", field="title")
    layer = data.get("layer")
    if layer == "emergency":
        raise SidecarError(f"{name}: layer emergency is not taken from a dropped file; an approver puts an emergency "
                           "on air from the emergency page (Darurat)", field="layer")  # fmt: skip
    if layer is not None and str(layer) not in LAYERS:
        raise SidecarError(f"{name}: layer must be one of {', '.join(LAYERS)}, not {_shown(layer)}", field="layer")
    starts, ends = _when("starts_at", data.get("starts_at")), _when("ends_at", data.get("ends_at"))
    if starts is not None and ends is not None and _as_dt(ends) < _as_dt(starts):
        raise SidecarError(f"{name}: ends_at is before starts_at", field="ends_at")
    return Sidecar(
        title=" ".join(str(title).split()) or None if title is not None else None,
        starts_at=starts,
        ends_at=ends,
        layer=str(layer) if layer is not None else None,
    )


def _as_dt(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def read_sidecar(path: Path) -> Sidecar:
    if path.stat().st_size > MAX_SIDECAR_BYTES:
        raise SidecarError(f"{path.name} is larger than {MAX_SIDECAR_BYTES // 1024} KiB")
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise SidecarError(f"{path.name} must be saved as UTF-8 text") from exc
    return parse_sidecar(text, path.name)
