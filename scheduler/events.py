"""Server-Sent Events hub: tells connected players within a second that something changed.

Events are kept in a bounded ring so a client reconnecting with ``Last-Event-ID``
gets what it missed; every new connection also starts with the display's current
manifest version, so even a client from before a scheduler restart catches up.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

RING_SIZE = 1000
Subscriber = tuple["asyncio.Queue[Event]", asyncio.AbstractEventLoop, str]  # queue, its loop, token digest


@dataclass(frozen=True)
class Event:
    id: str
    display_id: str  # "*" for every display
    type: str  # manifest | emergency | screenshot
    data: dict[str, Any]

    def encode(self) -> bytes:
        return f"id: {self.id}\nevent: {self.type}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n".encode()


# Put in a subscriber's queue to end its stream (its token was revoked); never sent to a client.
CLOSE = Event("", "", "close", {})


class EventHub:
    def __init__(self) -> None:
        self.boot = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self._ring: deque[Event] = deque(maxlen=RING_SIZE)
        self._lock = threading.Lock()
        # display id -> subscription id -> (queue, loop, token digest); "*" events go to every display
        self._subscribers: dict[str, dict[int, Subscriber]] = {}
        self._sub_ids = itertools.count(1)

    def emit(self, display_id: str, type_: str, data: dict[str, Any]) -> Event:
        """Thread-safe: may be called from request threads or jobs."""
        with self._lock:
            event = Event(f"{self.boot}-{next(self._counter)}", display_id, type_, data)
            self._ring.append(event)
            if display_id == "*":
                targets = [sub for subs in self._subscribers.values() for sub in subs.values()]
            else:
                targets = list(self._subscribers.get(display_id, {}).values())
        for queue, loop, _digest in targets:
            loop.call_soon_threadsafe(queue.put_nowait, event)
        return event

    def subscribe(self, display_id: str, token_digest: str = "") -> tuple[int, asyncio.Queue[Event]]:
        """A queue of this display's events; ``token_digest`` lets a revocation end exactly its streams."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        with self._lock:
            sub_id = next(self._sub_ids)
            self._subscribers.setdefault(display_id, {})[sub_id] = (queue, asyncio.get_running_loop(), token_digest)
        return sub_id, queue

    def close(self, display_id: str | None = None, token_digests: set[str] | None = None) -> int:
        """End the open streams of ``display_id`` (every token) or of the given tokens; the number ended.

        Thread-safe; the streams see :data:`CLOSE` next and return at once.
        """
        with self._lock:
            doomed = [
                (queue, loop)
                for subscriber_display, subs in self._subscribers.items()
                for queue, loop, digest in subs.values()
                if subscriber_display == display_id or (token_digests is not None and digest in token_digests)
            ]
        for queue, loop in doomed:
            loop.call_soon_threadsafe(queue.put_nowait, CLOSE)
        return len(doomed)

    def open_tokens(self) -> set[str]:
        """Digests of the tokens holding a stream open now."""
        with self._lock:
            return {digest for subs in self._subscribers.values() for _q, _l, digest in subs.values() if digest}

    def unsubscribe(self, display_id: str, sub_id: int) -> None:
        with self._lock:
            subs = self._subscribers.get(display_id, {})
            subs.pop(sub_id, None)
            if not subs:
                self._subscribers.pop(display_id, None)

    def missed(self, display_id: str, last_event_id: str | None) -> list[Event]:
        """Events after ``last_event_id`` for this display (none if it is from another boot)."""
        if not last_event_id or not last_event_id.startswith(self.boot + "-"):
            return []
        try:
            last = int(last_event_id.rsplit("-", 1)[1])
        except ValueError:
            return []
        with self._lock:
            return [e for e in self._ring if int(e.id.rsplit("-", 1)[1]) > last and e.display_id in ("*", display_id)]

    @property
    def connections(self) -> int:
        with self._lock:
            return sum(len(subs) for subs in self._subscribers.values())
