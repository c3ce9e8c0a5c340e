"""The scheduler's Ed25519 signing keys (generated on first start)."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from signage.signing import SigningKey, load_or_create_key


class KeyRing:
    """Private keys live as PEM files under ``keys_dir``; the store lists public keys."""

    def __init__(self, db: Database, keys_dir: Path, now_iso: str) -> None:
        self.db = db
        self.keys_dir = keys_dir
        active = list(self.db["signing_keys"].rows_where("active = 1"))
        if active:
            self._active = SigningKey.from_pem((keys_dir / f"{active[0]['key_id']}.pem").read_bytes())
        else:
            key = load_or_create_key(keys_dir / "new.pem")
            final = keys_dir / f"{key.key_id}.pem"
            (keys_dir / "new.pem").replace(final)
            self.db["signing_keys"].insert(
                {"key_id": key.key_id, "public_key": key.public_text, "created_at": now_iso, "active": 1}
            )
            self._active = key

    @property
    def active(self) -> SigningKey:
        return self._active

    def public_keys(self) -> dict[str, str]:
        return {row["key_id"]: row["public_key"] for row in self.db["signing_keys"].rows}
