"""Previews of an announcement at each target canvas, before approval.

A text announcement is rendered with the on-screen slide renderer (``content.slides``) and
stored like the publisher does (so approval reuses it); an image shows its prepared variant
for the canvas; a video its poster. Warnings such as "text was cut" come with the preview.
"""

from __future__ import annotations

import json
from typing import Any

from content.slides import render_slide
from scheduler.announcements import displays_reached
from scheduler.legibility import check_announcement
from scheduler.service import Service
from scheduler.slide_specs import display_zones, slide_spec, slide_spec_sha
from signage.canvas import Canvas


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


def _text_slide(
    service: Service, row: dict[str, Any], width: int, height: int, zones: tuple[str, ...]
) -> tuple[str, list[str]]:
    key = (slide_spec_sha(row, service.publisher.timezone, zones), f"{width}x{height}")
    with service.lock:
        rows = list(service.db.table("slides").rows_where("spec_sha256 = ? and canvas = ?", list(key)))
    if rows and service.media.has(rows[0]["sha256"]):
        return rows[0]["sha256"], json.loads(rows[0]["warnings"] or "[]")
    rendered = render_slide(slide_spec(row, service.publisher.timezone, zones), Canvas(width, height))
    stored = service.media.put_bytes(rendered.png, mime="image/png")
    with service.lock:
        service.db.table("slides").upsert(
            {"spec_sha256": key[0], "canvas": key[1], "sha256": stored.sha256, "size": stored.size,
             "warnings": json.dumps(list(rendered.warnings), ensure_ascii=False)},
            pk=("spec_sha256", "canvas"),
        )  # fmt: skip
    return stored.sha256, list(rendered.warnings)


def previews(service: Service, row: dict[str, Any]) -> list[dict[str, Any]]:
    """Per target canvas: {canvas, displays, sha256 (image to show or None), warnings, legibility}."""
    out = []
    with service.lock:
        legibility = {c["canvas"]: c for c in check_announcement(service.db, row, service.publisher.timezone)}
    for entry in target_canvases(service, row):
        sha256: str | None = None
        warnings: list[str] = []
        if row["kind"] == "text":
            sha256, warnings = _text_slide(service, row, entry["width"], entry["height"], entry["zones"])
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
