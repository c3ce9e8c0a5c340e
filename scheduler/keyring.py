"""The scheduler's Ed25519 signing keys: generated on first start, rotated on demand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from signage.signing import SigningKey, introduce, load_or_create_key


class KeyRing:
    """Private keys live as PEM files under ``keys_dir``; the store lists public keys."""

    def __init__(self, db: Database, keys_dir: Path, now_iso: str) -> None:
        self.db = db
        self.keys_dir = keys_dir
        active = list(self.db.table("signing_keys").rows_where("active = 1"))
        if active:
            self._active = self._load(active[0]["key_id"])
        else:
            self._active = self._create(now_iso, introduced_by=None)

    def _load(self, key_id: str) -> SigningKey:
        return SigningKey.from_pem((self.keys_dir / f"{key_id}.pem").read_bytes())

    def _create(self, now_iso: str, introduced_by: SigningKey | None) -> SigningKey:
        staging = self.keys_dir / "new.pem"
        staging.unlink(missing_ok=True)
        key = load_or_create_key(staging)
        staging.replace(self.keys_dir / f"{key.key_id}.pem")
        intro = introduce(key, introduced_by, now_iso) if introduced_by is not None else None
        with self.db.atomic():
            self.db.execute("update signing_keys set active = 0")
            self.db.table("signing_keys").insert(
                {
                    "key_id": key.key_id,
                    "public_key": key.public_text,
                    "created_at": now_iso,
                    "active": 1,
                    "introduction": json.dumps(intro) if intro else None,
                }
            )
        return key

    @property
    def active(self) -> SigningKey:
        return self._active

    def reload(self) -> bool:
        """Follow a rotation made by another process (the CLI); True if the active key changed."""
        rows = list(self.db.table("signing_keys").rows_where("active = 1"))
        if not rows or rows[0]["key_id"] == self._active.key_id:
            return False
        self._active = self._load(rows[0]["key_id"])
        return True

    def rotate(self, now_iso: str) -> SigningKey:
        """Make a new active key, introduced by (signed with) the current one."""
        self._active = self._create(now_iso, introduced_by=self._active)
        return self._active

    def introductions(self) -> list[dict[str, Any]]:
        """The chain of introductions, oldest first (empty before the first rotation)."""
        rows = self.db.table("signing_keys").rows_where("introduction is not null", order_by="created_at, rowid")
        return [json.loads(row["introduction"]) for row in rows]

    def public_keys(self) -> dict[str, str]:
        return {row["key_id"]: row["public_key"] for row in self.db.table("signing_keys").rows}
