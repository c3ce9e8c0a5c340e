"""Ed25519 keys and detached manifest signatures.

The signed document a player downloads is an *envelope*::

    {"manifest": {...}, "signature": {"alg": "Ed25519", "key_id": "...", "value": "<base64>"}}

The signature covers ``canonical_json(manifest)``. The key id is the first 16
hex digits of the SHA-256 of the raw 32-byte public key, so a player can pick
the right trusted key without trying them all.

Key rotation: after ``signage keys rotate`` the envelope also carries
``introductions``, oldest first: ``{"key_id", "public_key", "introduced_at",
"signed_by", "signature"}``, each signed by the key before it. A player trusts a
new key only when a key it already trusts introduced it (:func:`learn_keys`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from signage.canonical import canonical_json, canonical_object
from signage.errors import ManifestRejected
from signage.fsutil import atomic_write_bytes

ALGORITHM = "Ed25519"


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_to_text(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_text(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a base64 Ed25519 public key: {exc}") from exc


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    @property
    def public_text(self) -> str:
        return public_key_to_text(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pem(cls, data: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(key)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private_key.sign(data)).decode("ascii")


def load_or_create_key(path: Path) -> SigningKey:
    """Load the PEM key at ``path``; create it (mode 0600) on first start."""
    if path.exists():
        return SigningKey.from_pem(path.read_bytes())
    key = SigningKey.generate()
    atomic_write_bytes(path, key.to_pem(), mode=0o600)
    return key


def sign_envelope(
    manifest: dict[str, Any], key: SigningKey, introductions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "manifest": manifest,
        "signature": {
            "alg": ALGORITHM,
            "key_id": key.key_id,
            "value": key.sign(canonical_json(manifest)),
        },
    }
    if introductions:
        envelope["introductions"] = introductions
    return envelope


def envelope_bytes(
    manifest: dict[str, Any], key: SigningKey, introductions: list[dict[str, Any]] | None = None
) -> bytes:
    """The exact bytes served for a manifest (also canonical, so ETags are stable)."""
    return canonical_json(sign_envelope(manifest, key, introductions))


def envelope_bytes_of(
    manifest_bytes: bytes, key: SigningKey, introductions: list[dict[str, Any]] | None = None
) -> bytes:
    """:func:`envelope_bytes` for a manifest already serialised as ``canonical_json(manifest)``.

    The manifest is serialised once (the publisher's largest cost), signed and spliced in as is.
    """
    fields: dict[str, Any] = {"signature": {"alg": ALGORITHM, "key_id": key.key_id, "value": key.sign(manifest_bytes)}}
    if introductions:
        fields["introductions"] = introductions
    return canonical_object(fields, {"manifest": manifest_bytes})


def _introduction_body(intro: dict[str, Any]) -> bytes:
    return canonical_json({k: intro[k] for k in ("key_id", "public_key", "introduced_at")})


def introduce(new_key: SigningKey, by: SigningKey, introduced_at: str) -> dict[str, Any]:
    """A statement, signed by ``by``, that ``new_key`` may sign manifests from now on."""
    intro = {"key_id": new_key.key_id, "public_key": new_key.public_text, "introduced_at": introduced_at}
    return {**intro, "signed_by": by.key_id, "signature": by.sign(_introduction_body(intro))}


def learn_keys(envelope: dict[str, Any], trusted_keys: dict[str, Ed25519PublicKey]) -> dict[str, Ed25519PublicKey]:
    """Keys introduced (directly or by a chain) by an already trusted key; invalid links are ignored."""
    known = dict(trusted_keys)
    learned: dict[str, Ed25519PublicKey] = {}
    intros = envelope.get("introductions")
    if not isinstance(intros, list):
        return learned
    for intro in intros:
        if not isinstance(intro, dict):
            continue
        signer = known.get(str(intro.get("signed_by")))
        key_id = intro.get("key_id")
        if signer is None or not isinstance(key_id, str) or key_id in known:
            continue
        try:
            signer.verify(base64.b64decode(str(intro.get("signature")), validate=True), _introduction_body(intro))
            public_key = public_key_from_text(str(intro["public_key"]))
        except (InvalidSignature, ValueError, KeyError):
            continue
        if key_id_of(public_key) != key_id:
            continue
        known[key_id] = learned[key_id] = public_key
    return learned


def verify_envelope(data: bytes, trusted_keys: dict[str, Ed25519PublicKey]) -> dict[str, Any]:
    """Return the manifest inside ``data`` if a trusted key signed it.

    Raises :class:`ManifestRejected` with a reason otherwise; never returns an
    unverified manifest.
    """
    try:
        envelope = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestRejected(f"manifest is not valid JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise ManifestRejected("manifest envelope is not a JSON object")
    manifest = envelope.get("manifest")
    signature = envelope.get("signature")
    if not isinstance(manifest, dict) or not isinstance(signature, dict):
        raise ManifestRejected("manifest is unsigned (no 'manifest'/'signature' objects)")
    if signature.get("alg") != ALGORITHM:
        raise ManifestRejected(f"unsupported signature algorithm {signature.get('alg')!r}")
    key_id = signature.get("key_id")
    usable = {**trusted_keys, **learn_keys(envelope, trusted_keys)}
    public_key = usable.get(key_id) if isinstance(key_id, str) else None
    if public_key is None:
        raise ManifestRejected(f"manifest signed by unknown key {key_id!r}")
    value = signature.get("value")
    try:
        raw_signature = base64.b64decode(str(value), validate=True)
        public_key.verify(raw_signature, canonical_json(manifest))
    except (InvalidSignature, ValueError) as exc:
        raise ManifestRejected("manifest signature does not verify") from exc
    if manifest.get("key_id") not in (None, key_id):
        raise ManifestRejected("manifest key_id does not match its signature")
    return manifest
