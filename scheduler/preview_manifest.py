"""An unsigned one-item manifest: an announcement (approved or not) as one display would show it.

Same canvas, rotation, layout and item (slide or media variant for that canvas) as publishing
would produce; the timeline is a single main-zone segment starting now. Used only to draw
previews, never served to players.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from scheduler.publish import API_MEDIA_PREFIX, Publisher
from scheduler.schedule import display_model, item_id, layout_for
from scheduler.slide_specs import display_zones, slide_spec_sha
from scheduler.store import loads
from signage.clock import format_utc
from signage.manifest import build_manifest

PREVIEW_LAYERS = {"emergency": "emergency", "interrupt": "interrupt"}


def preview_manifest(publisher: Publisher, display: dict[str, Any], ann: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest, or None while the announcement's media has no variant for this canvas yet."""
    with publisher.db_lock:
        snapshot = publisher._snapshot([display["id"]])
        raw = {**ann, "targets": ann["targets"] if isinstance(ann["targets"], str) else _dumps(ann["targets"]),
               "schedule": ann["schedule"] if isinstance(ann.get("schedule"), str) else _dumps(ann.get("schedule"))}
        snapshot.announcements_by_display[display["id"]] = [raw]
        if raw.get("media_sha256"):
            db = publisher.db
            for row in db.table("media").rows_where("sha256 = ?", [raw["media_sha256"]]):
                snapshot.media[row["sha256"]] = row
            for row in db.table("media_variants").rows_where("original_sha256 = ?", [raw["media_sha256"]]):
                snapshot.variants[(row["original_sha256"], row["canvas"])] = row
        if raw.get("kind") == "text":
            spec_sha = slide_spec_sha(raw, publisher.timezone, display_zones(display))
            for row in publisher.db.table("slides").rows_where("spec_sha256 = ?", [spec_sha]):
                snapshot.slides[(row["spec_sha256"], row["canvas"])] = row
    publisher._render_missing_slides(snapshot)
    canvas = f"{display['width']}x{display['height']}"
    item = publisher._item(raw, snapshot, canvas, API_MEDIA_PREFIX, display)
    if item is None:
        return None
    now = publisher.clock().replace(microsecond=0)
    key = item_id(raw["id"])
    model = display_model(display)
    schedule = loads(raw.get("schedule"), {}) if isinstance(raw.get("schedule"), str) else {}
    zone = schedule.get("zone") if raw.get("layer") == "overlay" else None
    zone_ids = {"main", *model.zones}
    zone = zone if zone in zone_ids else "main"
    layer = "overlay" if zone != "main" else PREVIEW_LAYERS.get(str(raw.get("layer")), "normal")
    end = now + timedelta(seconds=max(1.0, float(item["duration_s"])))
    return build_manifest(
        display_id=display["id"],
        version=1,
        generated_at=now,
        valid_until=now + timedelta(days=1),
        timezone=display["timezone"],
        canvas={"width": display["width"], "height": display["height"], "rotation": display["rotation"] or 0},
        layouts={"default": layout_for(model.zones)},
        layout="default",
        items={key: item},
        timeline=[{"start": format_utc(now), "end": format_utc(end), "zone": zone, "layer": layer,
                   "loop": [key], "why": "preview"}],
        fallback=[],
        operating_hours=[],
        key_id=publisher.keyring.active.key_id,
    )


def _dumps(value: Any) -> str:
    return json.dumps(value if value is not None else {})
