"""A server-sent events reader for tests: reads a real event stream on a thread."""

from __future__ import annotations

import queue
import threading

import requests


class SSEClient:
    """Reads an event stream in a thread and queues (id, event, data) tuples."""

    def __init__(self, url: str, token: str, last_event_id: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.response = requests.get(url, headers=headers, stream=True, timeout=(5, 30))
        self.events: queue.Queue[tuple[str | None, str, str]] = queue.Queue()
        self.comments: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event_id, event, data = None, "message", ""
        try:
            for raw in self.response.iter_lines(decode_unicode=True):
                if raw is None:
                    continue
                if raw == "":
                    if data:
                        self.events.put((event_id, event, data))
                    event_id, event, data = None, "message", ""
                elif raw.startswith(":"):
                    self.comments.append(raw)
                elif raw.startswith("id:"):
                    event_id = raw[3:].strip()
                elif raw.startswith("event:"):
                    event = raw[6:].strip()
                elif raw.startswith("data:"):
                    data += raw[5:].strip()
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by close(): the stream simply ends

    def next(self, timeout_s: float = 10) -> tuple[str | None, str, str]:
        return self.events.get(timeout=timeout_s)

    def close(self) -> None:
        self.response.close()
