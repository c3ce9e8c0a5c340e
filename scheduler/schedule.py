"""The bridge between the store and the schedule engine (``playlists``).

Every rule lives in the ``rules`` table as the engine's canonical dict: one
``ann-<id>`` rule per announcement (kept in step by :func:`sync_announcement_rule`)
plus any imported with ``signage playlists import``. Items are announcements
(``ann-<id>``); displays map to the engine's display dict.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from playlists.budget import DEFAULT_COMPILE_BUDGET_S
from playlists.codec import parse_display, parse_item, parse_playlist, parse_rule, parse_targets, rule_to_dict
from playlists.compiler import CompiledTimeline, compile_display
from playlists.model import Display, ItemSpec, Playlist, Rule, Targets
from playlists.targets import targets_display
from playlists.warnings import ScheduleWarning
from scheduler.store import dumps, loads
from signage.clock import format_utc, parse_utc, zone
from signage.errors import UserError

log = logging.getLogger("scheduler.schedule")
SCHEDULE_KEYS = ("days", "dayparts", "preset", "rrule", "exdates", "share", "weight", "max_per_hour", "zone")
# Where overlay zones sit on the canvas (fractions); the main zone is the whole canvas underneath.
ZONE_RECTS: dict[str, tuple[float, float, float, float, int]] = {
    "main": (0.0, 0.0, 1.0, 1.0, 0),
    "ticker": (0.0, 0.88, 1.0, 0.12, 2),
    "bottom": (0.0, 0.8, 1.0, 0.2, 1),
    "top": (0.0, 0.0, 1.0, 0.15, 1),
    "clock": (0.68, 0.0, 0.32, 0.12, 2),
    "logo": (0.86, 0.02, 0.12, 0.16, 3),
    "side": (0.7, 0.0, 0.3, 1.0, 1),
}


def item_id(announcement_id: int) -> str:
    return f"ann-{announcement_id}"


def _utc_wall(value: str | None) -> str | None:
    return parse_utc(value).strftime("%Y-%m-%dT%H:%M:%S") if value else None


def rule_for_announcement(row: dict[str, Any]) -> dict[str, Any]:
    """The canonical rule dict of an announcement: targets, layer, window, and its schedule fields."""
    targets = row["targets"] if isinstance(row["targets"], dict) else loads(row["targets"], {})
    schedule = row.get("schedule")
    schedule = schedule if isinstance(schedule, dict) else loads(schedule, {})
    rule: dict[str, Any] = {
        "id": item_id(row["id"]),
        "item": item_id(row["id"]),
        "layer": row["layer"] or "normal",
        "targets": {k: v for k, v in (("displays", targets.get("displays")), ("groups", targets.get("groups"))) if v},
    }
    if row.get("starts_at") or row.get("ends_at"):
        rule["timezone"] = "UTC"
        if row.get("starts_at"):
            rule["valid_from"] = _utc_wall(row["starts_at"])
        if row.get("ends_at"):
            rule["valid_until"] = _utc_wall(row["ends_at"])
    since = emergency_since(row)
    if since is not None:
        rule["timezone"] = "UTC"
        rule["valid_from"] = _utc_wall(since)
    rule.update({k: v for k, v in schedule.items() if k in SCHEDULE_KEYS})
    return rule_to_dict(parse_rule(rule))


def emergency_since(row: dict[str, Any]) -> str | None:
    """When an approved emergency without a start of its own begins: its approval (ISO UTC), else None.

    An emergency replaces everything from the moment it is approved; the manifests (and Jadwal, and the preview
    of an earlier hour) must not show it from the day's start. Normal content without a start keeps looping from
    the horizon's start (the round robin does not restart at each approval)."""
    if row.get("layer") != "emergency" or row.get("starts_at") or row.get("status") != "approved":
        return None
    approved_at = row.get("approved_at")
    if not approved_at or (row.get("ends_at") and str(row["ends_at"]) <= str(approved_at)):
        return None
    return str(approved_at)


def validate_schedule(schedule: Any, layer: str = "normal") -> dict[str, Any]:
    """Check an announcement's ``schedule`` object for its layer; UserError names ``schedule.<field>``."""
    if layer == "overlay" and not (isinstance(schedule, dict) and schedule.get("zone")):
        zones = ", ".join(z for z in ZONE_RECTS if z != "main")
        raise UserError(f"schedule.zone: an overlay runs in its own zone ({zones})", field="schedule.zone")
    if schedule in (None, {}):
        return {}
    if not isinstance(schedule, dict):
        raise UserError("schedule: an object such as {days: [mon], dayparts: [...]}", field="schedule")
    unknown = sorted(set(schedule) - set(SCHEDULE_KEYS))
    if unknown:
        known = ", ".join(SCHEDULE_KEYS)
        raise UserError(f"schedule.{unknown[0]}: unknown key (known: {known})", field=f"schedule.{unknown[0]}")
    probe = {"id": "probe", "item": "probe", "layer": layer, "targets": {"all": True}, **schedule}
    try:
        parse_rule(probe)
    except UserError as exc:  # the engine says "dayparts[0].end: ..."; the API field is schedule.<that>
        raise UserError(f"schedule.{exc.message}", field=f"schedule.{exc.field}" if exc.field else "schedule") from None
    return schedule


def sync_announcement_rule(db: Database, row: dict[str, Any], now: datetime) -> None:
    rule = rule_for_announcement(row)
    db.table("rules").upsert(
        {"id": rule["id"], "announcement_id": row["id"], "body": dumps(rule), "updated_at": format_utc(now)}, pk="id"
    )


@dataclass(frozen=True)
class RefusedRule:
    """A stored rule that no longer passes validation (stored by an older version, or by hand)."""

    id: str
    targets: Targets | None  # None: its targets do not parse either, so it may address any display
    reason: str

    def targets_display(self, display: Display) -> bool:
        return self.targets is None or targets_display(self.targets, display)

    def warning(self, display_id: str) -> ScheduleWarning:
        return ScheduleWarning(
            "rule_invalid",
            f"Stored rule {self.id} is refused ({self.reason}); display {display_id} keeps its last published "
            "manifest until the rule is fixed or removed (signage playlists export / import).",
            display_id=display_id,
            rule_id=self.id,
            detail={"reason": self.reason},
        )


def load_rules_checked(db: Database, cache: dict[str, Rule] | None = None) -> tuple[list[Rule], list[RefusedRule]]:
    """Every stored rule, validated: (the valid ones, the refused ones). Never raises for a bad body.

    ``cache`` (stored body text -> parsed rule, owned by the caller) skips parsing the bodies that did
    not change since the last call (5,000 rules: ~150 ms of each publish); it is left holding
    exactly the current valid rules.
    """
    rules: list[Rule] = []
    refused: list[RefusedRule] = []
    seen: dict[str, Rule] = {}
    # plain (id, body) tuples: no dict per row of every column (~5,000 rows on each publish)
    for rule_id, text in db.execute("select id, body from rules order by id"):
        body: Any = None
        known = cache.get(text) if cache is not None and isinstance(text, str) else None
        if known is not None:
            rules.append(known)
            seen[text] = known
            continue
        try:
            body = json.loads(text)
            rules.append(parse_rule(body))
            if isinstance(text, str):
                seen[text] = rules[-1]
        except (UserError, ValueError, TypeError) as exc:
            targets: Targets | None = None
            try:
                targets = parse_targets(body.get("targets"))
            except Exception:  # any shape at all: then it may target anything
                targets = None
            refused.append(RefusedRule(str(rule_id), targets, str(exc)))
            log.warning("stored rule %s refused: %s", rule_id, exc)
    if cache is not None:
        cache.clear()
        cache.update(seen)
    return rules, refused


def load_rules(db: Database) -> list[Rule]:
    """The valid stored rules (refused ones are logged and left out; see :func:`load_rules_checked`)."""
    return load_rules_checked(db)[0]


def load_playlists(db: Database) -> list[Playlist]:
    return [
        parse_playlist({"id": r["id"], "items": loads(r["items"], []), **({"title": r["title"]} if r["title"] else {})})
        for r in db.table("playlists").rows_where(order_by="id")
    ]


def display_dict(row: dict[str, Any]) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": row["id"],
        "timezone": row["timezone"],
        "groups": loads(row["groups"], []),
        "tags": loads(row["tags"], []),
        "canvas": {"width": row["width"], "height": row["height"], "rotation": row["rotation"] or 0},
        "zones": loads(row.get("zones"), ["main"]),
        "operating_hours": loads(row["operating_hours"], []),
        "fallback": loads(row.get("fallback"), []),
    }
    return {k: v for k, v in d.items() if v not in ([], None)}


def display_model(row: dict[str, Any]) -> Display:
    return parse_display(display_dict(row))


def item_model(item_key: str, item: dict[str, Any], width: int | None = None, height: int | None = None) -> ItemSpec:
    d: dict[str, Any] = {"id": item_key, "type": item["type"], "duration_s": item["duration_s"]}
    if item.get("title"):
        d["title"] = item["title"]
    if width and height:
        d.update(width=width, height=height)
    return parse_item(d)


def layout_for(zones: Iterable[str]) -> list[dict[str, Any]]:
    out = []
    for name in zones:
        x, y, w, h, z = ZONE_RECTS.get(name, ZONE_RECTS["bottom"])
        out.append({"id": name, "x": x, "y": y, "w": w, "h": h, "z": z})
    return out


def horizon_start(now: datetime, timezone_name: str) -> datetime:
    """Local midnight of ``now``'s day in the display's zone (a day's manifests are stable)."""
    local = now.astimezone(zone(timezone_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def compile_for_display(
    display: Display,
    rules: list[Rule],
    items: dict[str, ItemSpec],
    playlists: list[Playlist],
    now: datetime,
    horizon_days: int,
    *,
    budget_s: float | None = DEFAULT_COMPILE_BUDGET_S,
    rules_targeted: bool = False,
) -> CompiledTimeline:
    """Compile with the rules whose item (or playlist items) can be played on this display.

    ``rules_targeted``: ``rules`` are already those reaching the display (``playlists.compiler.rules_targeting``).

    Raises :class:`playlists.budget.CompileRefused` (a UserError with a warning ``code``) over budget.
    """
    usable_playlists = [p for p in playlists if all(i in items for i in p.items)]
    names = {p.id for p in usable_playlists}
    usable = [r for r in rules if (r.item in items) or (r.playlist in names)]
    start = horizon_start(now, display.timezone)
    return compile_display(
        display,
        usable,
        items,
        start,
        horizon_days * 86400,
        playlists={p.id: p for p in usable_playlists},
        budget_s=budget_s,
        rules_targeted=rules_targeted,
    )
