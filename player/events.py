"""Server-sent events from the scheduler (``GET /api/v1/player/events``).

:class:`EventStreamClient` is plain Python: it reads the stream on a worker
thread, parses it (``id:``, ``event:``, ``data:``, ``retry:``, ``:`` comments)
and calls ``on_event(type, data, id)``. A broken or silent connection
(no byte, not even a keep-alive comment, for ``read_timeout_s``) is
reconnected with exponential backoff and jitter, sending ``Last-Event-ID`` so
the server replays what was missed. :class:`EventStream` wraps it for Qt:
``manifestHint`` (``manifest``, or an unsigned ``emergency`` hint: poll now),
``emergencyPushed`` (a signed emergency or cancel message, see :mod:`player.emergency`) and
``screenshotRequested`` arrive on the GUI thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from PySide6.QtCore import QObject, Qt, Signal, Slot

from player.http import CONNECT_TIMEOUT_S, error_text, new_session, short_exc
from player.worker import WorkerThread

log = logging.getLogger("player.events")

EVENTS_PATH = "/api/v1/player/events"
#: No byte for this long (the server sends keep-alives every ~15 s) means the link is dead.
READ_TIMEOUT_S = 75.0
BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 120.0


@dataclass(frozen=True)
class ServerEvent:
    type: str
    data: dict[str, Any]
    id: str | None


def parse_stream(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """Yield ("event", ServerEvent), ("retry", ms) or ("comment", text) from SSE lines."""
    event_id: str | None = None
    event_type = "message"
    data_lines: list[str] = []
    for line in lines:
        if line == "":
            if data_lines:
                text = "\n".join(data_lines)
                try:
                    data = json.loads(text)
                except ValueError:
                    data = {"text": text}
                yield "event", ServerEvent(event_type, data if isinstance(data, dict) else {"value": data}, event_id)
            event_type, data_lines = "message", []
            continue
        if line.startswith(":"):
            yield "comment", line[1:].strip()
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            event_id = value
        elif name == "event":
            event_type = value
        elif name == "data":
            data_lines.append(value)
        elif name == "retry" and value.isdigit():
            yield "retry", int(value)


class EventStreamClient:
    def __init__(
        self,
        url: str,
        token: str,
        on_event: Callable[[ServerEvent], None],
        *,
        session: requests.Session | None = None,
        read_timeout_s: float = READ_TIMEOUT_S,
        backoff_min_s: float = BACKOFF_MIN_S,
        backoff_max_s: float = BACKOFF_MAX_S,
    ) -> None:
        self.url = url
        self.token = token
        self.on_event = on_event
        self.session = session or new_session()
        self.read_timeout_s = read_timeout_s
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.last_event_id: str | None = None
        self.connections = 0
        self.connected = threading.Event()
        self._worker = WorkerThread("player-events", self._run)
        self._stopping = self._worker.stopping
        self._response: requests.Response | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stopping.set()
        with self._lock:
            response = self._response
        if response is not None:
            _abort(response)  # unblock the read before joining
        self._worker.stop(timeout_s)

    def _run(self) -> None:
        delay_s = self.backoff_min_s
        while not self._stopping.is_set():
            received = self._connect_once()
            if self._stopping.is_set():
                return
            if received:
                delay_s = self.backoff_min_s  # the connection worked: reconnect quickly
            wait_s = delay_s * random.uniform(0.8, 1.2)
            log.debug("event stream: reconnecting in %.1f s", wait_s)
            self._stopping.wait(wait_s)
            delay_s = min(delay_s * 2, self.backoff_max_s)

    def _connect_once(self) -> bool:
        """One connection; True if it delivered at least one event or comment."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream",
                   "Cache-Control": "no-cache"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        received = False
        try:
            response = self.session.get(self.url, headers=headers, stream=True,
                                        timeout=(CONNECT_TIMEOUT_S, self.read_timeout_s))
        except requests.RequestException as exc:
            log.debug("event stream: %s", short_exc(exc))
            return False
        with self._lock:
            self._response = response
        try:
            if response.status_code != 200:
                log.info("event stream refused: %s", error_text(response))
                return False
            self.connections += 1
            self.connected.set()
            log.info("event stream connected (%s)", self.url)
            lines = response.iter_lines(decode_unicode=True)
            for kind, value in parse_stream(line or "" for line in lines):
                received = True
                if kind == "retry":
                    self.backoff_min_s = max(self.backoff_min_s, min(value / 1000, self.backoff_max_s))
                elif kind == "event":
                    if value.id:
                        self.last_event_id = value.id
                    log.info("event %s%s", value.type, f" ({value.id})" if value.id else "")
                    try:
                        self.on_event(value)
                    except Exception:  # a handler bug must not kill the stream
                        log.exception("event handler failed")
                if self._stopping.is_set():
                    break
        except (requests.RequestException, OSError, AttributeError, ValueError) as exc:
            if not self._stopping.is_set():
                log.info("event stream lost: %s", short_exc(exc) if isinstance(exc, requests.RequestException)
                         else exc)
        finally:
            self.connected.clear()
            with self._lock:
                self._response = None
            response.close()
        return received


def _abort(response: requests.Response) -> None:
    """Unblock a thread reading ``response`` (close its socket)."""
    with contextlib.suppress(Exception):
        sock = response.raw._fp.fp.raw._sock  # type: ignore[union-attr]  # urllib3 -> http.client -> socket
        sock.shutdown(2)
    with contextlib.suppress(Exception):
        response.close()


class EventStream(QObject):
    """Qt face of :class:`EventStreamClient`: signals on the GUI thread."""

    manifestHint = Signal(str)  # event type: "manifest" or "emergency"
    emergencyPushed = Signal(object)  # the signed envelope (dict), not yet verified
    screenshotRequested = Signal()
    _received = Signal(object)  # worker -> GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client: EventStreamClient | None = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._received.connect(self._on_received, Qt.ConnectionType.QueuedConnection)

    def start(self, server_url: str, token: str, session: requests.Session | None = None) -> None:
        if self.client is not None:
            return
        self.client = EventStreamClient(server_url.rstrip("/") + EVENTS_PATH, token, self._received.emit,
                                        session=session)
        self.client.start()

    def stop(self) -> None:
        if self.client is not None:
            self.client.stop()
            self.client = None

    @Slot(object)
    def _on_received(self, event: ServerEvent) -> None:
        if event.type == "emergency" and "signature" in event.data:
            self.emergencyPushed.emit(event.data)  # the manifest follows with its own event
        elif event.type in ("manifest", "emergency"):
            self.manifestHint.emit(event.type)
        elif event.type == "screenshot":
            self.screenshotRequested.emit()
