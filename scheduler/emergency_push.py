"""Emergency push: an approved emergency reaches every targeted screen's event stream at once.

:meth:`EmergencyPusher.push_due` compares the store's emergency announcements with the pushes already
made and, for each difference, signs ONE small message (:mod:`signage.emergency_message`) and sends the
same pre-serialised event to every targeted display's stream (``EventHub.emit_to``):

* an *approved*, unexpired emergency-layer announcement not yet pushed with its current approval ->
  an ``emergency`` message (only an approval — the two-person rule, or a CAP source's ``auto_air`` —
  makes a row ``approved``; nothing else is ever pushed);
* a pushed emergency that is no longer approved (withdrawn, archived, edited) -> a ``cancel`` message.

Callers push first and republish the full manifests behind it (:mod:`scheduler.actions`). Every push is
kept in ``emergency_pushes`` with its sequence number (the issue time in milliseconds, or one more than the
last push if that is higher); a push recorded by another process (the CLI) is
sent by the server when it notices the change (:meth:`emit_recorded`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from scheduler.announcements import displays_reached
from scheduler.emergency_window import is_scheduled, live_window
from scheduler.schedule import item_id
from scheduler.slide_specs import slide_spec
from scheduler.store import loads
from signage.canonical import canonical_json
from signage.clock import format_utc, parse_utc
from signage.emergency_message import build_message, sign_message

if TYPE_CHECKING:
    from scheduler.service import Service

log = logging.getLogger("scheduler.emergency_push")

EVENT_TYPE = "emergency"
#: An emergency without an end is pushed valid for this long (the full manifest takes over well before).
DEFAULT_VALIDITY = timedelta(days=1)
#: Publishing waits at most this long for the push to leave the event queues: compiling competes with
#: the event loop for the interpreter, and the push matters more (the manifests follow anyway).
DRAIN_WAIT_S = 15.0
DRAIN_POLL_S = 0.05


@dataclass(frozen=True)
class Push:
    seq: int
    kind: str
    announcement_id: int
    targets: frozenset[str]
    envelope: dict[str, Any]
    sent_to: int = 0  # open streams it went to


class EmergencyPusher:
    def __init__(self, service: Service) -> None:
        self.service = service
        self._emit_lock = threading.Lock()
        with service.lock:
            row = service.db.execute("select max(seq) from emergency_pushes").fetchone()
        self.emitted_seq = int(row[0] or 0)  # older pushes were sent before this process started

    def push_due(self) -> list[Push]:
        """Sign, record and send what the store's emergencies need now; the pushes made."""
        service = self.service
        with self._emit_lock:
            with service.lock:
                pushes = self._record_due(service.clock())
            return [self._emit(push) for push in pushes]

    def emit_recorded(self) -> list[Push]:
        """Send pushes another process recorded (newer than the last this process sent)."""
        with self._emit_lock:
            with self.service.lock:
                rows = list(self.service.db.table("emergency_pushes").rows_where(
                    "seq > ?", [self.emitted_seq], order_by="seq"))  # fmt: skip
                all_ids = _display_ids(self.service) if rows else set()
            return [self._emit(_push_of(row, all_ids)) for row in rows]

    def wait_delivered(self, pushes: list[Push], max_wait_s: float = DRAIN_WAIT_S) -> bool:
        """Block until the pushes have left the targeted event queues (or ``max_wait_s``); True if they did."""
        waiting: set[str] = set().union(*(p.targets for p in pushes)) if pushes else set()
        deadline = time.monotonic() + max_wait_s
        while waiting:
            waiting = self.service.events.still_pending(waiting)  # only the ones left: each poll is cheaper
            if not waiting:
                break
            if time.monotonic() >= deadline:
                log.warning("%d stream(s) still had the push queued after %.0f s; republishing anyway",
                            len(waiting), max_wait_s)  # fmt: skip
                return False
            time.sleep(DRAIN_POLL_S)
        return True

    # -- internals -----------------------------------------------------------

    def _emit(self, push: Push) -> Push:
        _event, sent_to = self.service.events.emit_to(push.targets, EVENT_TYPE, push.envelope)
        self.emitted_seq = max(self.emitted_seq, push.seq)
        log.info("pushed signed %s %s (announcement %s) to %d display(s), %d stream(s) open",
                 push.kind, push.envelope["message"]["id"], push.announcement_id, len(push.targets), sent_to)
        return Push(push.seq, push.kind, push.announcement_id, push.targets, push.envelope, sent_to)

    def _record_due(self, now: datetime) -> list[Push]:
        """Under the service lock: the pushes due, signed and recorded."""
        db = self.service.db
        latest = {
            int(row["announcement_id"]): row
            for row in db.query(
                "select p.* from emergency_pushes p join (select announcement_id, max(seq) s from emergency_pushes "
                "group by announcement_id) x on p.seq = x.s"
            )
        }
        rows = {int(r["id"]): r for r in db.table("announcements").rows_where("layer = 'emergency'")}
        wanted: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        windows: dict[int, tuple[datetime, datetime]] = {}
        for ann_id, ann in sorted(rows.items()):
            last = latest.get(ann_id)
            live = ann["status"] == "approved" and (not ann["ends_at"] or parse_utc(ann["ends_at"]) > now)
            if live and (last is None or last["kind"] == "cancel" or last["approved_at"] != ann["approved_at"]):
                if is_scheduled(ann):  # days/hours/repeat: only the window on screen now, or no push at all
                    window = live_window(ann, _zones(self.service, ann), now, DEFAULT_VALIDITY)
                    if window is None:
                        continue
                    windows[ann_id] = window
                wanted.append(("emergency", ann, last))
            elif not live and last is not None and last["kind"] == "emergency" and parse_utc(last["valid_until"]) > now:
                wanted.append(("cancel", ann, last))
        for ann_id, last in latest.items():  # a pushed emergency whose row is gone (or no longer emergency)
            if ann_id not in rows and last["kind"] == "emergency" and parse_utc(last["valid_until"]) > now:
                wanted.append(("cancel", {"id": ann_id, "approved_at": last["approved_at"]}, last))
        if not wanted:
            return []
        all_ids = _display_ids(self.service)
        row = db.execute("select max(seq) from emergency_pushes").fetchone()
        # Milliseconds since the epoch, or one more than the last: players keep accepting new pushes
        # even after the store is restored from an older backup (their floor is the last seq they saw).
        seq = max(int(row[0] or 0), int(now.timestamp() * 1000) - 1)
        pushes = []
        with db.atomic():
            for kind, ann, last in wanted:
                seq += 1
                pushes.append(self._record(kind, ann, last, seq, now, all_ids, windows.get(int(ann["id"]))))
        return pushes

    def _record(self, kind: str, ann: dict[str, Any], last: dict[str, Any] | None, seq: int, now: datetime,
                all_ids: set[str], window: tuple[datetime, datetime] | None = None) -> Push:  # fmt: skip
        service = self.service
        key = service.keyring.active
        if kind == "emergency":
            targets = displays_reached(service.db, loads(ann["targets"], {})) & all_ids
            spec = slide_spec(ann, service.config.timezone)
            valid_from = parse_utc(ann["starts_at"]) if ann["starts_at"] else now
            valid_until = parse_utc(ann["ends_at"]) if ann["ends_at"] else now + DEFAULT_VALIDITY
            if window is not None:  # a scheduled emergency: the span of its schedule live now
                valid_from, valid_until = window[0], min(valid_until, window[1])
            slide = {"title": spec.title, "style": spec.style, "severity": spec.severity, "header": spec.header,
                     "issuer": spec.issuer, "issued": spec.issued}  # fmt: skip
            message = build_message(
                kind="emergency", seq=seq, issued_at=now, announcement_id=int(ann["id"]), item_id=item_id(ann["id"]),
                targets=None if targets == all_ids else targets, valid_from=min(valid_from, valid_until),
                valid_until=valid_until, key_id=key.key_id, title=ann["title"], body=ann["body"] or "",
                duration_s=float(ann["duration_s"]), slide=slide,
            )  # fmt: skip
        else:
            assert last is not None
            previous = json.loads(last["envelope"])["message"]
            targets = set(previous["targets"].get("displays") or []) if not previous["targets"].get("all") else all_ids
            message = build_message(
                kind="cancel", seq=seq, issued_at=now, announcement_id=int(ann["id"]), item_id=item_id(ann["id"]),
                targets=None if previous["targets"].get("all") else targets,
                valid_from=min(now, parse_utc(previous["valid_until"]) - timedelta(seconds=1)),
                valid_until=parse_utc(previous["valid_until"]), key_id=key.key_id,
            )  # fmt: skip
        envelope = sign_message(message, key, service.keyring.introductions())
        service.db.table("emergency_pushes").insert({
            "seq": seq, "kind": kind, "announcement_id": int(ann["id"]), "approved_at": ann.get("approved_at"),
            "issued_at": format_utc(now), "valid_until": message["valid_until"], "targets": len(targets),
            "envelope": canonical_json(envelope).decode(),
        })  # fmt: skip
        return Push(seq, kind, int(ann["id"]), frozenset(targets), envelope)


def _zones(service: Service, ann: dict[str, Any]) -> set[str]:
    """The time zones of the displays the announcement reaches (the service's own when it reaches none)."""
    reached = displays_reached(service.db, loads(ann["targets"], {}))
    rows = service.db.execute("select id, timezone from displays")  # two columns: no variable limit to meet
    return {str(tz or service.config.timezone) for id_, tz in rows if id_ in reached} or {service.config.timezone}


def _display_ids(service: Service) -> set[str]:
    """Every display id (the id column only: 10,000 rows in a few milliseconds)."""
    return {str(row[0]) for row in service.db.execute("select id from displays")}


def _push_of(row: dict[str, Any], all_ids: set[str]) -> Push:
    envelope = json.loads(row["envelope"])
    targets = envelope["message"]["targets"]
    reached = all_ids if targets.get("all") else set(targets.get("displays") or [])
    return Push(int(row["seq"]), row["kind"], int(row["announcement_id"]), frozenset(reached), envelope)
