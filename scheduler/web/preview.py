"""Previews of an announcement at each target canvas, before approval.

Which canvases the announcement reaches and whether a picture can be shown for each; the picture
itself is drawn on request by the player's renderer (``/admin/announcements/{id}/preview/{canvas}``,
``scheduler.preview_render``), so viewing this page writes nothing. Warnings ("text was cut", "too
small to read") come from the legibility check (``scheduler.legibility``).
"""

from __future__ import annotations

from typing import Any

from scheduler.announcements import displays_reached
from scheduler.legibility import check_announcement
from scheduler.service import Service
from scheduler.slide_specs import display_zones


def target_canvases(service: Service, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The distinct canvases of the displays the announcement reaches, with those displays' names."""
    with service.lock:
        reached = displays_reached(service.db, row["targets"])
        displays = [d for d in service.db.table("displays").rows_where(order_by="name") if d["id"] in reached]
    canvases: dict[str, dict[str, Any]] = {}
    for display in displays:
        key = f"{display['width']}x{display['height']}"
        entry = canvases.setdefault(key, {"canvas": key, "width": display["width"], "height": display["height"],
                                          "displays": [], "display_ids": [],
                                          "zones": display_zones(display)})  # fmt: skip
        entry["displays"].append(display["name"])
        entry["display_ids"].append(display["id"])
    return list(canvases.values())




def previews(service: Service, row: dict[str, Any]) -> list[dict[str, Any]]:
    """Per target canvas: {canvas, displays, sha256 (image to show or None), warnings, legibility}."""
    out = []
    with service.lock:
        legibility = {c["canvas"]: c for c in check_announcement(service.db, row, service.publisher.timezone)}
    for entry in target_canvases(service, row):
        sha256: str | None = None
        warnings: list[str] = []
        if row["kind"] in ("text", "stat"):
            # drawn on request by the player's renderer (/preview/{canvas}), a data slide with the data it would
            # get now; cut text is in the legibility check
            out.append({**entry, "sha256": "slide", "warnings": [], "legibility": legibility.get(entry["canvas"])})
            continue
        elif row.get("media_sha256"):
            with service.lock:
                variants = list(
                    service.db.table("media_variants").rows_where(
                        "original_sha256 = ? and canvas = ?", [row["media_sha256"], entry["canvas"]]
                    )
                )
                media = service.db.table("media").get(row["media_sha256"])
            if variants and row["kind"] == "image":
                sha256 = variants[0]["sha256"]
            else:
                sha256 = media.get("poster_sha256") or media.get("thumbnail_sha256")
        out.append({**entry, "sha256": sha256 if sha256 and service.media.has(sha256) else None,
                    "warnings": warnings, "legibility": legibility.get(entry["canvas"])})  # fmt: skip
    return out
