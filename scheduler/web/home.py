"""Beranda: what is on air now on each screen, what waits for approval, and what needs attention."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from scheduler.fleet import fleet_health
from scheduler.fleet_alerts import fleet_alert_items
from scheduler.service import Service
from scheduler.sources import list_sources, snapshots
from scheduler.store import loads
from scheduler.web.common import ServiceDep, UserDep, gettext_for, language_of, page_router, render
from scheduler.web.refusals import plain_reason
from signage.manifest import parse_manifest
from signage.signing import public_key_from_text, verify_envelope

router = page_router()
log = logging.getLogger("scheduler.web.home")


def on_air_now(service: Service) -> list[dict[str, Any]]:
    """Per display: the published manifest's segment of the main zone now, with the titles in its loop."""
    now = service.clock()
    keys = {k: public_key_from_text(v) for k, v in service.keyring.public_keys().items()}
    with service.lock:
        displays = list(service.db.table("displays").rows_where(order_by="name"))
    out = []
    for display in displays:
        entry: dict[str, Any] = {"id": display["id"], "name": display["name"], "layer": None, "titles": []}
        latest = service.publisher.latest(display["id"])
        if latest is not None:
            try:
                manifest = parse_manifest(verify_envelope(latest.body, keys))
            except Exception:  # a manifest we cannot read is an alert, not a broken home page
                log.exception("cannot read manifest of %s", display["id"])
                entry["unreadable"] = True
            else:
                entry["version"] = manifest.version
                playing = manifest.play_at(now)
                if playing is not None:
                    segment, _item, _start = playing
                    entry["layer"] = segment.layer
                    entry["titles"] = [manifest.items[i].title or i for i in dict.fromkeys(segment.loop)]
                    entry["until"] = segment.end
        out.append(entry)
    return out


def alerts(service: Service, t: Callable[[str], str]) -> list[dict[str, Any]]:
    """Offline displays, displays lagging behind, schedule warnings and failed media jobs."""
    out: list[dict[str, Any]] = []
    with service.lock:
        health = fleet_health(service.db, service.publisher, service.clock())
        failed_jobs = list(service.db.table("ingest_jobs").rows_where("state = 'failed'", order_by="id desc", limit=5))
        players = {r[0] for r in service.db.execute("select display_id from display_tokens where revoked_at is null")}
    for display in health:
        if display.display_id not in players and not display.last_seen:
            # as the Layar page says it: no player enrolled yet (not a lost connection)
            out.append({"kind": "no_player", "display": display.display_id})
        elif not display.online:
            out.append({"kind": "offline", "display": display.display_id, "since": display.last_seen})
        elif display.version_lag:
            out.append({"kind": "lag", "display": display.display_id, "lag": display.version_lag})
        for code, params, text in display.coded_warnings()[:3]:
            out.append({"kind": "player_warning", "display": display.display_id, "text": text, "code": code,
                        "params": params})  # fmt: skip
    for display_id, warnings in sorted(service.publisher.warnings.items()):
        for item in warnings[:3]:
            out.append({"kind": "schedule", "display": display_id, "text": item.get("message", ""), "warning": item})
    for job in failed_jobs:
        out.append(
            {
                "kind": "media_failed",
                "file": job["original_name"],
                "text": plain_reason(job["error"] or "-", t),
                "at": job["updated_at"],
            }
        )
    return out


def _held_sources(service: Service) -> list[dict[str, Any]]:
    """Data sources whose newest data waits for an approver (a first fetch, new words, a jump): id, name, since."""
    out = []
    for source in list_sources(service.db):
        latest = snapshots(service.db, source.config.id, limit=1)
        if latest and latest[0]["status"] == "held":
            out.append({"id": source.config.id, "name": source.config.name or source.config.id,
                        "since": latest[0]["fetched_at"]})  # fmt: skip
    return out


@router.get("")
@router.get("/")
def home(request: Request, user: UserDep, service: ServiceDep) -> Response:
    with service.lock:
        waiting = list(
            service.db.table("announcements").rows_where(
                "status in ('submitted')", order_by="updated_at", select="id, title, layer, created_by, updated_at"
            )
        )
        held = _held_sources(service)
    emergencies = [a for a in waiting if a["layer"] == "emergency"]
    return render(
        request,
        "home.html",
        active="home",
        screens=on_air_now(service),
        waiting=waiting,
        held_sources=held,
        emergencies=emergencies,
        alerts=alerts(service, gettext_for(request)),
        fleet_alerts=fleet_alert_items(service, language_of(request)),
        loads=loads,
    )
