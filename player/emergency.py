"""Pushed emergencies on the player: verified, kept across restarts, laid over the manifest.

The scheduler pushes a signed emergency message on the event stream before it republishes the full
manifests (:mod:`signage.emergency_message`). :class:`EmergencyBook` accepts a message only if the
scheduler's key signed it, it names this display, it has not expired and its sequence number is newer
than any accepted before (a replay is refused); each refusal is logged with its reason. Accepted
emergencies are kept in ``emergency.json`` (the signed envelopes) so a restart within their validity
still shows them; a signed ``cancel`` takes one off at once (also when the manifest already carries it:
its emergency segments for that item are dropped until a manifest generated after the cancel arrives).

:func:`overlay` adds the active emergencies to the manifest being played as emergency-layer segments, so
the normal render path shows them (full screen, strips hidden). Once a manifest generated at or after the
emergency's ``issued_at`` arrives, it carries the same item id itself and takes over
(:meth:`EmergencyBook.superseded_by`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from player.cache import LoadedManifest
from player.fsutil import WriteFaults
from signage.canonical import canonical_json
from signage.canvas import Canvas
from signage.emergency_message import EmergencyMessage, EmergencyRefused, verify_message
from signage.fsutil import atomic_write_bytes
from signage.manifest import SCHEMA, Item, Manifest, MediaRef, Segment, Zone

log = logging.getLogger("player.emergency")

BOOK_FILE = "emergency.json"
MAIN_ZONE = Zone("main", 0.0, 0.0, 1.0, 1.0, 0)


class EmergencyBook:
    def __init__(self, data_dir: Path, display_id: str, faults: WriteFaults | None = None) -> None:
        self.path = Path(data_dir) / BOOK_FILE
        self.display_id = display_id
        self.faults = faults
        self.last_seq = 0
        self.messages: dict[str, EmergencyMessage] = {}  # item id -> the emergency pushed for it
        self.cancels: dict[str, EmergencyMessage] = {}  # item id -> the cancel pushed for it
        self._envelopes: dict[tuple[str, str], dict[str, Any]] = {}  # (kind, item id) -> signed envelope

    # -- receiving -------------------------------------------------------------

    def receive(self, envelope: Any, trusted_keys: dict[str, Ed25519PublicKey], now: datetime) -> EmergencyMessage:
        """Accept a pushed message (emergency or cancel) or raise :class:`EmergencyRefused` (logged)."""
        try:
            message = verify_message(envelope, trusted_keys, display_id=self.display_id, now=now,
                                     last_seq=self.last_seq)  # fmt: skip
        except EmergencyRefused as exc:
            log.warning("emergency push refused: %s", exc.reason)
            raise
        self.last_seq = message.seq
        self._keep(message, envelope if isinstance(envelope, dict) else json.loads(envelope))
        if message.kind == "cancel":
            log.warning("emergency %s cancelled by signed message %s", message.item_id, message.id)
        else:
            log.warning("emergency %s accepted from signed message %s (valid until %s)", message.item_id,
                        message.id, message.valid_until.isoformat())  # fmt: skip
        self.save()
        return message

    def _keep(self, message: EmergencyMessage, envelope: dict[str, Any]) -> None:
        """The newest message per item wins: an emergency replaces a cancel and the other way round."""
        for kind in ("emergency", "cancel"):
            self._envelopes.pop((kind, message.item_id), None)
        self.messages.pop(message.item_id, None)
        self.cancels.pop(message.item_id, None)
        (self.messages if message.kind == "emergency" else self.cancels)[message.item_id] = message
        self._envelopes[(message.kind, message.item_id)] = envelope

    def load(self, trusted_keys: dict[str, Ed25519PublicKey], now: datetime) -> None:
        """Read the kept emergencies back, verifying each again; expired ones are dropped."""
        try:
            stored = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", self.path, exc)
            return
        if not isinstance(stored, dict):
            return
        last_seq = stored.get("last_seq")
        self.last_seq = last_seq if isinstance(last_seq, int) and not isinstance(last_seq, bool) else 0
        kept = [e for e in stored.get("messages") or [] if isinstance(e, dict)]
        verified = []
        for envelope in kept:
            try:
                verified.append((verify_message(envelope, trusted_keys, display_id=self.display_id, now=now,
                                                last_seq=-1), envelope))  # fmt: skip
            except EmergencyRefused as exc:
                log.info("kept emergency message dropped: %s", exc.reason)
        for message, envelope in sorted(verified, key=lambda pair: pair[0].seq):
            self._keep(message, envelope)
        if self.messages:
            log.warning("showing kept emergency %s until the manifest takes over", ", ".join(sorted(self.messages)))

    def save(self) -> None:
        document = {"last_seq": self.last_seq, "messages": [self._envelopes[k] for k in sorted(self._envelopes)]}
        try:
            atomic_write_bytes(self.path, canonical_json(document))
        except OSError as exc:
            if self.faults is not None:
                self.faults.failed(BOOK_FILE, exc)
            log.error("cannot keep the emergency for a restart: %s", exc)
            return
        if self.faults is not None:
            self.faults.ok(BOOK_FILE)

    # -- what plays ------------------------------------------------------------

    def superseded_by(self, manifest: Manifest | None) -> list[str]:
        """Drop the pushes a manifest generated after them covers (it has the emergency, or its end)."""
        if manifest is None:
            return []
        gone = []
        for book in (self.messages, self.cancels):
            for key, message in list(book.items()):
                if manifest.generated_at >= message.issued_at:
                    del book[key]
                    self._envelopes.pop((message.kind, key), None)
                    gone.append(key)
                    log.info("%s %s: manifest version %d takes over", message.kind, key, manifest.version)
        if gone:
            self.save()
        return gone

    def active(self, now: datetime) -> list[EmergencyMessage]:
        """Emergencies not yet expired, oldest first (the newest push is shown first)."""
        return sorted((m for m in self.messages.values() if now < m.valid_until), key=lambda m: m.seq)

    def cancelled(self, now: datetime) -> set[str]:
        """Item ids whose emergency was cancelled after the manifest being played was generated."""
        return {k for k, m in self.cancels.items() if now < m.valid_until}


def overlay(
    loaded: LoadedManifest | None,
    messages: list[EmergencyMessage],
    cancelled: set[str],
    slide: Callable[[EmergencyMessage, Canvas], MediaRef | None],
    *,
    display_id: str,
    timezone: str,
    canvas: Canvas,
) -> LoadedManifest | None:
    """``loaded`` with the emergencies as emergency-layer segments of the main zone, and without the
    emergency segments of ``cancelled`` items (nothing to change: ``loaded`` itself).

    ``slide`` gives the emergency's rendered slide in the cache (None: the item is drawn as text).
    """
    base = loaded.manifest if loaded is not None else None
    if base is not None and cancelled:
        kept = tuple(s for s in base.timeline if not (s.layer == "emergency" and cancelled & set(s.loop)))
        if len(kept) != len(base.timeline):
            assert loaded is not None
            base = replace(base, timeline=kept)
            tag = ",".join(sorted(cancelled)).encode()
            loaded = replace(loaded, manifest=base, envelope=loaded.envelope + b"\ncancelled:" + tag)
    if not messages:
        return loaded
    size = base.canvas if base is not None else canvas
    items: dict[str, Item] = {}
    segments: list[Segment] = []
    for message in sorted(messages, key=lambda m: -m.seq):  # the newest first: it wins the emergency layer
        media = slide(message, size)
        text = {"title": message.title, "body": message.body}
        items[message.item_id] = Item(message.item_id, "image" if media is not None else "text", message.duration_s,
                                      message.title, media, text)  # fmt: skip
        segments.append(Segment(message.valid_from, message.valid_until, "main", "emergency", (message.item_id,),
                                f"pushed emergency {message.id}"))  # fmt: skip
    tag = ",".join(f"{m.id}" for m in messages).encode()
    if base is None:
        manifest = Manifest(
            schema=SCHEMA, display_id=display_id, version=0, generated_at=min(m.issued_at for m in messages),
            valid_until=max(m.valid_until for m in messages), timezone=timezone, canvas=canvas, layout="default",
            layouts={"default": (MAIN_ZONE,)}, items=items, timeline=tuple(segments), fallback=(),
        )  # fmt: skip
        return LoadedManifest(manifest, b"emergency:" + tag, "manifest")
    manifest = replace(
        base,
        items={**base.items, **items},
        timeline=(*segments, *base.timeline),
        valid_until=max(base.valid_until, *(m.valid_until for m in messages)),
    )
    assert loaded is not None
    return replace(loaded, manifest=manifest, envelope=loaded.envelope + b"\nemergency:" + tag)
