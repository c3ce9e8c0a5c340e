"""Server-Sent Events hub: tells connected players within a second that something changed.

Events are kept in a bounded ring so a client reconnecting with ``Last-Event-ID``
gets what it missed; every new connection also starts with the display's current
manifest version, so even a client from before a scheduler restart catches up.

:meth:`EventHub.emit_to` sends one event to many displays (an emergency push): it is serialised once,
and every targeted queue gets the same object (one wake-up of each event loop, not one per queue).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

RING_SIZE = 1000
#: Event streams one display may hold open at once; a new one beyond this ends the oldest.
MAX_STREAMS_PER_DISPLAY = 4
Subscriber = tuple["asyncio.Queue[Event]", asyncio.AbstractEventLoop, str]  # queue, its loop, token digest


@dataclass(frozen=True)
class Event:
    id: str
    display_id: str  # "*" for every display
    type: str  # manifest | emergency | emergency-push | screenshot
    data: dict[str, Any]
    targets: frozenset[str] | None = None  # emit_to: the displays it is for (display_id is then "+")
    payload: bytes = field(default=b"", compare=False, repr=False)  # pre-serialised (emit_to)

    def encode(self) -> bytes:
        if self.payload:
            return self.payload
        return f"id: {self.id}\nevent: {self.type}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n".encode()

    def for_display(self, display_id: str) -> bool:
        if self.targets is not None:
            return display_id in self.targets
        return self.display_id in ("*", display_id)


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

    def emit_to(self, display_ids: Iterable[str], type_: str, data: dict[str, Any]) -> tuple[Event, int]:
        """One event for many displays, serialised once; (the event, the number of open streams it went to).

        Thread-safe. Every subscriber queue gets the same object; each event loop is woken once.
        """
        targets = frozenset(display_ids)
        with self._lock:
            event_id = f"{self.boot}-{next(self._counter)}"
            text = json.dumps(data, separators=(",", ":"))
            payload = f"id: {event_id}\nevent: {type_}\ndata: {text}\n\n".encode()
            event = Event(event_id, "+", type_, data, targets, payload)
            self._ring.append(event)
            by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Queue[Event]]] = {}
            for display_id in targets:
                for queue, loop, _digest in self._subscribers.get(display_id, {}).values():
                    by_loop.setdefault(loop, []).append(queue)
        for loop, queues in by_loop.items():
            loop.call_soon_threadsafe(_put_all, queues, event)
        return event, sum(len(q) for q in by_loop.values())

    def pending(self, display_ids: Iterable[str]) -> int:
        """Events queued but not yet written to the streams of ``display_ids`` (approximate, any thread)."""
        with self._lock:
            return sum(
                queue.qsize() for d in display_ids for queue, _loop, _digest in self._subscribers.get(d, {}).values()
            )

    def still_pending(self, display_ids: Iterable[str]) -> set[str]:
        """The displays among ``display_ids`` with an event queued but not yet taken by their stream."""
        with self._lock:
            return {d for d in display_ids if any(q.qsize() for q, _l, _d in self._subscribers.get(d, {}).values())}

    def subscribe(self, display_id: str, token_digest: str = "") -> tuple[int, asyncio.Queue[Event]]:
        """A queue of this display's events; ``token_digest`` lets a revocation end exactly its streams."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        with self._lock:
            sub_id = next(self._sub_ids)
            subs = self._subscribers.setdefault(display_id, {})
            subs[sub_id] = (queue, asyncio.get_running_loop(), token_digest)
            # a player holds one stream; past the limit the oldest end (a reconnect whose old stream the network
            # left half-open is served, a token opening streams in a loop cannot hold memory and sockets)
            oldest = sorted(subs)[: max(0, len(subs) - MAX_STREAMS_PER_DISPLAY)]
            doomed = [(subs[old][0], subs[old][1]) for old in oldest]
        for old_queue, loop in doomed:
            loop.call_soon_threadsafe(old_queue.put_nowait, CLOSE)
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
            return [e for e in self._ring if int(e.id.rsplit("-", 1)[1]) > last and e.for_display(display_id)]

    def open_streams(self, display_id: str) -> int:
        """How many event streams ``display_id`` holds open now."""
        with self._lock:
            return len(self._subscribers.get(display_id, {}))

    @property
    def connections(self) -> int:
        with self._lock:
            return sum(len(subs) for subs in self._subscribers.values())


def _put_all(queues: list[asyncio.Queue[Event]], event: Event) -> None:
    for queue in queues:
        queue.put_nowait(event)
