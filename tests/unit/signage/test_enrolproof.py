"""A pinned player accepts only a server proving it holds the pinned key (or a key it introduced)."""

from __future__ import annotations

import pytest

from signage.config import PlayerConfig, config_from_mapping
from signage.enrolproof import ServerKeyMismatch, fingerprint, make_proof, normalise_pin, verify_proof
from signage.errors import ConfigError
from signage.signing import SigningKey, introduce


def test_the_pinned_key_verifies_by_full_fingerprint_or_key_id() -> None:
    key = SigningKey.generate()
    proof = make_proof(key, "ABC234", "n" * 16)
    verify_proof(proof, "ABC234", "n" * 16, fingerprint(key.public_key))
    verify_proof(proof, "ABC234", "n" * 16, key.key_id.upper())
    assert fingerprint(key.public_key).startswith(key.key_id)


def test_another_key_is_refused_with_both_ids() -> None:
    pinned, other = SigningKey.generate(), SigningKey.generate()
    proof = make_proof(other, "ABC234", "n" * 16)
    with pytest.raises(ServerKeyMismatch, match=f"signs with key {other.key_id}.*pinned to key {pinned.key_id}"):
        verify_proof(proof, "ABC234", "n" * 16, pinned.key_id)


def test_a_replayed_proof_for_another_nonce_or_code_is_refused() -> None:
    key = SigningKey.generate()
    proof = make_proof(key, "ABC234", "n" * 16)
    with pytest.raises(ServerKeyMismatch, match="does not verify"):
        verify_proof(proof, "ABC234", "m" * 16, key.key_id)
    with pytest.raises(ServerKeyMismatch, match="does not verify"):
        verify_proof(proof, "XYZ789", "n" * 16, key.key_id)


def test_a_key_introduced_by_the_pinned_one_is_accepted_a_forged_chain_is_not() -> None:
    old, new, forger = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    keys = {k.key_id: k.public_text for k in (old, new)}
    chain = [introduce(new, old, "2026-01-01T00:00:00Z")]
    verify_proof(make_proof(new, "ABC234", "n" * 16, keys, chain), "ABC234", "n" * 16, old.key_id)
    # without the chain, holding the old public key (it is public) proves nothing
    with pytest.raises(ServerKeyMismatch, match="not introduced"):
        verify_proof(make_proof(new, "ABC234", "n" * 16, keys, []), "ABC234", "n" * 16, old.key_id)
    forged = [introduce(new, forger, "2026-01-01T00:00:00Z")]
    with pytest.raises(ServerKeyMismatch, match="not introduced"):
        verify_proof(make_proof(new, "ABC234", "n" * 16, keys, forged), "ABC234", "n" * 16, old.key_id)


def test_pins_are_validated() -> None:
    assert normalise_pin("AB:CD:" + "0" * 14) == "abcd" + "0" * 14
    with pytest.raises(ValueError, match="16 to 64 hex"):
        normalise_pin("abc")
    with pytest.raises(ConfigError, match="server_key_fingerprint"):
        config_from_mapping(PlayerConfig, {"server_key_fingerprint": "not-a-key"}, "p.yaml")
