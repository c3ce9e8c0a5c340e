"""Fleet alerts end to end: the scheduler's own loop on a live server, real heartbeats over HTTP, loopback
SMTP and webhook fakes, the Beranda and Layar pages, and ``signage alerts list|test`` as real processes."""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from fake_smtp import FakeSmtp
from fake_webhook import FakeWebhook
from procs import env, signage, wait_for
from tests_support import enrol
from web_support import logged_in

from scheduler.notify import SIGNATURE_HEADER, signature

TIMEOUT_S = 30
SECRET = "kunci-bersama"
DISPLAY = "kantor-bupati"


class ShiftedClock:
    """The real clock plus an offset the test moves forward (the scheduler's own clock, not the PC's)."""

    def __init__(self, real: Callable[[], datetime]) -> None:
        self.real = real
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.real() + self.offset


@pytest.fixture
def alerting(demo_service: Any, alert_fakes: tuple[FakeSmtp, FakeWebhook]) -> ShiftedClock:
    """Alert settings on the demo service before the live server (and its alert loop) starts."""
    smtp, hook = alert_fakes
    demo_service.config = dataclasses.replace(
        demo_service.config, alert_check_interval_s=1, alert_offline_min=10, alert_smtp_host="127.0.0.1",
        alert_smtp_port=smtp.port, alert_smtp_starttls=False, alert_email_to=["ops@mempawahkab.go.id"],
        alert_webhook_url=hook.url, alert_webhook_secret=SECRET,
    )  # fmt: skip
    clock = ShiftedClock(demo_service.clock)
    demo_service.clock = clock
    return clock


def _about(display_name: str, smtp: FakeSmtp) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages if display_name in str(m["Subject"])]


def _hooks_about(display_id: str, hook: FakeWebhook) -> list[dict[str, Any]]:
    return [b["alert"] for b in hook.bodies() if b["alert"].get("subject") == display_id]


def test_the_scheduler_loop_alerts_once_then_resolves_and_pages_show_it(
    alerting: ShiftedClock, live_scheduler: Any, alert_fakes: tuple[FakeSmtp, FakeWebhook]
) -> None:
    live, (smtp, hook) = live_scheduler, alert_fakes
    name = live.service.db["displays"].get(DISPLAY)["name"]
    auth = {"Authorization": f"Bearer {enrol(live, DISPLAY, 'ALR234')['token']}"}
    heartbeat = f"{live.url}/api/v1/player/heartbeat"
    assert requests.post(heartbeat, json={"status": "playing"}, headers=auth, timeout=TIMEOUT_S).status_code == 200
    time.sleep(2.5)  # two rounds of the loop: a display that just reported is fine
    assert _about(name, smtp) == []

    alerting.offset = timedelta(minutes=11)  # no heartbeat for eleven minutes
    wait_for(lambda: len(_about(name, smtp)) >= 1 and len(_hooks_about(DISPLAY, hook)) >= 1, TIMEOUT_S,
             "the offline alert by e-mail and webhook")  # fmt: skip
    time.sleep(3)  # three more rounds while it stays open: no duplicate
    assert _about(name, smtp) == [f"[Signage] Peringatan: {_offline_text(smtp, name)}"]
    assert [a["event"] for a in _hooks_about(DISPLAY, hook)] == ["opened"]
    headers, body = next(p for p in hook.posts if DISPLAY.encode() in p[1])
    assert headers[SIGNATURE_HEADER.lower()] == signature(SECRET, body)

    web = logged_in(live, "admin")
    for page in ("/admin/", "/admin/displays"):
        html = web.get(page).text
        assert "Peringatan layar" in html and f"Layar {name} tidak mengirim kabar sejak" in html, page

    assert requests.post(heartbeat, json={"status": "playing"}, headers=auth, timeout=TIMEOUT_S).status_code == 200
    wait_for(lambda: any(s.startswith("[Signage] Selesai:") for s in _about(name, smtp)), TIMEOUT_S,
             "the resolved e-mail")  # fmt: skip
    wait_for(lambda: [a["event"] for a in _hooks_about(DISPLAY, hook)] == ["opened", "resolved"], TIMEOUT_S,
             "the resolved webhook")  # fmt: skip
    assert f"Layar {name} tidak mengirim kabar" not in web.get("/admin/").text


def _offline_text(smtp: FakeSmtp, name: str) -> str:
    subject = _about(name, smtp)[0]
    assert subject.startswith(f"[Signage] Peringatan: Layar {name} tidak mengirim kabar sejak "), subject
    return subject.removeprefix("[Signage] Peringatan: ")


def _config(path: Path, smtp: FakeSmtp, hook_url: str) -> Path:
    path.write_text(
        f"alert_smtp_host: 127.0.0.1\nalert_smtp_port: {smtp.port}\nalert_smtp_starttls: false\n"
        f"alert_smtp_user: diskominfo\nalert_smtp_password: sandi\n"
        f"alert_email_to: [ops@mempawahkab.go.id]\nalert_webhook_url: {hook_url}\nalert_webhook_secret: {SECRET}\n"
    )
    return path


def test_cli_lists_alerts_and_sends_a_test_message(demo_service: Any, tmp_path: Path) -> None:
    smtp, hook = FakeSmtp(user="diskominfo", password="sandi"), FakeWebhook()
    try:
        data_dir = str(demo_service.data_dir)
        config = _config(tmp_path / "scheduler.yaml", smtp, hook.url)
        listed = subprocess.run(signage("alerts", "list", "--config", str(config), "--data-dir", data_dir),
                                capture_output=True, text=True, env=env(), timeout=120)  # fmt: skip
        assert listed.returncode == 0 and "Tidak ada peringatan layar yang terbuka." in listed.stdout, listed.stderr
        sent = subprocess.run(signage("alerts", "test", "--config", str(config), "--data-dir", data_dir),
                              capture_output=True, text=True, env=env(), timeout=120)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert "email: terkirim" in sent.stdout and "webhook: terkirim" in sent.stdout
        assert [str(m["Subject"]) for m in smtp.messages] == ["[Signage] Pesan uji"] and smtp.logins == ["diskominfo"]
        assert hook.bodies()[0]["alert"] == {"event": "test"}
        hook.stop()  # the receiver is down: the command says which channel failed and exits non-zero
        failed = subprocess.run(signage("alerts", "test", "--config", str(config), "--data-dir", data_dir),
                                capture_output=True, text=True, env=env(), timeout=120)  # fmt: skip
        assert failed.returncode == 1 and "webhook: GAGAL" in failed.stderr and "email: terkirim" in failed.stdout
    finally:
        smtp.stop()
        hook.stop()
