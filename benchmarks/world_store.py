"""A benchmark world (displays, rules, items) written into a real scheduler store, for ``Publisher``.

Each rule becomes one approved announcement ``ann-<n>`` whose stored rule body is the
world's rule (so the schedule semantics are exactly the world's), with the world
item's duration and media. Differences from the pure-compiler world, all needed
because a store only knows announcements:

* ``text`` and ``stat`` items become images (their slides would need a renderer or
  a live data source; the schedule is the same);
* announcement targets use groups only, so every display also belongs to
  ``all-displays`` and ``tag-<tag>`` groups (the stored rule keeps its own targets);
* every image/video has a ready variant for its display's canvas (no transcoding).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from content.store import MediaStore
from playlists.codec import display_to_dict, rule_to_dict
from playlists.model import Display, ItemSpec, Rule

NOW_ISO = "2026-11-30T00:00:00Z"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _canvas(display: Display) -> str:
    return f"{display.width_px}x{display.height_px}"


def write_world(
    db: Database,
    displays: list[Display],
    rules: list[Rule],
    items: dict[str, ItemSpec],
    media: MediaStore | None = None,
    manifest_schema: int | None = None,
) -> None:
    """Fill ``db`` (a migrated scheduler store) with the world, in one transaction.

    With ``media``, each variant's bytes (a short text, hashed as such) are stored too (a static tree copies them).
    ``manifest_schema``: what every display's player reported reading (None: nothing reported, schema 1).
    """
    display_rows = []
    for d in displays:
        as_dict = display_to_dict(d)
        display_rows.append(
            {
                "id": d.id,
                "name": d.id,
                "location": "",
                "width": d.width_px,
                "height": d.height_px,
                "rotation": d.rotation_deg,
                "timezone": d.timezone,
                "groups": json.dumps([*d.groups, "all-displays", *(f"tag-{t}" for t in d.tags)]),
                "tags": json.dumps(list(d.tags)),
                "operating_hours": json.dumps(as_dict.get("operating_hours", [])),
                "zones": json.dumps(list(d.zones)),
                "fallback": json.dumps(list(d.fallback)),
                "created_at": NOW_ISO,
                "manifest_schema": manifest_schema,
            }
        )
    canvases = sorted({_canvas(d) for d in displays})
    media_rows: dict[str, dict[str, Any]] = {}
    variant_rows: list[dict[str, Any]] = []
    announcement_rows = []
    rule_rows = []
    for n, rule in enumerate(rules, start=1):
        assert rule.item is not None, "world rules name one item"
        spec = items[rule.item]
        kind = "video" if spec.type == "video" else "image"
        body = rule_to_dict(rule)
        body.update(id=f"ann-{n}", item=f"ann-{n}")
        targets: dict[str, list[str]] = {"groups": list(rule.targets.groups), "displays": list(rule.targets.displays)}
        targets["groups"] += [f"tag-{t}" for t in rule.targets.tags] + (["all-displays"] if rule.targets.all else [])
        overlay = rule.layer == "overlay"
        sha = None if overlay else _sha(rule.item)
        if sha is not None and sha not in media_rows:
            media_rows[sha] = {"sha256": sha, "size": 1000, "mime": "image/png", "kind": kind, "width": 1920,
                               "height": 1080, "duration_s": float(spec.duration_s), "original_name": rule.item,
                               "created_at": NOW_ISO, "status": "ready"}  # fmt: skip
            for canvas in canvases:
                content = f"{rule.item}@{canvas}".encode()
                if media is not None:
                    media.put_bytes(content)
                variant_rows.append(
                    {"original_sha256": sha, "canvas": canvas, "sha256": _sha(content.decode()), "size": len(content),
                     "mime": "video/mp4" if kind == "video" else "image/png", "width": 1, "height": 1,
                     "duration_s": float(spec.duration_s) if kind == "video" else None, "action": "copy", "note": ""}
                )  # fmt: skip
        announcement_rows.append(
            {"id": n, "title": f"{rule.id} {rule.item}", "body": "", "kind": "text" if overlay else kind,
             "media_sha256": sha, "duration_s": float(spec.duration_s), "layer": rule.layer,
             "targets": json.dumps(targets), "starts_at": None, "ends_at": None, "status": "approved",
             "created_by": None, "created_at": NOW_ISO, "updated_at": NOW_ISO,
             "schedule": json.dumps({"zone": rule.zone} if overlay else {})}
        )  # fmt: skip
        rule_rows.append({"id": f"ann-{n}", "announcement_id": n, "body": json.dumps(body), "updated_at": NOW_ISO})
    with db.atomic():
        db.table("displays").insert_all(display_rows, alter=False)
        db.table("media").insert_all(media_rows.values(), alter=False)
        db.table("media_variants").insert_all(variant_rows, alter=False)
        db.table("announcements").insert_all(announcement_rows, alter=False)
        db.table("rules").insert_all(rule_rows, alter=False)
