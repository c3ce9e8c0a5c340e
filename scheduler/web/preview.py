"""Previews of an announcement at each target canvas, before approval.

Which canvases the announcement reaches and whether a picture can be shown for each; the picture
itself is drawn on request by the player's renderer (``/admin/announcements/{id}/preview/{canvas}``,
``scheduler.preview_render``), so viewing this page writes nothing. Warnings ("text was cut", "too
small to read") come from the legibility check (``scheduler.legibility``).
"""

from __future__ import annotations

from typing import Any

from scheduler.announcements import displays_reached
from scheduler.dataslides import stat_item
from scheduler.i18n import N_
from scheduler.legibility import check_announcement
from scheduler.service import Service
from scheduler.slide_specs import display_zones
from scheduler.store import dumps
from scheduler.web.announcement_form import slide_values

#: Why a data slide has nothing to show on a canvas's screens (none of them gets its item), by slide kind.
NO_SLIDE_DATA = {
    "prayer": N_("Not shown on these screens: they have no latitude and longitude (set them under Layar)."),
    "weather": N_("Not shown on these screens: none has a region code with a BMKG weather source for it (set the "
                  "region code under Layar, add the source under Sumber data)."),
    "": N_("Not shown on these screens yet: its data sources have no approved data (see Sumber data)."),
}


def _slide_kind(row: dict[str, Any]) -> str:
    kind = slide_values(row)["slide"]
    return kind if kind in NO_SLIDE_DATA else ""


def slide_display(service: Service, row: dict[str, Any], display_ids: list[str]) -> str | None:
    """The first of ``display_ids`` for which a data slide has data now (a prayer slide needs the screen's
    latitude/longitude, a weather slide its region code and that region's BMKG source, the others their sources'
    approved data); the first display for any other announcement; None when no display has data."""
    if row.get("kind") != "stat":
        return display_ids[0] if display_ids else None
    raw = {**row, "targets": row["targets"] if isinstance(row["targets"], str) else dumps(row["targets"])}
    with service.lock:
        for display_id in display_ids:
            display = service.db.table("displays").get(display_id)
            if stat_item(service.db, raw, {"id": f"ann-{row['id']}", "type": "stat"}, service.clock(), display):
                return display_id
    return None


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
        if row["kind"] == "stat" and slide_display(service, row, entry["display_ids"]) is None:
            out.append({**entry, "sha256": None, "warnings": [NO_SLIDE_DATA.get(_slide_kind(row), NO_SLIDE_DATA[""])],
                        "legibility": legibility.get(entry["canvas"])})  # fmt: skip
            continue
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
