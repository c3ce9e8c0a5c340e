"""What a text announcement's slide shows: a normal slide, or the emergency design for the emergency layer.

The Darurat form stores the severity as the title's prefix ("DARURAT: ..." / "PERINGATAN: ...", or the
English "EMERGENCY:" / "WARNING:"); on screen that prefix becomes the band's header instead. An emergency
made through the API without a prefix is shown as "PERINGATAN DARURAT". The issued time is the approval
time (else the last change, for a preview before approval) in the scheduler's time zone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from content.slides import SlideSpec
from scheduler.schedule import ZONE_RECTS
from signage.canonical import canonical_json
from signage.clock import parse_utc
from signage.timefmt import format_long

EMERGENCY_ISSUER = "Pemerintah Kabupaten Mempawah · Diskominfo"
#: title prefix (upper case) -> severity
SEVERITY_PREFIXES = {"DARURAT": "emergency", "EMERGENCY": "emergency", "PERINGATAN": "warning", "WARNING": "warning"}
#: severity -> the band's header on screen (the screen speaks Indonesian)
SEVERITY_HEADERS = {"emergency": "PERINGATAN DARURAT", "warning": "PERINGATAN"}


def emergency_severity(title: str) -> tuple[str, str]:
    """(severity, the title without its severity prefix) of an emergency announcement's title."""
    prefix, sep, rest = title.partition(":")
    severity = SEVERITY_PREFIXES.get(prefix.strip().upper()) if sep else None
    if severity is None or not rest.strip():
        return "emergency", title.strip()
    return severity, rest.strip()


def safe_area(zones: Iterable[str]) -> tuple[float, float]:
    """(top, bottom) fractions of the height that a display's strips (clock, ticker, logo...) cover.

    A normal slide keeps its text out of them; an emergency takes the whole screen (the player hides
    the strips then), so its design ignores them.
    """
    top = bottom = 0.0
    for name in zones:
        if name == "main" or name not in ZONE_RECTS:
            continue
        _x, y, _w, h, _z = ZONE_RECTS[name]
        if h >= 0.5:
            continue  # a side column, not a strip
        if y <= 0.05:
            top = max(top, y + h)
        if y + h >= 0.95:
            bottom = max(bottom, 1.0 - y)
    return round(top, 3), round(bottom, 3)


def display_zones(display: dict[str, Any]) -> tuple[str, ...]:
    """The zone names of a ``displays`` row (its ``zones`` column is a JSON list; absent: only main)."""
    raw = display.get("zones")
    zones = json.loads(raw) if isinstance(raw, str) and raw else (raw or ["main"])
    return tuple(str(z) for z in zones)


def strip_sets(displays: Iterable[dict[str, Any]]) -> set[tuple[str, ...]]:
    """The distinct zone sets of ``displays`` (a slide exists once per strip layout, not per display)."""
    return {display_zones(d) for d in displays} or {("main",)}


def slide_spec(ann: dict[str, Any], zone_name: str, zones: Iterable[str] = ()) -> SlideSpec:
    """The slide of text announcement ``ann`` (a store row) for a display with ``zones``; emergency-layer
    rows get the emergency design."""
    body = ann.get("body") or ""
    if ann.get("layer") != "emergency":
        top, bottom = safe_area(zones)
        return SlideSpec(title=ann["title"], body=body, safe_top=top, safe_bottom=bottom)
    severity, title = emergency_severity(ann["title"])
    issued_at = ann.get("approved_at") or ann.get("updated_at") or ann.get("created_at")
    issued = format_long(parse_utc(issued_at), zone_name) if issued_at else ""
    return SlideSpec(
        title=title, body=body, style="emergency", severity=severity, header=SEVERITY_HEADERS[severity],
        issuer=EMERGENCY_ISSUER, issued=issued,
    )  # fmt: skip


def slide_spec_sha(ann: dict[str, Any], zone_name: str, zones: Iterable[str] = ()) -> str:
    """Identity of a text slide's content, shared by every display of a canvas and the same strips.

    A normal slide is identified by its title and body alone (as before the emergency design) plus the
    strips it keeps free, if any; an emergency slide also by its design, severity, header, issuer and
    issued time.
    """
    spec = slide_spec(ann, zone_name, zones)
    identity: dict[str, Any] = {"title": ann["title"], "body": ann.get("body") or ""}
    if spec.safe_top or spec.safe_bottom:
        identity["safe"] = [spec.safe_top, spec.safe_bottom]
    if spec.style != "normal":
        identity.update(title=spec.title, style=spec.style, severity=spec.severity, header=spec.header,
                        issuer=spec.issuer, issued=spec.issued)  # fmt: skip
    return hashlib.sha256(canonical_json(identity)).hexdigest()
