"""Enrolment: show a code, ask the scheduler, wait for an admin to approve.

Protocol (``docs/architecture.md``)::

    POST {server}/api/v1/enrolments {"code", "name"}   -> 202 {"ok": true, "status": "pending"}
    GET  {server}/api/v1/enrolments/{code}             -> {"status": "pending"}
                                                       -> once {"status": "approved", display_id,
                                                          token, public_keys, manifest_url}
                                                       -> afterwards 410

The pending code is kept in ``data_dir/enrolment.json`` so a restart while
waiting keeps showing the code the admin may already be typing. A 404/410 for
our code (expired, or the approval was consumed but not saved) starts over
with a new code.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from PySide6.QtCore import QObject, Qt, Signal, Slot

from player.fsutil import atomic_write_json
from player.http import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, error_text, new_session, short_exc
from player.identity import Identity, save_identity
from player.worker import WorkerThread

log = logging.getLogger("player.enrol")

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
PENDING_FILE = "enrolment.json"
POLL_INTERVAL_S = 2.0
BACKOFF_MAX_S = 30.0


def generate_code(choice: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    """``ABCDEF`` -> ``ABC-DEF`` (how the code is shown and read aloud)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def is_valid_code(code: object) -> bool:
    return (
        isinstance(code, str)
        and len(code) == CODE_LENGTH
        and all(c in CODE_ALPHABET for c in code)
    )


class EnrolmentGone(Exception):
    """The scheduler no longer knows our code (404/410): start over."""


class EnrolmentError(Exception):
    """The scheduler answered something we cannot use; retried with backoff."""


@dataclass(frozen=True)
class PollResult:
    status: str  # "pending" | "approved"
    identity: Identity | None = None


class EnrolmentClient:
    def __init__(self, server_url: str, session: requests.Session | None = None) -> None:
        self.server_url = server_url.rstrip("/")
        self.session = session or new_session()

    def register(self, code: str, name: str) -> None:
        url = f"{self.server_url}/api/v1/enrolments"
        response = self.session.post(
            url, json={"code": code, "name": name}, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
        )
        if response.status_code == 409:  # already registered (e.g. after a restart)
            return
        if response.status_code not in (200, 201, 202):
            raise EnrolmentError(f"enrolment request refused: {error_text(response)}")

    def poll(self, code: str) -> PollResult:
        url = f"{self.server_url}/api/v1/enrolments/{code}"
        response = self.session.get(url, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        if response.status_code in (404, 410):
            raise EnrolmentGone(error_text(response))
        if response.status_code != 200:
            raise EnrolmentError(f"enrolment status failed: {error_text(response)}")
        try:
            body: Any = response.json()
        except ValueError as exc:
            raise EnrolmentError("enrolment status is not JSON") from exc
        status = body.get("status") if isinstance(body, dict) else None
        if status == "pending":
            return PollResult("pending")
        if status != "approved":
            raise EnrolmentError(f"unexpected enrolment status {status!r}")
        try:
            keys = body["public_keys"]
            if not isinstance(keys, dict) or not keys:
                raise EnrolmentError("approval carries no public keys")
            identity = Identity(
                display_id=str(body["display_id"]),
                token=str(body["token"]),
                manifest_url=urljoin(self.server_url + "/", str(body["manifest_url"])),
                public_keys={str(k): str(v) for k, v in keys.items()},
                server_url=self.server_url,
            )
        except KeyError as exc:
            raise EnrolmentError(f"approval is missing {exc.args[0]!r}") from None
        if not identity.trusted_keys():
            raise EnrolmentError("approval carries no usable public key")
        return PollResult("approved", identity)


def load_pending_code(data_dir: Path) -> str | None:
    try:
        code = json.loads((Path(data_dir) / PENDING_FILE).read_text(encoding="utf-8")).get("code")
    except (OSError, ValueError, AttributeError):
        return None
    return code if is_valid_code(code) else None


def save_pending_code(data_dir: Path, code: str) -> None:
    """Keep the code across restarts; a full disk only costs that (a new code after a restart)."""
    try:
        atomic_write_json(Path(data_dir) / PENDING_FILE, {"code": code})
    except OSError as exc:
        log.warning("cannot save the enrolment code to %s: %s", PENDING_FILE, exc)


def default_name() -> str:
    return socket.gethostname() or "player"


class Enroller(QObject):
    """Runs the enrolment loop on a worker thread.

    ``statusChanged`` carries a key of :mod:`player.texts` (``enrol_pending``,
    ``enrol_offline`` ...) and a detail for the log/status file.
    """

    codeChanged = Signal(str)
    statusChanged = Signal(str, str)
    enrolled = Signal(object)  # Identity, already saved to identity.json
    _event = Signal(str, object)  # worker -> GUI thread

    def __init__(
        self,
        data_dir: Path,
        server_url: str,
        name: str = "",
        *,
        poll_interval_s: float = POLL_INTERVAL_S,
        session: requests.Session | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.client = EnrolmentClient(server_url, session)
        self.name = name or default_name()
        self.poll_interval_s = poll_interval_s
        self.code = load_pending_code(self.data_dir) or generate_code()
        self._worker = WorkerThread("player-enrol", self._run)
        self._stopping = self._worker.stopping
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        if self._worker.running:
            return
        save_pending_code(self.data_dir, self.code)
        log.info("enrolment code %s: waiting for approval at %s", display_code(self.code),
                 self.client.server_url)
        self._worker.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._worker.stop(timeout_s)

    def _run(self) -> None:
        registered = False
        backoff_s = self.poll_interval_s
        last_status = ""
        while not self._stopping.is_set():
            try:
                if not registered:
                    self.client.register(self.code, self.name)
                    registered = True
                result = self.client.poll(self.code)
                backoff_s = self.poll_interval_s
                if result.identity is not None:
                    try:
                        save_identity(self.data_dir, result.identity)
                        (self.data_dir / PENDING_FILE).unlink(missing_ok=True)
                    except OSError as exc:  # full disk: play this session; app retries the save
                        log.error("cannot save identity.json (%s): enrolled for this run only", exc)
                    self._event.emit("enrolled", result.identity)
                    return
                status, detail = "enrol_pending", "pending"
            except EnrolmentGone as exc:
                log.warning("enrolment code %s is no longer known (%s): new code",
                            display_code(self.code), exc)
                self.code = generate_code()
                save_pending_code(self.data_dir, self.code)
                registered = False
                self._event.emit("code", self.code)
                self._stopping.wait(self.poll_interval_s)
                continue
            except (requests.RequestException, EnrolmentError) as exc:
                detail = short_exc(exc) if isinstance(exc, requests.RequestException) else str(exc)
                status = "enrol_offline"
                if detail != last_status:
                    log.warning("enrolment: %s (retrying)", detail)
                wait_s = backoff_s
                backoff_s = min(backoff_s * 2, BACKOFF_MAX_S)
                last_status = detail
                self._event.emit("status", (status, detail))
                self._stopping.wait(wait_s)
                continue
            last_status = detail
            self._event.emit("status", (status, detail))
            self._stopping.wait(self.poll_interval_s)

    @Slot(str, object)
    def _on_event(self, kind: str, value: Any) -> None:
        if kind == "code":
            self.code = value
            self.codeChanged.emit(value)
        elif kind == "status":
            self.statusChanged.emit(*value)
        elif kind == "enrolled":
            log.info("enrolled as display %s (manifest %s)", value.display_id, value.manifest_url)
            self.enrolled.emit(value)
