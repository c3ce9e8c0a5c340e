"""The Layar page's rows: each display's settings, health (heartbeats), player and latest screenshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scheduler.fleet import DisplayHealth, fleet_health
from scheduler.fleet_admin import decode_display, format_hours
from scheduler.service import Service
from scheduler.store import loads

CLOCK_OFFSET_WARN_S = 5.0
LOW_DISK_BYTES = 2 * 1024**3


@dataclass
class FleetRow:
    display: dict[str, Any]
    health: DisplayHealth
    has_player: bool
    current_title: str | None
    free_disk_bytes: int | None
    clock_offset_s: float | None
    app_version: str | None
    screenshot_at: str | None
    hours_text: str
    alerts: list[str]  # codes: no_player, offline, version_lag, missing_media, clock_offset, low_disk
    update: dict[str, Any] | None = None  # the player's update report: {state, version, detail, code, params}


def fleet_rows(service: Service) -> list[FleetRow]:
    with service.lock:
        health = {h.display_id: h for h in fleet_health(service.db, service.publisher, service.clock())}
        displays = [decode_display(r) for r in service.db.table("displays").rows_where(order_by="name")]
        statuses = {r["display_id"]: r for r in service.db.table("display_status").rows}
        shots = {
            r["display_id"]: r["taken_at"]
            for r in service.db.table("screenshots").rows_where(select="display_id, taken_at")
        }
        players = {r["display_id"] for r in service.db.table("display_tokens").rows_where("revoked_at is null")}
        titles = {
            f"ann-{a['id']}": a["title"] for a in service.db.table("announcements").rows_where(select="id, title")
        }
    rows = []
    for display in displays:
        h = health[display["id"]]
        status = statuses.get(display["id"], {})
        alerts = []
        if display["id"] not in players:
            alerts.append("no_player")
        elif not h.online:
            alerts.append("offline")
        if h.version_lag:
            alerts.append("version_lag")
        if h.missing_media:
            alerts.append("missing_media")
        offset = status.get("clock_offset_s")
        if offset is not None and abs(offset) > CLOCK_OFFSET_WARN_S:
            alerts.append("clock_offset")
        disk = status.get("free_disk_bytes")
        if disk is not None and disk < LOW_DISK_BYTES:
            alerts.append("low_disk")
        current = h.current_item
        rows.append(
            FleetRow(
                display=display, health=h, has_player=display["id"] in players,
                current_title=titles.get(current or "", current), free_disk_bytes=disk, clock_offset_s=offset,
                app_version=status.get("app_version"), screenshot_at=shots.get(display["id"]),
                hours_text=format_hours(display["operating_hours"]), alerts=alerts,
                update=_update(status),
            )
        )  # fmt: skip
    return rows


def _update(status: dict[str, Any]) -> dict[str, Any] | None:
    if not status.get("update_state"):
        return None
    return {"state": status["update_state"], "version": status.get("update_version") or "",
            "detail": status.get("update_detail"), "code": status.get("update_code"),
            "params": loads(status.get("update_params"), {})}


def screenshot_png(service: Service, display_id: str) -> bytes | None:
    with service.lock:
        rows = list(service.db.table("screenshots").rows_where("display_id = ?", [display_id]))
    return bytes(rows[0]["png"]) if rows else None


def player_warnings(row: FleetRow) -> list[str]:
    """The player's own warnings from its last heartbeat."""
    return list(row.health.warnings or [])


__all__ = ["FleetRow", "fleet_rows", "player_warnings", "screenshot_png"]
