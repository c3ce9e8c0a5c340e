"""Legibility of an announcement on every canvas it targets (rule in content.legibility)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from content.legibility import LegibilityReport, check_picture, check_text
from scheduler.announcements import displays_reached
from scheduler.slide_specs import display_zones, slide_spec
from scheduler.store import loads
from signage.canvas import Canvas


def target_canvases(db: Database, targets: dict[str, list[str]]) -> dict[Canvas, list[str]]:
    """Each canvas the targets reach, with the displays that have it."""
    out: dict[Canvas, list[str]] = {}
    reached = sorted(displays_reached(db, targets))
    for display_id in reached:
        rows = list(db.table("displays").rows_where("id = ?", [display_id]))
        if rows:
            out.setdefault(Canvas(int(rows[0]["width"]), int(rows[0]["height"])), []).append(display_id)
    return out


def check_announcement(db: Database, ann: dict[str, Any], zone_name: str = "Asia/Pontianak") -> list[dict[str, Any]]:
    """One entry per target canvas: the smallest text drawn, the readable minimum, warnings.

    Text is measured on the slide as drawn (the emergency design for the emergency layer, see
    :mod:`scheduler.slide_specs`; ``zone_name`` only changes its footer's time).
    """
    targets = ann["targets"] if isinstance(ann["targets"], dict) else loads(ann["targets"], {})
    schedule = ann.get("schedule")
    schedule = schedule if isinstance(schedule, dict) else loads(schedule, {})
    if ann.get("layer") == "overlay" and (schedule or {}).get("zone") in ("ticker", "clock"):
        return []  # drawn natively in the strip at the strip's own size
    media = None
    if ann.get("media_sha256"):
        rows = list(db.table("media").rows_where("sha256 = ?", [ann["media_sha256"]]))
        media = rows[0] if rows else None
    out = []
    for canvas, display_ids in sorted(target_canvases(db, targets).items()):
        report: LegibilityReport | None = None
        if ann.get("kind") == "text":
            display = db.table("displays").get(display_ids[0])
            spec = slide_spec({**ann, "title": str(ann.get("title") or "")}, zone_name, display_zones(display))
            report = check_text(spec.title, spec.body, canvas, spec=spec)
        elif media is not None and media.get("width") and media.get("height"):
            report = check_picture(int(media["width"]), int(media["height"]), canvas)
        if report is None:
            continue
        out.append({
            "canvas": f"{canvas.width}x{canvas.height}",
            "displays": display_ids,
            "min_text_px": round(report.min_text_px, 1),
            "required_px": report.required_px,
            "measured": report.measured,
            "cut": report.cut,
            "too_small": report.min_text_px < report.required_px,
            "warnings": list(report.warnings),
        })
    return out
