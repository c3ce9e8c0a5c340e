"""The pushed emergency message: small, signed once per emergency, verified by each player on its own.

The scheduler sends it on the event stream of every targeted display *before* it republishes their full
manifests, so a screen shows an approved emergency within seconds even when the fleet is large. The
signed document is an envelope like a manifest's::

    {"message": {...}, "signature": {"alg": "Ed25519", "key_id": "...", "value": "<base64>"},
     "introductions": [...]}  # only after a key rotation

``message`` fields: ``schema``, ``kind`` (``emergency`` | ``cancel``), ``id``, ``seq`` (increases with
every message the scheduler ever sends; a player refuses one not newer than the last it accepted),
``issued_at``, ``announcement_id``, ``item_id`` (the manifest's item id, so the manifest takes over the same
item), ``item`` (emergency only: ``title``, ``body``, ``duration_s``, ``slide`` = the emergency slide's
design), ``targets`` (``{"all": true}`` for every display of the fleet at send time, else
``{"displays": [...]}``), ``valid_from``, ``valid_until`` and ``key_id``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from signage.canonical import canonical_json
from signage.clock import format_utc, parse_utc
from signage.signing import ALGORITHM, SigningKey, learn_keys

SCHEMA = "signage.emergency/1"
KINDS = ("emergency", "cancel")
SLIDE_FIELDS = ("title", "style", "severity", "header", "issuer", "issued")


class EmergencyRefused(ValueError):
    """A pushed emergency message the player must not act on; ``reason`` says why (for the log)."""

    def __init__(self, reason: str, code: str, params: dict[str, int | float | str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code  # unsigned | bad_signature | unknown_key | malformed | not_for_me | expired | replayed
        self.params = params or {}  # what the reason names, for the receipt (signage/reason_codes.py)


@dataclass(frozen=True)
class EmergencyMessage:
    kind: str
    id: str
    seq: int
    issued_at: datetime
    announcement_id: int
    item_id: str
    title: str
    body: str
    duration_s: float
    slide: dict[str, str]
    all_displays: bool
    displays: frozenset[str]
    valid_from: datetime
    valid_until: datetime
    key_id: str

    def targets(self, display_id: str) -> bool:
        return self.all_displays or display_id in self.displays


def build_message(
    *,
    kind: str,
    seq: int,
    issued_at: datetime,
    announcement_id: int,
    item_id: str,
    targets: set[str] | None,
    valid_from: datetime,
    valid_until: datetime,
    key_id: str,
    title: str = "",
    body: str = "",
    duration_s: float = 15.0,
    slide: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The message document; ``targets`` None means every display of the fleet."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    message: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": kind,
        "id": f"emg-{seq}",
        "seq": seq,
        "issued_at": format_utc(issued_at),
        "announcement_id": announcement_id,
        "item_id": item_id,
        "targets": {"all": True} if targets is None else {"displays": sorted(targets)},
        "valid_from": format_utc(valid_from),
        "valid_until": format_utc(valid_until),
        "key_id": key_id,
    }
    if kind == "emergency":
        message["item"] = {"title": title, "body": body, "duration_s": duration_s,
                           "slide": {k: str(v) for k, v in (slide or {}).items() if k in SLIDE_FIELDS}}
    return message


def sign_message(message: dict[str, Any], key: SigningKey,
                 introductions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The signed envelope (one signature, whatever the number of targets)."""
    envelope: dict[str, Any] = {
        "message": message,
        "signature": {"alg": ALGORITHM, "key_id": key.key_id, "value": key.sign(canonical_json(message))},
    }
    if introductions:
        envelope["introductions"] = introductions
    return envelope


def verify_message(
    envelope: Any,
    trusted_keys: dict[str, Ed25519PublicKey],
    *,
    display_id: str,
    now: datetime,
    last_seq: int,
) -> EmergencyMessage:
    """The message if a trusted key signed it, it is for ``display_id``, not expired and newer than
    ``last_seq``; otherwise :class:`EmergencyRefused` with the reason."""
    if isinstance(envelope, bytes | str):
        try:
            envelope = json.loads(envelope)
        except ValueError as exc:
            raise EmergencyRefused(f"emergency message is not valid JSON: {exc}", "malformed") from None
    if not isinstance(envelope, dict):
        raise EmergencyRefused("emergency message is not a JSON object", "malformed")
    message, signature = envelope.get("message"), envelope.get("signature")
    if not isinstance(message, dict) or not isinstance(signature, dict):
        raise EmergencyRefused("emergency message is unsigned (no 'message'/'signature' objects)", "unsigned")
    if signature.get("alg") != ALGORITHM:
        raise EmergencyRefused(f"unsupported signature algorithm {signature.get('alg')!r}", "unsigned")
    key_id = signature.get("key_id")
    usable = {**trusted_keys, **learn_keys(envelope, trusted_keys)}
    public_key = usable.get(key_id) if isinstance(key_id, str) else None
    if public_key is None:
        raise EmergencyRefused(f"emergency message signed by unknown key {key_id!r}", "unknown_key",
                               {"key_id": str(key_id)[:200]})
    try:
        public_key.verify(base64.b64decode(str(signature.get("value")), validate=True), canonical_json(message))
    except (InvalidSignature, ValueError):
        raise EmergencyRefused("emergency message signature does not verify", "bad_signature") from None
    parsed = _parse(message, str(key_id))
    if not parsed.targets(display_id):
        raise EmergencyRefused(f"emergency message {parsed.id} is not for display {display_id!r}", "not_for_me",
                               {"display_id": display_id})
    if now >= parsed.valid_until:
        raise EmergencyRefused(
            f"emergency message {parsed.id} expired at {format_utc(parsed.valid_until)}", "expired",
            {"expired_at": format_utc(parsed.valid_until)},
        )
    if parsed.seq <= last_seq:
        raise EmergencyRefused(
            f"emergency message {parsed.id} replayed: sequence {parsed.seq} is not newer than {last_seq}", "replayed",
            {"seq": parsed.seq, "last_seq": last_seq},
        )
    return parsed


def _parse(message: dict[str, Any], signed_by: str) -> EmergencyMessage:
    def field(name: str, kind: type | tuple[type, ...]) -> Any:
        value = message.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise EmergencyRefused(f"emergency message field {name}: missing or of the wrong type", "malformed")
        return value

    def instant(name: str) -> datetime:
        try:
            return parse_utc(field(name, str))
        except ValueError as exc:
            raise EmergencyRefused(f"emergency message field {name}: {exc}", "malformed") from None

    if message.get("schema") != SCHEMA:
        raise EmergencyRefused(f"emergency message schema {message.get('schema')!r} is not {SCHEMA}", "malformed")
    kind = field("kind", str)
    if kind not in KINDS:
        raise EmergencyRefused(f"emergency message field kind: unknown kind {kind!r}", "malformed")
    if message.get("key_id") != signed_by:
        raise EmergencyRefused("emergency message key_id does not match its signature", "malformed")
    targets = field("targets", dict)
    displays = targets.get("displays") or []
    if not isinstance(displays, list) or not all(isinstance(d, str) for d in displays):
        raise EmergencyRefused("emergency message field targets.displays: not a list of ids", "malformed")
    item = message.get("item") if kind == "emergency" else {}
    if not isinstance(item, dict) or (kind == "emergency" and not isinstance(item.get("title"), str)):
        raise EmergencyRefused("emergency message field item: missing or without a title", "malformed")
    slide = item.get("slide") or {}
    duration_s = item.get("duration_s", 15.0)
    if not isinstance(slide, dict) or not isinstance(duration_s, int | float) or not 1 <= duration_s <= 3600:
        raise EmergencyRefused("emergency message field item: bad slide or duration_s", "malformed")
    valid_from, valid_until = instant("valid_from"), instant("valid_until")
    if valid_until <= valid_from:
        raise EmergencyRefused("emergency message field valid_until: not after valid_from", "malformed")
    return EmergencyMessage(
        kind=kind,
        id=field("id", str),
        seq=field("seq", int),
        issued_at=instant("issued_at"),
        announcement_id=field("announcement_id", int),
        item_id=field("item_id", str),
        title=str(item.get("title") or ""),
        body=str(item.get("body") or ""),
        duration_s=float(duration_s),
        slide={str(k): str(v) for k, v in slide.items() if k in SLIDE_FIELDS},
        all_displays=targets.get("all") is True,
        displays=frozenset(displays),
        valid_from=valid_from,
        valid_until=valid_until,
        key_id=signed_by,
    )
