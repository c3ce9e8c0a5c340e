"""A minimal SMTP responder on loopback: enough of RFC 5321 for ``smtplib`` (EHLO, AUTH PLAIN, MAIL, RCPT, DATA).

Received mail is kept in ``messages`` as parsed ``email.message.EmailMessage`` objects.
"""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import threading
from email.message import EmailMessage
from typing import Any


class FakeSmtp:
    def __init__(self, user: str = "", password: str = "") -> None:
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
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250-fake-smtp\r\n")
                        self.reply("250 AUTH PLAIN" if fake.user else "250 8BITMIME")
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
