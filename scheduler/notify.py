"""Delivery of operator messages: e-mail (SMTP, optional STARTTLS and login) and a JSON webhook (optional HMAC).

A channel's ``send`` raises :class:`DeliveryError` with a one-line reason when the
receiver cannot be reached or refuses; the caller (``scheduler/fleet_alerts.py``)
keeps the message and retries later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import requests

from signage.config import SchedulerConfig

SEND_TIMEOUT_S = 15.0
SIGNATURE_HEADER = "X-Signage-Signature"


class DeliveryError(Exception):
    pass


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)  # the webhook's JSON body


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class EmailChannel:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str
    recipients: tuple[str, ...]
    ca_file: str = ""
    name: str = "email"

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or "localhost")
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SEND_TIMEOUT_S) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file or None))
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise DeliveryError(f"e-mail via {self.host}:{self.port}: {exc or type(exc).__name__}") from exc


@dataclass(frozen=True)
class WebhookChannel:
    url: str
    secret: str
    name: str = "webhook"

    def send(self, message: Message) -> None:
        body = json.dumps({"subject": message.subject, "text": message.text, **message.data},
                          ensure_ascii=False, sort_keys=True).encode()  # fmt: skip
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        try:
            response = requests.post(self.url, data=body, headers=headers, timeout=SEND_TIMEOUT_S)
        except requests.RequestException as exc:
            raise DeliveryError(f"webhook {self.url}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"webhook {self.url}: answered HTTP {response.status_code}")


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header for ``body`` (what a receiver checks)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def channels(config: SchedulerConfig) -> dict[str, Channel]:
    """The configured channels by name (none: alerts are only shown in the admin)."""
    out: dict[str, Channel] = {}
    if config.alert_smtp_host:
        out["email"] = EmailChannel(
            config.alert_smtp_host, config.alert_smtp_port, config.alert_smtp_starttls, config.alert_smtp_user,
            config.alert_smtp_password, config.alert_email_from, tuple(config.alert_email_to),
            config.alert_smtp_ca_file,
        )  # fmt: skip
    if config.alert_webhook_url:
        out["webhook"] = WebhookChannel(config.alert_webhook_url, config.alert_webhook_secret)
    return out
