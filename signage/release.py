"""Player releases: the release manifest, its signature, version order.

A release is the project's wheel plus a *release manifest* (schema
``mempawah-signage/release/1``)::

    {"schema": ..., "version": "0.2.0", "filename": "mempawah_signage-0.2.0-py3-none-any.whl",
     "sha256": "<hex>", "size": 493846, "min_compatible": "0.1.0", "max_compatible": "0.2.0",
     "created_at": "2026-11-30T11:00:00Z", "url": "release-files/<sha256>", "key_id": "..."}

``signage release build`` writes it unsigned next to the wheel; ``signage
release add`` signs it with the scheduler's active key (the same Ed25519 key
ring the players trust for manifests) into an envelope ``{"manifest":
release, "signature": ...}``. A player installs a release only if the
envelope verifies with a key it trusts, the schema is this one, the wheel
hashes to ``sha256``, and its own running version lies in ``min_compatible``
.. ``max_compatible`` (inclusive): the versions that may update straight to
this release.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from signage.errors import ManifestRejected, UserError
from signage.signing import SigningKey, sign_envelope, verify_envelope

RELEASE_SCHEMA = "mempawah-signage/release/1"
VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+){0,3}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
WHEEL_RE = re.compile(r"^[A-Za-z0-9_.]+-[0-9.]+-py3-none-any\.whl$")
MAX_WHEEL_BYTES = 500_000_000


class ReleaseRejected(ManifestRejected):
    """A release document or file failed verification; nothing is installed."""


def version_key(version: str) -> tuple[int, ...]:
    """``"0.10.2"`` -> ``(0, 10, 2, 0)``: numeric order, missing parts are 0."""
    if not VERSION_RE.match(version):
        raise ValueError(f"{version!r} is not a release version (digits and dots, e.g. 0.2.1)")
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (4 - len(parts))


def check_version(value: str, field: str) -> str:
    try:
        version_key(value)
    except ValueError as exc:
        raise UserError(f"{field}: {exc}", field=field) from None
    return value


@dataclass(frozen=True)
class Release:
    version: str
    filename: str
    sha256: str
    size: int
    min_compatible: str
    max_compatible: str
    created_at: str
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"schema": RELEASE_SCHEMA, **asdict(self)}

    def accepts(self, running_version: str) -> bool:
        """May a player running ``running_version`` update straight to this release?"""
        try:
            running = version_key(running_version)
        except ValueError:
            return False
        return version_key(self.min_compatible) <= running <= version_key(self.max_compatible)


def parse_release(data: Any, where: str = "release manifest") -> Release:
    """A :class:`Release` from its JSON object; :class:`UserError` naming the bad field."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object", field="release")
    if data.get("schema") != RELEASE_SCHEMA:
        raise UserError(f"{where}: schema must be {RELEASE_SCHEMA!r}, not {data.get('schema')!r}", field="schema")
    values: dict[str, Any] = {}
    for name in ("version", "filename", "sha256", "min_compatible", "max_compatible", "created_at"):
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise UserError(f"{where}: {name} is missing or not a string", field=name)
        values[name] = value
    for name in ("version", "min_compatible", "max_compatible"):
        check_version(values[name], name)
    if version_key(values["min_compatible"]) > version_key(values["max_compatible"]):
        raise UserError(f"{where}: min_compatible {values['min_compatible']} is above max_compatible "
                        f"{values['max_compatible']}", field="min_compatible")
    if not SHA256_RE.match(values["sha256"]):
        raise UserError(f"{where}: sha256 must be 64 lowercase hex digits", field="sha256")
    if not WHEEL_RE.match(values["filename"]) or "/" in values["filename"]:
        raise UserError(f"{where}: filename {values['filename']!r} is not a pure-Python wheel name "
                        "(NAME-VERSION-py3-none-any.whl)", field="filename")
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_WHEEL_BYTES:
        raise UserError(f"{where}: size must be a whole number of bytes, 1 to {MAX_WHEEL_BYTES}", field="size")
    url = data.get("url", "")
    if not isinstance(url, str):
        raise UserError(f"{where}: url must be a string", field="url")
    return Release(size=size, url=url, **values)


def sign_release(
    release: Release, key: SigningKey, introductions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The signed envelope a player verifies (``key_id`` inside, like a display manifest)."""
    return sign_envelope({**release.to_dict(), "key_id": key.key_id}, key, introductions)


def verify_release(data: bytes, trusted_keys: dict[str, Ed25519PublicKey]) -> Release:
    """The release inside a signed envelope; :class:`ReleaseRejected` with the reason otherwise."""
    try:
        document = verify_envelope(data, trusted_keys)
    except ManifestRejected as exc:
        raise ReleaseRejected(exc.reason.replace("manifest", "release", 1)) from exc
    if document.get("schema") != RELEASE_SCHEMA:
        raise ReleaseRejected(f"signed document is not a release (schema {document.get('schema')!r})")
    try:
        return parse_release(document, "signed release")
    except UserError as exc:
        raise ReleaseRejected(str(exc)) from exc
