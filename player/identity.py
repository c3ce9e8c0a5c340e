"""The player's identity: who it is and which keys it trusts.

Written once, atomically, when enrolment is approved (``data_dir/identity.json``,
mode 0600 because it holds the bearer token).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from signage.fsutil import atomic_write_json
from signage.signing import public_key_from_text

log = logging.getLogger("player.identity")

IDENTITY_FILE = "identity.json"


class IdentityError(ValueError):
    """identity.json exists but cannot be used."""


@dataclass(frozen=True)
class Identity:
    display_id: str
    token: str
    manifest_url: str
    public_keys: dict[str, str] = field(default_factory=dict)
    server_url: str = ""

    def trusted_keys(self) -> dict[str, Ed25519PublicKey]:
        keys: dict[str, Ed25519PublicKey] = {}
        for key_id, text in self.public_keys.items():
            try:
                keys[key_id] = public_key_from_text(text)
            except ValueError as exc:
                log.warning("ignoring trusted key %s: %s", key_id, exc)
        return keys

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Identity:
        if not isinstance(data, dict):
            raise IdentityError("identity is not a JSON object")
        try:
            keys = data.get("public_keys") or {}
            if not isinstance(keys, dict):
                raise IdentityError("public_keys is not an object")
            return cls(
                display_id=str(data["display_id"]),
                token=str(data["token"]),
                manifest_url=str(data["manifest_url"]),
                public_keys={str(k): str(v) for k, v in keys.items()},
                server_url=str(data.get("server_url", "")),
            )
        except KeyError as exc:
            raise IdentityError(f"identity is missing {exc.args[0]!r}") from None


def identity_path(data_dir: Path) -> Path:
    return Path(data_dir) / IDENTITY_FILE


def load_identity(data_dir: Path) -> Identity | None:
    """The saved identity, or None when this player has not enrolled yet."""
    path = identity_path(data_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return Identity.from_json(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IdentityError(f"{path}: {exc}") from exc


def save_identity(data_dir: Path, identity: Identity) -> None:
    atomic_write_json(identity_path(data_dir), identity.to_json(), mode=0o600)
