"""Delivery channels against loopback fakes: SMTP with STARTTLS and login (the server's certificate is checked),
and the webhook's HMAC signature and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_smtp import FakeSmtp, self_signed
from fake_webhook import FakeWebhook

from scheduler.notify import SIGNATURE_HEADER, DeliveryError, EmailChannel, Message, WebhookChannel, signature

MESSAGE = Message("[Signage] Peringatan: uji", "Layar Kantor Bupati tidak mengirim kabar.", {"alert": {"event": "x"}})


def _email(smtp: FakeSmtp, ca_file: str) -> EmailChannel:
    return EmailChannel("127.0.0.1", smtp.port, True, "diskominfo", "sandi", "signage@mempawahkab.go.id",
                        ("ops@mempawahkab.go.id",), ca_file)  # fmt: skip


def test_starttls_then_login_then_mail_with_the_servers_ca(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    smtp = FakeSmtp(user="diskominfo", password="sandi", tls=(cert, key))
    try:
        _email(smtp, str(cert)).send(MESSAGE)
        assert smtp.tls_sessions == 1 and smtp.logins == ["diskominfo"]
        assert str(smtp.messages[0]["Subject"]) == MESSAGE.subject
        assert smtp.messages[0].get_content().strip() == MESSAGE.text
        refused = r"e-mail via 127\.0\.0\.1:\d+: .*CERTIFICATE_VERIFY_FAILED"
        with pytest.raises(DeliveryError, match=refused):  # a server whose CA we do not know is refused
            _email(smtp, "").send(MESSAGE)
        assert len(smtp.messages) == 1
    finally:
        smtp.stop()


def test_webhook_signs_the_body_and_reports_a_refusal() -> None:
    hook = FakeWebhook()
    try:
        WebhookChannel(hook.url, "rahasia").send(MESSAGE)
        headers, body = hook.posts[0]
        assert headers[SIGNATURE_HEADER.lower()] == signature("rahasia", body)
        assert hook.bodies()[0] == {"subject": MESSAGE.subject, "text": MESSAGE.text, "alert": {"event": "x"}}
        WebhookChannel(hook.url, "").send(MESSAGE)
        assert SIGNATURE_HEADER.lower() not in hook.posts[1][0]  # no secret: no signature
        hook.status = 502
        with pytest.raises(DeliveryError, match="answered HTTP 502"):
            WebhookChannel(hook.url, "rahasia").send(MESSAGE)
    finally:
        hook.stop()
