"""Fleet alerts: rules over heartbeats, manifests, proof of play and data sources; state and delivery.

Every ``alert_check_interval_s`` the scheduler (``scheduler/app.py``) calls
:meth:`FleetAlerts.run_once`:

1. :func:`findings` evaluates the rules: a display offline longer than
   ``alert_offline_min``; its offline coverage (``valid_until`` of the manifest
   version it reports) ending within ``alert_horizon_days``; low disk; a clock
   fault or offset; repeated skipped plays or an error status; a live data source
   not fetched successfully for three poll intervals.
2. :meth:`FleetAlerts.sync` keeps one open row per finding in ``fleet_alerts``:
   a new finding opens an alert and queues one message per configured channel
   (``alert_outbox``); an alert still open queues a reminder only after
   ``alert_renotify_min`` (0: never); an alert whose finding is gone is resolved
   and queues a "resolved" message.
3. :meth:`FleetAlerts.deliver` sends the queued messages outside the store lock;
   a receiver that is down is retried later with a back-off (for up to a day),
   never blocking the loop or the other channel.

This is not ``scheduler/alerts.py`` (CAP emergency feeds).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scheduler.i18n import N_, translator
from scheduler.notify import Channel, DeliveryError, Message, channels
from scheduler.player_reasons import PlayerReasons, TextMoments, plain_text
from scheduler.service import Service
from scheduler.store import loads
from signage.clock import format_utc, parse_utc
from signage.timefmt import format_long

log = logging.getLogger("scheduler.fleet_alerts")

KINDS = ("offline", "horizon", "low_disk", "clock", "playback", "source_stale")
SOURCE_STALE_POLLS = 3  # a source is stale after this many poll intervals without a good fetch
SOURCE_STALE_MIN_S = 1800.0
SOURCE_NEVER_OK_FAILURES = 3
PLAYBACK_WINDOW = timedelta(hours=1)
RETRY_FIRST_S = 30.0
RETRY_MAX_S = 3600.0
GIVE_UP_AFTER = timedelta(days=1)

#: What each alert kind says, in English msgids (translated with the scheduler's language).
TEXTS: dict[str, str] = {
    "offline": N_("Display %(name)s has sent no heartbeat since %(since)s."),
    "offline_never": N_("Display %(name)s has never connected since it was enrolled (%(since)s)."),
    "horizon": N_("Display %(name)s has a schedule only until %(until)s: less than %(days)s days if it goes offline."),
    "low_disk": N_("Display %(name)s is low on disk: %(problem)s."),
    "clock": N_("The clock of display %(name)s is wrong: %(problem)s."),
    "playback": N_("Display %(name)s has playback failures: %(problem)s."),
    "source_stale": N_("Data source %(name)s has not been fetched successfully since %(since)s."),
    "source_never": N_("Data source %(name)s has never been fetched successfully (%(problem)s)."),
}
SUBJECTS: dict[str, str] = {
    "opened": N_("[Signage] Alert: %(text)s"),
    "reminder": N_("[Signage] Still open: %(text)s"),
    "resolved": N_("[Signage] Resolved: %(text)s"),
}
PROBLEM_TEXTS = (  # the English fragments _display_findings writes, as patterns, and their message ids
    (re.compile(r"(?P<mb>\d+) MB free"), N_("%(mb)s MB free")),
    (re.compile(r"(?P<count>\d+) skipped plays in the last hour"), N_("%(count)s skipped plays in the last hour")),
    (re.compile(r"player status: error"), N_("player status: error")),
)
PLAYER_KINDS = ("low_disk", "clock", "playback")  # findings whose ``problem`` may carry a player's own words
RESOLVED_TEXT = N_("Resolved at %(at)s. It started at %(opened)s.")
TEST_SUBJECT = N_("[Signage] Test message")
TEST_TEXT = N_("This is a test message from the signage scheduler at %(url)s. Fleet alerts will arrive like this.")


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str  # display or data source id
    name: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


# -- the rules -------------------------------------------------------------------
def findings(service: Service, now: datetime) -> list[Finding]:
    """Every condition that holds now (callers need not hold the lock)."""
    config = service.config
    with service.lock:
        db = service.db
        displays = {r["id"]: r["name"] for r in db.table("displays").rows_where(select="id, name")}
        enrolled = {r[0]: r[1] for r in db.execute(
            "select display_id, min(created_at) from display_tokens where revoked_at is null group by display_id")}
        statuses = {r["display_id"]: r for r in db.table("display_status").rows}
        valid_until = {(r[0], r[1]): r[2] for r in db.execute(
            "select m.display_id, m.version, m.valid_until from manifests m join display_status s "
            "on s.display_id = m.display_id and s.manifest_version = m.version")}
        skipped = dict(db.execute(
            "select display_id, count(*) from play_events indexed by play_events_skipped_received "
            "where received_at >= ? and result = 'skipped' group by display_id",
            [format_utc(now - PLAYBACK_WINDOW)]).fetchall())
        sources = list(db.table("data_sources").rows)  # fmt: skip
    out: list[Finding] = []
    for display_id, since in sorted(enrolled.items()):
        if display_id not in displays:
            continue
        name = displays[display_id]
        status = statuses.get(display_id)
        out += _display_findings(display_id, name, status, since, valid_until, skipped.get(display_id, 0), config, now)
    for source in sources:
        finding = _source_finding(source, now)
        if finding is not None:
            out.append(finding)
    return out


def _display_findings(
    display_id: str, name: str, status: dict[str, Any] | None, enrolled_at: str,
    valid_until: dict[tuple[str, int], str], skipped: int, config: Any, now: datetime,
) -> list[Finding]:  # fmt: skip
    out = []
    offline_after = timedelta(minutes=config.alert_offline_min)
    last_seen = status["last_seen"] if status else None
    if last_seen is None:
        if now - _parse(enrolled_at, now) > offline_after:
            out.append(Finding("offline", display_id, name, {"since": enrolled_at, "never": True}))
        return out
    if now - _parse(last_seen, now) > offline_after:
        out.append(Finding("offline", display_id, name, {"since": last_seen}))
    assert status is not None
    until = valid_until.get((display_id, status["manifest_version"]))
    if until is not None and _parse(until, now) - now < timedelta(days=config.alert_horizon_days):
        out.append(Finding("horizon", display_id, name, {"until": until, "days": config.alert_horizon_days}))
    warnings = [str(w) for w in loads(status.get("warnings"), [])]
    disk_warnings = [w for w in warnings if w.startswith(("low disk", "cannot write"))]
    free = status.get("free_disk_bytes")
    if free is not None and free < config.alert_low_disk_mb * 1024 * 1024:
        disk_warnings.insert(0, f"{free // (1024 * 1024)} MB free")
    if disk_warnings:
        out.append(Finding("low_disk", display_id, name, {"problem": "; ".join(disk_warnings)}))
    offset = status.get("clock_offset_s")
    if status.get("clock_fault"):
        facts: dict[str, Any] = {"problem": str(status["clock_fault"])}
        codes = loads(status.get("warning_codes"), None)  # m019: the clock fault's code comes first
        if isinstance(codes, list) and codes and isinstance(codes[0], dict) and codes[0].get("code"):
            facts["problem_code"] = str(codes[0]["code"])  # translated by its code, not by its English text
            facts["problem_params"] = codes[0].get("params") or {}
        out.append(Finding("clock", display_id, name, facts))
    elif offset is not None and abs(offset) > config.alert_clock_offset_s:
        out.append(Finding("clock", display_id, name, {"problem": f"{offset:+.0f} s"}))
    problems = []
    if status.get("status") == "error":
        problems.append("player status: error")
    if skipped >= config.alert_playback_failures:
        problems.append(f"{skipped} skipped plays in the last hour")
    if problems:
        out.append(Finding("playback", display_id, name, {"problem": "; ".join(problems)}))
    return out


def _source_finding(source: dict[str, Any], now: datetime) -> Finding | None:
    state = loads(source.get("state"), {})
    name = source.get("name") or source["id"]
    last_ok = source.get("last_ok_at")
    if last_ok:
        stale_after_s = max(SOURCE_STALE_POLLS * float(source.get("refresh_s") or 3600), SOURCE_STALE_MIN_S)
        if (now - _parse(last_ok, now)).total_seconds() > stale_after_s:
            return Finding("source_stale", source["id"], name, {"since": last_ok})
        return None
    failures = int(state.get("failures") or 0)
    if failures >= SOURCE_NEVER_OK_FAILURES:
        problem = str(state.get("last_error") or source.get("last_error") or f"{failures} failures")
        return Finding("source_stale", source["id"], name, {"never": True, "problem": problem[:300]})
    return None


def _parse(text: str, default: datetime) -> datetime:
    try:
        return parse_utc(text)
    except ValueError:
        return default


# -- messages --------------------------------------------------------------------
def describe(kind: str, name: str, facts: dict[str, Any], zone_name: str, language: str) -> str:
    """The alert's one-line text in ``language``."""
    t = translator(language)
    key = kind
    if facts.get("never"):
        key = "offline_never" if kind == "offline" else "source_never"
    values = {"name": name, **{k: v for k, v in facts.items() if k != "never"}}
    for time_key in ("since", "until"):
        if time_key in values:
            values[time_key] = _when(values[time_key], zone_name, language)
    if "days" in values:
        values["days"] = f"{float(values['days']):g}"
    code, params = values.pop("problem_code", None), values.pop("problem_params", None)
    if "problem" in values:
        reasons = PlayerReasons(t, TextMoments(language, zone_name)) if kind in PLAYER_KINDS else None
        if reasons is not None and code:  # a newer player said what it means as a code (m019)
            said = reasons(str(code), params if isinstance(params, dict) else {}, str(values["problem"]))
            values["problem"] = plain_text(said, t)
        else:
            values["problem"] = localized_problem(str(values["problem"]), t, reasons)
    return t(TEXTS[key]) % values


def localized_problem(problem: str, t: Callable[[str], str], reasons: PlayerReasons | None = None) -> str:
    """The scheduler's own fragments of a finding's ``problem`` (kept in English in the store) in the reader's
    language. With ``reasons``, what a player reported (a disk warning, a clock fault) is translated too
    (:mod:`scheduler.player_reasons`), or else shown as it came, labelled as the player's English text;
    without, it is shown as it came."""
    if reasons is not None:
        whole = reasons(None, None, problem)  # one player text that itself contains "; " (a clock fault)
        if whole.code is not None:
            return plain_text(whole, t)
    parts = []
    for part in problem.split("; "):
        for pattern, text in PROBLEM_TEXTS:
            match = pattern.fullmatch(part)
            if match:
                part = t(text) % match.groupdict()
                break
        else:
            if reasons is not None:
                part = plain_text(reasons(None, None, part), t)
        parts.append(part)
    return "; ".join(parts)


def _when(text: str, zone_name: str, language: str) -> str:
    try:
        return format_long(parse_utc(text), zone_name, language)
    except ValueError:
        return text


def message_for(alert: dict[str, Any], event: str, zone_name: str, language: str, base_url: str) -> Message:
    t = translator(language)
    facts = loads(alert["detail"], {})
    name = facts.pop("name", alert["subject"])
    text = describe(alert["kind"], name, facts, zone_name, language)
    body = text
    if event == "resolved" and alert.get("resolved_at"):
        body += "\n" + t(RESOLVED_TEXT) % {"at": _when(alert["resolved_at"], zone_name, language),
                                            "opened": _when(alert["opened_at"], zone_name, language)}  # fmt: skip
    body += f"\n\n{base_url.rstrip('/')}/admin/"
    data = {"event": event, "kind": alert["kind"], "subject": alert["subject"], "name": name, "alert_id": alert["id"],
            "opened_at": alert["opened_at"], "resolved_at": alert.get("resolved_at")}  # fmt: skip
    return Message(t(SUBJECTS[event]) % {"text": text}, body, {"alert": data})


def sample_message(language: str, base_url: str) -> Message:
    t = translator(language)
    return Message(t(TEST_SUBJECT), t(TEST_TEXT) % {"url": base_url}, {"alert": {"event": "test"}})


# -- state and delivery ----------------------------------------------------------
@dataclass
class RunSummary:
    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    sent: int = 0
    failed: int = 0


class FleetAlerts:
    def __init__(self, service: Service, make_channels: Callable[[Any], dict[str, Channel]] = channels) -> None:
        self.service = service
        self._make_channels = make_channels

    def run_once(self) -> RunSummary:
        now = self.service.clock()
        summary = self.sync(findings(self.service, now), now)
        sent, failed = self.deliver(now)
        summary.sent, summary.failed = sent, failed
        return summary

    def sync(self, found: list[Finding], now: datetime) -> RunSummary:
        """Open, remind and resolve alerts against ``found``; queue their messages."""
        service = self.service
        now_iso = format_utc(now)
        channel_names = sorted(self._make_channels(service.config))
        renotify = timedelta(minutes=service.config.alert_renotify_min)
        summary = RunSummary()
        by_key = {f.key: f for f in found}
        with service.lock:
            db = service.db
            open_rows = {r["key"]: r for r in db.table("fleet_alerts").rows_where("resolved_at is null")}
            for key, finding in by_key.items():
                detail = json.dumps({"name": finding.name, **finding.facts}, ensure_ascii=False, sort_keys=True)
                row = open_rows.get(key)
                if row is None:
                    alert_id = db.table("fleet_alerts").insert({
                        "key": key, "kind": finding.kind, "subject": finding.subject, "detail": detail,
                        "opened_at": now_iso, "last_true_at": now_iso, "last_notified_at": now_iso,
                        "resolved_at": None}).last_pk  # fmt: skip
                    self._queue(alert_id, "opened", channel_names, now_iso)
                    summary.opened.append(key)
                    log.warning("fleet alert opened: %s %s", key, detail)
                    continue
                update = {"last_true_at": now_iso, "detail": detail}
                last = _parse(row["last_notified_at"] or row["opened_at"], now)
                if renotify and now - last >= renotify:
                    update["last_notified_at"] = now_iso
                    self._queue(row["id"], "reminder", channel_names, now_iso)
                    summary.reminded.append(key)
                db.table("fleet_alerts").update(row["id"], update)
            for key, row in open_rows.items():
                if key in by_key:
                    continue
                db.table("fleet_alerts").update(row["id"], {"resolved_at": now_iso})
                self._queue(row["id"], "resolved", channel_names, now_iso)
                summary.resolved.append(key)
                log.info("fleet alert resolved: %s", key)
        return summary

    def _queue(self, alert_id: Any, event: str, channel_names: list[str], now_iso: str) -> None:
        for channel in channel_names:
            self.service.db.table("alert_outbox").insert({
                "alert_id": alert_id, "event": event, "channel": channel, "created_at": now_iso, "attempts": 0,
                "next_attempt_at": now_iso, "sent_at": None, "failed_at": None, "last_error": None})  # fmt: skip

    def deliver(self, now: datetime) -> tuple[int, int]:
        """Send every due message (outside the lock); (sent, failed this round)."""
        service = self.service
        config = service.config
        available = self._make_channels(config)
        now_iso = format_utc(now)
        with service.lock:
            due = list(service.db.query(
                "select o.*, a.kind, a.subject, a.detail, a.opened_at, a.resolved_at from alert_outbox o "
                "join fleet_alerts a on a.id = o.alert_id where o.sent_at is null and o.failed_at is null "
                "and o.next_attempt_at <= ? order by o.id", [now_iso]))  # fmt: skip
        sent = failed = 0
        for row in due:
            channel = available.get(row["channel"])
            alert = {"id": row["alert_id"], "kind": row["kind"], "subject": row["subject"], "detail": row["detail"],
                     "opened_at": row["opened_at"], "resolved_at": row["resolved_at"]}  # fmt: skip
            update: dict[str, Any]
            try:
                if channel is None:
                    raise DeliveryError(f"channel {row['channel']} is no longer configured")
                channel.send(message_for(alert, row["event"], config.timezone, config.language, config.base_url))
            except DeliveryError as exc:
                failed += 1
                attempts = int(row["attempts"]) + 1
                delay_s = min(RETRY_FIRST_S * 2 ** (attempts - 1), RETRY_MAX_S)
                update = {"attempts": attempts, "last_error": str(exc)[:500],
                          "next_attempt_at": format_utc(now + timedelta(seconds=delay_s))}  # fmt: skip
                if now - _parse(row["created_at"], now) >= GIVE_UP_AFTER or channel is None:
                    update["failed_at"] = now_iso
                    log.error("fleet alert message %s via %s given up: %s", row["id"], row["channel"], exc)
                else:
                    log.warning("fleet alert message via %s failed (attempt %d, retry in %.0f s): %s",
                                row["channel"], attempts, delay_s, exc)  # fmt: skip
            else:
                sent += 1
                update = {"sent_at": now_iso, "attempts": int(row["attempts"]) + 1, "last_error": None}
            with service.lock:
                service.db.table("alert_outbox").update(row["id"], update)
        return sent, failed


def alert_text(row: dict[str, Any], zone_name: str, language: str) -> str:
    facts = loads(row["detail"], {})
    name = facts.pop("name", row["subject"])
    return describe(row["kind"], name, facts, zone_name, language)


def open_counts(service: Service) -> dict[str, int]:
    """Open alerts per kind (every kind present, 0 when none): for monitoring (/metrics)."""
    with service.lock:
        rows = service.db.execute("select kind, count(*) from fleet_alerts where resolved_at is null group by kind")
        counts = dict(rows.fetchall())
    return {kind: int(counts.get(kind, 0)) for kind in KINDS}


def fleet_alert_items(service: Service, language: str) -> list[dict[str, Any]]:
    """Open alerts for the Beranda/Layar pages, newest first: kind, subject, since, text in ``language``."""
    with service.lock:
        rows = list(service.db.table("fleet_alerts").rows_where("resolved_at is null", order_by="opened_at desc"))
    return [{"kind": r["kind"], "subject": r["subject"], "since": r["opened_at"],
             "text": alert_text(r, service.config.timezone, language)} for r in rows]  # fmt: skip
