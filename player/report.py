"""Reporting to the scheduler on a worker thread: heartbeats and proof-of-play uploads.

Every ``interval_s`` (60 s) :class:`Reporter` posts a heartbeat
(``POST /api/v1/player/heartbeat``, the ``Heartbeat`` model) and then uploads
queued play events (:meth:`player.playlog.PlayLog.upload`). :meth:`send_now`
wakes it at once, optionally with a screenshot (requested by a ``screenshot``
server-sent event), which goes with that one heartbeat only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import requests

from player.http import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, error_text, new_session, short_exc
from player.playlog import PlayLog
from player.worker import WorkerThread

log = logging.getLogger("player.report")

HEARTBEAT_PATH = "/api/v1/player/heartbeat"
PLAY_EVENTS_PATH = "/api/v1/player/play-events"


class Reporter:
    def __init__(
        self,
        server_url: str,
        token: str,
        payload: Callable[[], dict[str, Any]],
        *,
        interval_s: float = 60.0,
        playlog: PlayLog | None = None,
        playlog_batch: int = 500,
        session: requests.Session | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.payload = payload
        self.interval_s = interval_s
        self.playlog = playlog
        self.playlog_batch = playlog_batch
        self.session = session or new_session()
        self.heartbeats_sent = 0
        self.events_sent = 0
        self.last_error: str | None = None
        self._screenshot: str | None = None
        self._lock = threading.Lock()
        self._worker = WorkerThread("player-report", self._run)
        self._wake = self._worker.wake
        self._stopping = self._worker.stopping

    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._worker.stop(timeout_s)

    def send_now(self, screenshot_png_b64: str | None = None) -> None:
        """Thread-safe: report at once (with this screenshot, if given)."""
        with self._lock:
            if screenshot_png_b64 is not None:
                self._screenshot = screenshot_png_b64
        self._wake.set()

    def report_once(self) -> bool:
        """One heartbeat plus play-event upload; True if the heartbeat was accepted."""
        with self._lock:
            screenshot, self._screenshot = self._screenshot, None
        body = self.payload()
        body["screenshot_png_b64"] = screenshot
        headers = {"Authorization": f"Bearer {self.token}"}
        ok = False
        try:
            response = self.session.post(self.server_url + HEARTBEAT_PATH, json=body, headers=headers,
                                         timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
            if 200 <= response.status_code < 300:
                ok = True
                self.heartbeats_sent += 1
                self.last_error = None
            else:
                self.last_error = f"heartbeat refused: {error_text(response)}"
                log.warning("%s", self.last_error)
        except requests.RequestException as exc:
            self.last_error = f"heartbeat failed: {short_exc(exc)}"
            log.debug("%s", self.last_error)
        if not ok and screenshot is not None:
            with self._lock:  # try the screenshot again next time
                self._screenshot = self._screenshot or screenshot
        if ok and self.playlog is not None:
            try:
                self.events_sent += self.playlog.upload(self.session, self.server_url + PLAY_EVENTS_PATH,
                                                        self.token, batch=self.playlog_batch)
            except Exception:  # the queue must never kill the reporter
                log.exception("play event upload failed")
        return ok

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.report_once()
            except Exception:
                log.exception("report failed")
            self._wake.wait(self.interval_s)
        if self.playlog is not None:
            self.playlog.close()
