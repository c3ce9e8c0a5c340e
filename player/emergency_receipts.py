"""Receipts for pushed emergencies: the player tells the scheduler at once that it shows (or refused) one.

``POST /api/v1/player/emergency-receipts`` with ``{seq, outcome, reason, code, params}`` (``code`` and
``params``: the refusal as :mod:`signage.reason_codes`, so staff read it in their language; ``reason`` stays
English); a worker thread sends the queued receipts, retrying with backoff while the scheduler cannot be
reached (the heartbeat's ``emergency_items`` acknowledges what is on screen as well, a minute later at the latest).
"""

from __future__ import annotations

import logging
import threading
from collections import deque

import requests

from player.http import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, error_text, new_session, short_exc
from player.worker import WorkerThread
from signage.reason_codes import clean_code, clean_params

log = logging.getLogger("player.emergency")

RECEIPTS_PATH = "/api/v1/player/emergency-receipts"
RETRY_MIN_S = 1.0
RETRY_MAX_S = 60.0
MAX_QUEUED = 100


class ReceiptSender:
    def __init__(self, server_url: str, token: str, session: requests.Session | None = None) -> None:
        self.url = server_url.rstrip("/") + RECEIPTS_PATH
        self.token = token
        self.session = session or new_session()
        self.sent = 0
        self._queue: deque[dict[str, object]] = deque(maxlen=MAX_QUEUED)
        self._lock = threading.Lock()
        self._worker = WorkerThread("player-receipts", self._run)

    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._worker.stop(timeout_s)

    def send(self, seq: int, outcome: str, reason: str = "", code: str | None = None,
             params: dict[str, int | float | str] | None = None) -> None:
        """Thread-safe: queue a receipt and send it now (``code``/``params``: the refusal's, see reason_codes)."""
        body: dict[str, object] = {"seq": seq, "outcome": outcome, "reason": reason[:500]}
        if clean_code(code):
            body["code"] = code
            body["params"] = clean_params(params)
        with self._lock:
            self._queue.append(body)
        self._worker.wake.set()

    def _run(self) -> None:
        delay_s = RETRY_MIN_S
        while not self._worker.stopping.is_set():
            self._worker.wake.wait()
            self._worker.wake.clear()
            while not self._worker.stopping.is_set():
                with self._lock:
                    body = self._queue[0] if self._queue else None
                if body is None:
                    break
                if self._post(body):
                    with self._lock:
                        if self._queue and self._queue[0] is body:
                            self._queue.popleft()
                    delay_s = RETRY_MIN_S
                    continue
                if self._worker.stopping.wait(delay_s):
                    return
                delay_s = min(delay_s * 2, RETRY_MAX_S)

    def _post(self, body: dict[str, object]) -> bool:
        """True when the scheduler took it, or refused it for good (4xx: sending again cannot help)."""
        try:
            response = self.session.post(self.url, json=body, headers={"Authorization": f"Bearer {self.token}"},
                                         timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))  # fmt: skip
        except requests.RequestException as exc:
            log.info("emergency receipt not sent: %s", short_exc(exc))
            return False
        if response.status_code < 300:
            self.sent += 1
            return True
        log.warning("emergency receipt %s refused: %s", body.get("seq"), error_text(response))
        return 400 <= response.status_code < 500 and response.status_code not in (408, 429)
