"""Enrolment: show a code, ask the scheduler, wait for an admin to approve.

Protocol (``docs/architecture.md``; bodies are :mod:`signage.apimodels`)::

    POST {server}/api/v1/enrolments {code, name, secret_sha256, nonce}  -> 202 EnrolmentPending
    POST {server}/api/v1/enrolments/{code}/collect {secret, nonce}     -> EnrolmentPending
                                                                     -> once EnrolmentApproved (token)
                                                                     -> afterwards 410

The code on screen is public and only a handle: the player makes a random
secret, sends its sha256 with the request and the secret itself to collect,
so someone who only read the code gets 404 like for an unknown code. The code
and secret are kept in ``data_dir/enrolment.json`` (0600) so a restart while
waiting keeps showing the code the admin may already be typing. A 404/410 for
our code (expired, or the approval was consumed but not saved) starts over
with a new code and secret.

Every answer carries the scheduler's signature over our nonce; a player
pinned to a key (``server_key_fingerprint``) refuses a server that cannot
prove it holds that key (:mod:`signage.enrolproof`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin

import requests
from pydantic import ValidationError
from PySide6.QtCore import QObject, Qt, Signal, Slot

from player.fsutil import atomic_write_json
from player.http import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, error_text, new_session, short_exc
from player.identity import Identity, save_identity
from player.worker import WorkerThread
from signage.apimodels import CollectRequest, EnrolmentApproved, EnrolmentPending, EnrolmentRequest, ServerProof
from signage.enrolproof import ServerKeyMismatch, verify_proof

log = logging.getLogger("player.enrol")
_M = TypeVar("_M", EnrolmentPending, EnrolmentApproved)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
#: Shown instead of the code until the scheduler accepted the request for it.
CODE_PLACEHOLDER = "···-···"
PENDING_FILE = "enrolment.json"
POLL_INTERVAL_S = 2.0
SECRET_BYTES = 32
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


class WrongServer(EnrolmentError):
    """The server could not prove it holds the pinned key; retried slowly, never enrolled with."""


@dataclass(frozen=True)
class PendingEnrolment:
    code: str
    secret: str

    @classmethod
    def new(cls) -> PendingEnrolment:
        return cls(generate_code(), secrets.token_urlsafe(SECRET_BYTES))

    @property
    def secret_sha256(self) -> str:
        return hashlib.sha256(self.secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PollResult:
    status: str  # "pending" | "approved"
    identity: Identity | None = None


def _nonce() -> str:
    return secrets.token_urlsafe(16)


class EnrolmentClient:
    def __init__(self, server_url: str, session: requests.Session | None = None, server_key: str = "") -> None:
        self.server_url = server_url.rstrip("/")
        self.session = session or new_session()
        self.server_key = server_key

    def _check_server(self, proof: ServerProof, code: str, nonce: str) -> None:
        if not self.server_key:
            return
        try:
            verify_proof(proof, code, nonce, self.server_key)
        except ServerKeyMismatch as exc:
            raise WrongServer(f"refusing to enrol with {self.server_url}: {exc}") from None

    def register(self, pending: PendingEnrolment, name: str) -> None:
        url = f"{self.server_url}/api/v1/enrolments"
        nonce = _nonce()
        body = EnrolmentRequest(code=pending.code, name=name, secret_sha256=pending.secret_sha256, nonce=nonce)
        response = self.session.post(url, json=body.model_dump(), timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        if response.status_code in (409, 410):  # the code is taken (by someone else, or already used)
            raise EnrolmentGone(error_text(response))
        if response.status_code not in (200, 201, 202):
            raise EnrolmentError(f"enrolment request refused: {error_text(response)}")
        answer = self._parse(response, EnrolmentPending)
        self._check_server(answer.server, pending.code, nonce)

    def poll(self, pending: PendingEnrolment) -> PollResult:
        url = f"{self.server_url}/api/v1/enrolments/{pending.code}/collect"
        nonce = _nonce()
        body = CollectRequest(secret=pending.secret, nonce=nonce)
        response = self.session.post(url, json=body.model_dump(), timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        if response.status_code in (404, 410):
            raise EnrolmentGone(error_text(response))
        if response.status_code != 200:
            raise EnrolmentError(f"enrolment status failed: {error_text(response)}")
        status = self._json(response).get("status")
        if status == "pending":
            self._check_server(self._parse(response, EnrolmentPending).server, pending.code, nonce)
            return PollResult("pending")
        if status != "approved":
            raise EnrolmentError(f"unexpected enrolment status {status!r}")
        approved = self._parse(response, EnrolmentApproved)
        self._check_server(approved.server, pending.code, nonce)
        identity = Identity(
            display_id=approved.display_id,
            token=approved.token,
            manifest_url=urljoin(self.server_url + "/", approved.manifest_url),
            public_keys=dict(approved.public_keys),
            server_url=self.server_url,
        )
        if not identity.trusted_keys():
            raise EnrolmentError("approval carries no usable public key")
        return PollResult("approved", identity)

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body: Any = response.json()
        except ValueError as exc:
            raise EnrolmentError("enrolment answer is not JSON") from exc
        if not isinstance(body, dict):
            raise EnrolmentError("enrolment answer is not a JSON object")
        return body

    def _parse(self, response: requests.Response, model: type[_M]) -> _M:
        try:
            return model.model_validate(self._json(response))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "body"
            raise EnrolmentError(f"enrolment answer: {where}: {first.get('msg')}") from None


def load_pending(data_dir: Path) -> PendingEnrolment | None:
    try:
        data = json.loads((Path(data_dir) / PENDING_FILE).read_text(encoding="utf-8"))
        code, secret = data.get("code"), data.get("secret")
    except (OSError, ValueError, AttributeError):
        return None
    if not is_valid_code(code) or not isinstance(secret, str) or len(secret) < 32:
        return None  # e.g. written by a player without secrets: start over
    return PendingEnrolment(code, secret)


def load_pending_code(data_dir: Path) -> str | None:
    pending = load_pending(data_dir)
    return pending.code if pending else None


def save_pending(data_dir: Path, pending: PendingEnrolment) -> None:
    """Keep the code and secret across restarts; a full disk only costs that (a new code after a restart)."""
    try:
        atomic_write_json(Path(data_dir) / PENDING_FILE, {"code": pending.code, "secret": pending.secret},
                          mode=0o600)
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
        server_key: str = "",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.client = EnrolmentClient(server_url, session, server_key)
        self.name = name or default_name()
        self.poll_interval_s = poll_interval_s
        self.pending = load_pending(self.data_dir) or PendingEnrolment.new()
        self.code = self.pending.code
        self._worker = WorkerThread("player-enrol", self._run)
        self._stopping = self._worker.stopping
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        if self._worker.running:
            return
        save_pending(self.data_dir, self.pending)
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
                    self.client.register(self.pending, self.name)
                    registered = True
                result = self.client.poll(self.pending)
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
                self.pending = PendingEnrolment.new()
                save_pending(self.data_dir, self.pending)
                registered = False
                self._event.emit("code", self.pending.code)
                self._stopping.wait(self.poll_interval_s)
                continue
            except (requests.RequestException, EnrolmentError) as exc:
                detail = short_exc(exc) if isinstance(exc, requests.RequestException) else str(exc)
                status = "enrol_wrong_server" if isinstance(exc, WrongServer) else "enrol_offline"
                if isinstance(exc, WrongServer):
                    registered = False  # ask again from scratch: the right scheduler may come back on this address
                    if detail != last_status:
                        log.error("enrolment: %s", detail)
                elif detail != last_status:
                    log.warning("enrolment: %s (retrying)", detail)
                wait_s = backoff_s if not isinstance(exc, WrongServer) else BACKOFF_MAX_S
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
