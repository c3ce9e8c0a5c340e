"""A minimal SMTP responder on loopback: enough of RFC 5321 for ``smtplib`` (EHLO, STARTTLS, AUTH PLAIN, MAIL,
RCPT, DATA).

Received mail is kept in ``messages`` as parsed ``email.message.EmailMessage`` objects.
"""

from __future__ import annotations

import base64
import email
import email.policy
import ipaddress
import socketserver
import ssl
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key, as PEM files in ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-smtp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


class FakeSmtp:
    """``tls``: (certificate, key) PEM paths: STARTTLS is offered and AUTH only after it."""

    def __init__(self, user: str = "", password: str = "", tls: tuple[Path, Path] | None = None) -> None:
        self.tls_context: ssl.SSLContext | None = None
        if tls is not None:
            self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls_context.load_cert_chain(*tls)
        self.tls_sessions = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self.user, self.password = user, password
        self.received = threading.Condition()
        fake = self

        class _Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self) -> None:
                self.reply("220 fake-smtp ready")
                sender, recipients = "", []
                secure = False
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250-fake-smtp\r\n")
                        if fake.tls_context is not None and not secure:
                            self.wfile.write(b"250-STARTTLS\r\n")
                        can_auth = fake.user and (secure or fake.tls_context is None)
                        self.reply("250 AUTH PLAIN" if can_auth else "250 8BITMIME")
                    elif verb == "STARTTLS" and fake.tls_context is not None and not secure:
                        self.reply("220 go ahead")
                        try:
                            self.tls = fake.tls_context.wrap_socket(self.request, server_side=True)
                        except (ssl.SSLError, OSError):  # the client refused our certificate
                            return
                        self.rfile, self.wfile = self.tls.makefile("rb"), self.tls.makefile("wb")
                        secure = True
                        fake.tls_sessions += 1
                    elif verb == "AUTH":
                        fake._auth(self, line)
                    elif verb == "MAIL":
                        sender, recipients = line.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        fake._store(self._read_data(), sender, recipients)
                        self.reply("250 OK queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 command not implemented")

            def finish(self) -> None:
                super().finish()
                tls = getattr(self, "tls", None)
                if tls is not None:
                    tls.close()

            def _read_data(self) -> bytes:
                lines = []
                while True:
                    raw = self.rfile.readline()
                    if not raw or raw in (b".\r\n", b".\n"):
                        break
                    lines.append(raw[1:] if raw.startswith(b"..") else raw)
                return b"".join(lines)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _auth(self, handler: Any, line: str) -> None:
        parts = line.split()
        if len(parts) == 3 and parts[1].upper() == "PLAIN":
            _, user, password = base64.b64decode(parts[2]).decode().split("\0")
            if (user, password) == (self.user, self.password):
                self.logins.append(user)
                handler.reply("235 authenticated")
                return
        handler.reply("535 authentication failed")

    def _store(self, data: bytes, sender: str, recipients: list[str]) -> None:
        message = email.message_from_bytes(data, policy=email.policy.default)
        with self.received:
            self.envelopes.append((sender, recipients))
            self.messages.append(message)  # type: ignore[arg-type]
            self.received.notify_all()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
