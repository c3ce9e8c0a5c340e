from __future__ import annotations

import json

import pytest

from signage.canonical import canonical_json
from signage.errors import ManifestRejected
from signage.signing import SigningKey, envelope_bytes, public_key_from_text, verify_envelope


def _trusted(key: SigningKey) -> dict:
    return {key.key_id: public_key_from_text(key.public_text)}


def test_canonical_json_is_order_independent_and_compact() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert canonical_json({"a": 1, "b": 2}) == canonical_json({"b": 2, "a": 1})


def test_round_trip_and_reserialised_envelope_verifies() -> None:
    key = SigningKey.generate()
    body = envelope_bytes({"version": 3, "text": "Selamat datang"}, key)
    assert verify_envelope(body, _trusted(key)) == {"version": 3, "text": "Selamat datang"}
    pretty = json.dumps(json.loads(body), indent=2).encode()
    assert verify_envelope(pretty, _trusted(key))["version"] == 3


@pytest.mark.parametrize("position", [20, 40, 60])
def test_any_flipped_byte_in_the_manifest_is_refused(position: int) -> None:
    key = SigningKey.generate()
    body = bytearray(envelope_bytes({"version": 3, "text": "Pengumuman resmi Diskominfo"}, key))
    start = body.index(b"Pengumuman")
    body[start + position % 20] ^= 0x01
    with pytest.raises(ManifestRejected):
        verify_envelope(bytes(body), _trusted(key))


def test_unknown_key_and_unsigned_are_refused() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    body = envelope_bytes({"version": 1}, key)
    with pytest.raises(ManifestRejected, match="unknown key"):
        verify_envelope(body, _trusted(other))
    with pytest.raises(ManifestRejected, match="unsigned"):
        verify_envelope(canonical_json({"manifest": {"version": 1}}), _trusted(key))
    with pytest.raises(ManifestRejected, match="not valid JSON"):
        verify_envelope(b"\xff{", _trusted(key))


def test_pem_round_trip_keeps_key_id() -> None:
    key = SigningKey.generate()
    assert SigningKey.from_pem(key.to_pem()).key_id == key.key_id
