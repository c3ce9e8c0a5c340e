"""EventHub.emit_to: one event for many displays, serialised once, only to the targets, replayed on reconnect."""

from __future__ import annotations

import asyncio

from scheduler.events import EventHub


def test_emit_to_shares_one_serialised_event_with_exactly_the_targeted_streams() -> None:
    async def scenario() -> None:
        hub = EventHub()
        subs = {d: hub.subscribe(d)[1] for d in ("a", "b", "c")}
        second_a = hub.subscribe("a")[1]
        event, sent_to = hub.emit_to({"a", "b", "unknown"}, "emergency", {"message": {"seq": 1}, "signature": {}})
        await asyncio.sleep(0)  # let the loop run the queued puts
        assert sent_to == 3  # two streams of a, one of b; nobody listens for "unknown"
        got = [subs["a"].get_nowait(), second_a.get_nowait(), subs["b"].get_nowait()]
        assert all(e is event for e in got)  # the same object: serialised once
        assert subs["c"].empty() and hub.pending({"c"}) == 0
        assert got[0].encode() == (f"id: {event.id}\nevent: emergency\n"
                                   'data: {"message":{"seq":1},"signature":{}}\n\n').encode()  # fmt: skip
        before = hub.emit("b", "manifest", {"version": 2})
        assert [e.type for e in hub.missed("a", f"{hub.boot}-0")] == ["emergency"]  # replay: its own only
        assert [e.id for e in hub.missed("b", f"{hub.boot}-0")] == [event.id, before.id]
        assert hub.missed("c", f"{hub.boot}-0") == []

    asyncio.run(scenario())


def test_pending_counts_what_the_streams_have_not_taken_yet() -> None:
    async def scenario() -> None:
        hub = EventHub()
        _, queue = hub.subscribe("a")
        hub.emit_to({"a"}, "emergency", {"x": 1})
        await asyncio.sleep(0)
        assert hub.pending({"a"}) == 1 and hub.still_pending({"a", "b"}) == {"a"}
        queue.get_nowait()
        assert hub.pending({"a"}) == 0 and hub.still_pending({"a", "b"}) == set()

    asyncio.run(scenario())
