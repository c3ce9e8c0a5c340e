"""The scheduler proves which key it holds during enrolment; a player may be pinned to that key.

Every enrolment answer carries a :class:`~signage.apimodels.ServerProof`: the
scheduler's active Ed25519 key signs ``enrol_proof_message(code, nonce)``,
where the nonce is fresh from the player. A player configured with
``server_key_fingerprint`` (``--server-key``) accepts the answer only if the
signing key is the pinned one, or was introduced by it through the key-rotation
chain. A different scheduler on the same address (the demo's port race, a
spoofed server) cannot produce that signature, so the player refuses to enrol.

Fingerprint: the SHA-256 (hex) of the raw 32-byte public key; a pin may be any
prefix of at least 16 hex digits (the first 16 are the key id that
``signage keys show`` prints).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from signage.apimodels import ServerProof
from signage.signing import SigningKey, key_id_of, learn_keys, public_key_from_text

PIN_RE = re.compile("^[0-9a-f]{16,64}$")


class ServerKeyMismatch(Exception):
    """The server did not prove it holds the pinned key."""


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def normalise_pin(pin: str) -> str:
    """Lower-case hex without ':' or spaces; ValueError unless 16-64 hex digits."""
    cleaned = pin.replace(":", "").replace(" ", "").lower()
    if not PIN_RE.match(cleaned):
        raise ValueError("a server key fingerprint is 16 to 64 hex digits (see `signage keys show`)")
    return cleaned


def enrol_proof_message(code: str, nonce: str) -> bytes:
    return f"signage-enrol-v1\n{code}\n{nonce}".encode()


def make_proof(
    key: SigningKey,
    code: str,
    nonce: str,
    public_keys: dict[str, str] | None = None,
    introductions: list[dict[str, Any]] | None = None,
) -> ServerProof:
    return ServerProof(
        key_id=key.key_id,
        public_key=key.public_text,
        signature=key.sign(enrol_proof_message(code, nonce)),
        public_keys=dict(public_keys or {}),
        introductions=list(introductions or []),
    )


def verify_proof(proof: ServerProof, code: str, nonce: str, pin: str) -> None:
    """Raise ServerKeyMismatch unless the pinned key (or a key it introduced) signed this code and nonce."""
    pin = normalise_pin(pin)
    try:
        signer = public_key_from_text(proof.public_key)
    except ValueError as exc:
        raise ServerKeyMismatch(f"the server's key is unreadable: {exc}") from None
    candidates = [signer]
    for text in proof.public_keys.values():
        try:
            candidates.append(public_key_from_text(text))
        except ValueError:
            continue
    pinned = next((k for k in candidates if fingerprint(k).startswith(pin)), None)
    if pinned is None:
        raise ServerKeyMismatch(
            f"the server signs with key {fingerprint(signer)[:16]}, but this player is pinned to key {pin[:16]} "
            "(server_key_fingerprint / --server-key): it is not the scheduler this player was set up for"
        )
    trusted = {key_id_of(pinned): pinned}
    trusted |= learn_keys({"introductions": proof.introductions}, trusted)
    key = trusted.get(key_id_of(signer))
    if key is None:
        raise ServerKeyMismatch(f"the server's key {key_id_of(signer)} was not introduced by the pinned key {pin[:16]}")
    try:
        key.verify(base64.b64decode(proof.signature, validate=True), enrol_proof_message(code, nonce))
    except (InvalidSignature, ValueError):
        raise ServerKeyMismatch(f"the server's signature does not verify with the pinned key {pin[:16]}") from None
