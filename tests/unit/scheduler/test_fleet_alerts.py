"""Fleet alert rules, their open/remind/resolve cycle and delivery to loopback SMTP and webhook fakes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fake_smtp import FakeSmtp
from fake_webhook import FakeWebhook
from procs import make_store

from scheduler.fleet_alerts import FleetAlerts, describe, findings, open_counts
from scheduler.notify import SIGNATURE_HEADER, signature
from scheduler.service import Service
from scheduler.store import dumps
from signage.clock import format_utc
from signage.config import SchedulerConfig

START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
SECRET = "rahasia-webhook"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _service(tmp_path: Path, clock: Clock, alert_fakes: tuple[FakeSmtp, FakeWebhook], **extra: Any) -> Service:
    make_store(tmp_path / "data", "kantor-bupati")
    smtp, hook = alert_fakes
    config = SchedulerConfig(
        data_dir=str(tmp_path / "data"), alert_smtp_host="127.0.0.1", alert_smtp_port=smtp.port,
        alert_smtp_starttls=False, alert_email_to=["ops@mempawahkab.go.id"], alert_webhook_url=hook.url,
        alert_webhook_secret=SECRET, **extra,
    )  # fmt: skip
    return Service(config, clock=clock)


def _add_display(service: Service, display_id: str, name: str) -> None:
    now = format_utc(START - timedelta(days=1))
    service.db["displays"].insert({"id": display_id, "name": name, "width": 640, "height": 360,
                                   "timezone": "Asia/Pontianak", "created_at": now})  # fmt: skip


def _enrol(service: Service, display_id: str) -> None:
    created = format_utc(START - timedelta(days=1))
    service.db["display_tokens"].insert(
        {"token_hash": f"h-{display_id}", "display_id": display_id, "created_at": created, "revoked_at": None}
    )


def _status(service: Service, display_id: str, **values: Any) -> None:
    row = {"display_id": display_id, "last_seen": format_utc(START), "status": "playing", "manifest_version": None,
           "free_disk_bytes": 50 * 1024**3, "clock_offset_s": 0.2, "clock_fault": None, "warnings": dumps([]),
           "cache": dumps([]), **values}  # fmt: skip
    service.db["display_status"].upsert(row, pk="display_id")


def test_each_rule_finds_its_condition_and_a_healthy_display_has_none(
    tmp_path: Path, alert_fakes: tuple[FakeSmtp, FakeWebhook]
) -> None:
    clock = Clock()
    service = _service(tmp_path, clock, alert_fakes)
    displays = ["kantor-bupati", "offline", "horizon", "disk", "disk-warning", "clock", "offset", "error", "skips",
                "never"]  # fmt: skip
    for display_id in displays[1:]:
        _add_display(service, display_id, display_id.title())
    for display_id in displays:
        _enrol(service, display_id)
    _add_display(service, "not-enrolled", "Tanpa pemutar")  # no player: nothing to watch yet
    for display_id in displays[:-1]:
        _status(service, display_id)
    _status(service, "offline", last_seen=format_utc(START - timedelta(minutes=11)))
    service.db["manifests"].insert({"display_id": "horizon", "version": 3,
                                    "valid_until": format_utc(START + timedelta(days=1))})  # fmt: skip
    service.db["manifests"].insert({"display_id": "kantor-bupati", "version": 1,
                                    "valid_until": format_utc(START + timedelta(days=14))})  # fmt: skip
    _status(service, "horizon", manifest_version=3)
    _status(service, "kantor-bupati", manifest_version=1)
    _status(service, "disk", free_disk_bytes=100 * 1024**2)
    _status(service, "disk-warning", warnings=dumps(["low disk: 1 bytes free in /var/player"]))
    _status(service, "clock", clock_fault="PC clock jumped back 3 days")
    _status(service, "offset", clock_offset_s=-95.0)
    _status(service, "error", status="error")
    received = format_utc(START - timedelta(minutes=5))
    service.db["play_events"].insert_all(
        {"id": f"e{i}", "display_id": "skips", "item_id": "ann-1", "result": "skipped", "received_at": received}
        for i in range(5)
    )
    service.db["data_sources"].insert_all([
        {"id": "opensid-antibar", "name": "OpenSID Antibar", "refresh_s": 3600,
         "last_ok_at": format_utc(START - timedelta(hours=4)), "state": dumps({})},
        {"id": "fresh", "refresh_s": 3600, "last_ok_at": format_utc(START - timedelta(hours=1)), "state": dumps({})},
        {"id": "broken", "refresh_s": 600, "last_ok_at": None,
         "state": dumps({"failures": 3, "last_error": "HTTP 500"})},
    ])  # fmt: skip
    clock.now = START + timedelta(minutes=1)
    found = {f.key: f for f in findings(service, clock.now)}
    assert set(found) == {
        "offline:offline", "horizon:horizon", "low_disk:disk", "low_disk:disk-warning", "clock:clock",
        "clock:offset", "playback:error", "playback:skips", "offline:never", "source_stale:opensid-antibar",
        "source_stale:broken",
    }  # fmt: skip
    assert found["low_disk:disk"].facts["problem"] == "100 MB free"
    FleetAlerts(service, make_channels=lambda config: {}).sync(list(found.values()), clock.now)
    assert open_counts(service) == {"offline": 2, "horizon": 1, "low_disk": 2, "clock": 2, "playback": 2,
                                    "source_stale": 2}  # fmt: skip
    assert found["source_stale:broken"].facts == {"never": True, "problem": "HTTP 500"}
    service.close()


def _mail_subjects(smtp: FakeSmtp) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages]


def test_open_remind_resolve_and_retry_when_the_receiver_is_down(
    tmp_path: Path, alert_fakes: tuple[FakeSmtp, FakeWebhook]
) -> None:
    smtp, hook = alert_fakes
    clock = Clock()
    service = _service(tmp_path, clock, alert_fakes, alert_renotify_min=60)
    _enrol(service, "kantor-bupati")
    _status(service, "kantor-bupati")
    alerts = FleetAlerts(service)
    assert alerts.run_once().opened == [] and smtp.messages == [] and hook.posts == []

    clock.now = START + timedelta(minutes=11)  # ten minutes without a heartbeat: offline
    summary = alerts.run_once()
    assert summary.opened == ["offline:kantor-bupati"] and summary.sent == 2
    assert _mail_subjects(smtp) == ["[Signage] Peringatan: Layar Layar uji tidak mengirim kabar sejak "
                                    "Senin, 30 November 2026 · 10.00 WIB."]  # fmt: skip
    assert smtp.envelopes[0][1] == ["ops@mempawahkab.go.id"]
    headers, body = hook.posts[0]
    assert headers[SIGNATURE_HEADER.lower()] == signature(SECRET, body)
    sent = json.loads(body)
    assert sent["alert"]["event"] == "opened" and sent["alert"]["kind"] == "offline"
    assert sent["subject"] == _mail_subjects(smtp)[0]

    for minutes in (12, 30, 59):  # still open: no second message before alert_renotify_min
        clock.now = START + timedelta(minutes=11 + minutes)
        assert alerts.run_once().sent == 0
    assert len(smtp.messages) == 1 and len(hook.posts) == 1
    clock.now = START + timedelta(minutes=11 + 60)
    assert alerts.run_once().reminded == ["offline:kantor-bupati"]
    assert _mail_subjects(smtp)[-1].startswith("[Signage] Masih terjadi: ") and len(hook.posts) == 2

    hook.stop()  # the gateway is down when the display comes back
    _status(service, "kantor-bupati", last_seen=format_utc(clock.now))
    clock.now += timedelta(minutes=1)
    summary = alerts.run_once()
    assert summary.resolved == ["offline:kantor-bupati"] and (summary.sent, summary.failed) == (1, 1)
    assert _mail_subjects(smtp)[-1].startswith("[Signage] Selesai: Layar Layar uji")
    assert "Selesai pada" in smtp.messages[-1].get_content()
    pending = list(service.db["alert_outbox"].rows_where("sent_at is null"))
    assert len(pending) == 1 and pending[0]["channel"] == "webhook" and pending[0]["attempts"] == 1
    assert "webhook" in pending[0]["last_error"]
    assert alerts.run_once().failed == 0  # not due yet: no hammering of a receiver that is down

    hook.start()  # back on the same port
    _status(service, "kantor-bupati", last_seen=format_utc(clock.now + timedelta(minutes=1)))
    clock.now += timedelta(minutes=1)
    assert alerts.run_once().sent == 1
    assert hook.bodies()[-1]["alert"]["event"] == "resolved"
    assert service.db["alert_outbox"].count_where("sent_at is null") == 0
    assert len(smtp.messages) == 3  # opened, reminder, resolved: one each
    service.close()


def test_the_schedulers_own_problem_fragments_read_in_the_readers_language() -> None:
    problem = "120 MB free; low disk: /var is read-only"  # the scheduler's fragment; then the player's own words
    assert describe("low_disk", "Kantor Bupati", {"problem": problem}, "Asia/Pontianak", "id") == (
        "Disk layar Kantor Bupati hampir penuh: tersisa 120 MB; "
        "pesan pemutar (bahasa Inggris): \u201clow disk: /var is read-only\u201d."  # not recognised: labelled
    )
    problem = "120 MB free; low disk: 1048576 bytes free in /var/lib/signage; cannot write play log: [Errno 28]"
    assert describe("low_disk", "Kantor Bupati", {"problem": problem}, "Asia/Pontianak", "id") == (
        "Disk layar Kantor Bupati hampir penuh: tersisa 120 MB; ruang disk pemutar hampir habis: sisa 1 MB; "
        "pemutar tidak bisa menulis play log ke disknya."
    )
    fault = "PC clock is +420 s off the scheduler's; playing on the scheduler's time"  # one text with a "; "
    assert describe("clock", "Desa Antibar", {"problem": fault}, "Asia/Pontianak", "id") == (
        "Jam layar Desa Antibar salah: jam PC selisih 420 detik dari jam penjadwal; pemutar memakai jam penjadwal."
    )
    source = describe("source_stale", "BMKG", {"problem": "HTTP 503", "never": True}, "Asia/Pontianak", "id")
    assert "HTTP 503" in source and "pemutar" not in source  # a data source's error is not a player's
    playback = {"problem": "player status: error; 7 skipped plays in the last hour"}
    text = describe("playback", "Desa Antibar", playback, "Asia/Pontianak", "id")
    assert text.endswith("status pemutar: galat; 7 pemutaran dilewati dalam satu jam terakhir.")
    assert "120 MB free" in describe("low_disk", "Kantor Bupati", {"problem": "120 MB free"}, "Asia/Pontianak", "en")


def test_a_clock_fault_is_told_by_its_code_whatever_the_players_english_says(
    tmp_path: Path, alert_fakes: tuple[FakeSmtp, FakeWebhook]
) -> None:
    clock = Clock()
    service = _service(tmp_path, clock, alert_fakes)
    _add_display(service, "pinyuh", "LED Pinyuh")
    _enrol(service, "pinyuh")
    wording = "clock went backwards by three days (a newer player's wording)"  # no legacy pattern knows it
    _status(service, "pinyuh", clock_fault=wording,
            warning_codes=dumps([{"code": "clock_behind", "params": {"behind_s": 259200}}]))  # fmt: skip
    (finding,) = findings(service, clock.now)
    assert finding.facts == {"problem": wording, "problem_code": "clock_behind",
                             "problem_params": {"behind_s": 259200}}  # fmt: skip
    text = describe("clock", "LED Pinyuh", finding.facts, "Asia/Pontianak", "id")
    assert "259.200 detik" in text and "bahasa Inggris" not in text and wording not in text
    assert "259,200 seconds behind" in describe("clock", "LED Pinyuh", finding.facts, "Asia/Pontianak", "en")
    # an older player (no code): its English text, recognised or labelled, as before
    _status(service, "pinyuh", clock_fault=wording, warning_codes=None)
    (finding,) = findings(service, clock.now)
    assert finding.facts == {"problem": wording}
    assert "bahasa Inggris" in describe("clock", "LED Pinyuh", finding.facts, "Asia/Pontianak", "id")
    service.close()
