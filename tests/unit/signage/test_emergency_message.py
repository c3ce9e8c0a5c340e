"""The pushed emergency message: signed once, verified by the player, refused with a reason otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signage.emergency_message import (
    EmergencyRefused,
    build_message,
    sign_message,
    verify_message,
)
from signage.signing import SigningKey, introduce, public_key_from_text

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def _trusted(key: SigningKey) -> dict[str, Any]:
    return {key.key_id: public_key_from_text(key.public_text)}


def _message(key: SigningKey, seq: int = 7, targets: set[str] | None = None, kind: str = "emergency",
             until: datetime = NOW + timedelta(hours=2)) -> dict[str, Any]:  # fmt: skip
    return build_message(
        kind=kind, seq=seq, issued_at=NOW, announcement_id=12, item_id="ann-12",
        targets={"desa-antibar", "kec-sungai-pinyuh"} if targets is None else targets,
        valid_from=NOW, valid_until=until, key_id=key.key_id, title="DARURAT: Banjir Rob",
        body="Warga pesisir harap waspada.", duration_s=15,
        slide={"style": "emergency", "header": "PERINGATAN DARURAT"},
    )  # fmt: skip


def _verify(envelope: Any, key: SigningKey, display_id: str = "desa-antibar", last_seq: int = 0,
            now: datetime = NOW) -> Any:  # fmt: skip
    return verify_message(envelope, _trusted(key), display_id=display_id, now=now, last_seq=last_seq)


def test_round_trip_through_json_gives_the_item_targets_and_validity() -> None:
    key = SigningKey.generate()
    wire = json.dumps(sign_message(_message(key), key))
    message = _verify(wire, key)
    assert (message.kind, message.id, message.seq, message.item_id) == ("emergency", "emg-7", 7, "ann-12")
    assert message.title == "DARURAT: Banjir Rob" and message.body.startswith("Warga")
    assert message.slide == {"style": "emergency", "header": "PERINGATAN DARURAT"}
    assert message.valid_until == NOW + timedelta(hours=2) and message.key_id == key.key_id
    assert message.targets("kec-sungai-pinyuh") and not message.targets("kec-mempawah-hilir")


def test_fleet_wide_message_targets_every_display_without_listing_them() -> None:
    key = SigningKey.generate()
    envelope = sign_message(build_message(
        kind="emergency", seq=1, issued_at=NOW, announcement_id=1, item_id="ann-1", targets=None, valid_from=NOW,
        valid_until=NOW + timedelta(hours=1), key_id=key.key_id, title="DARURAT: Gempa"), key)  # fmt: skip
    assert envelope["message"]["targets"] == {"all": True}
    assert _verify(envelope, key, display_id="any-screen").all_displays


def test_a_changed_byte_is_refused_as_a_bad_signature() -> None:
    key = SigningKey.generate()
    envelope = sign_message(_message(key), key)
    envelope["message"]["item"]["body"] = "Semua aman."  # someone rewrites the text on the way
    with pytest.raises(EmergencyRefused, match="signature does not verify") as refused:
        _verify(envelope, key)
    assert refused.value.code == "bad_signature"


def test_unsigned_and_unknown_key_are_refused() -> None:
    key, stranger = SigningKey.generate(), SigningKey.generate()
    with pytest.raises(EmergencyRefused, match="unsigned") as refused:
        _verify({"message": _message(key)}, key)
    assert refused.value.code == "unsigned"
    with pytest.raises(EmergencyRefused, match="unknown key") as refused:
        _verify(sign_message(_message(stranger), stranger), key)
    assert refused.value.code == "unknown_key"
    with pytest.raises(EmergencyRefused, match="not valid JSON") as refused:
        _verify(b"{not json", key)
    assert refused.value.code == "malformed"


def test_a_message_for_other_displays_is_refused() -> None:
    key = SigningKey.generate()
    with pytest.raises(EmergencyRefused, match="not for display 'kec-mempawah-hilir'") as refused:
        _verify(sign_message(_message(key), key), key, display_id="kec-mempawah-hilir")
    assert refused.value.code == "not_for_me"


def test_an_expired_message_is_refused() -> None:
    key = SigningKey.generate()
    envelope = sign_message(_message(key, until=NOW + timedelta(minutes=5)), key)
    assert _verify(envelope, key, now=NOW + timedelta(minutes=4)).seq == 7
    with pytest.raises(EmergencyRefused, match="expired") as refused:
        _verify(envelope, key, now=NOW + timedelta(minutes=5))
    assert refused.value.code == "expired"


def test_a_replayed_or_older_message_is_refused() -> None:
    key = SigningKey.generate()
    envelope = sign_message(_message(key, seq=7), key)
    assert _verify(envelope, key, last_seq=6).seq == 7
    for last_seq in (7, 9):
        with pytest.raises(EmergencyRefused, match="replayed: sequence 7 is not newer") as refused:
            _verify(envelope, key, last_seq=last_seq)
        assert refused.value.code == "replayed"


def test_a_message_signed_by_a_rotated_key_verifies_through_its_introduction() -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    envelope = sign_message(_message(new), new, [introduce(new, old, "2026-11-30T00:00:00Z")])
    assert _verify(envelope, old).key_id == new.key_id
    with pytest.raises(EmergencyRefused, match="unknown key"):
        _verify(sign_message(_message(new), new), old)  # without the introduction: not trusted


def test_cancel_carries_no_item_and_a_bad_field_is_named() -> None:
    key = SigningKey.generate()
    cancel = _verify(sign_message(_message(key, kind="cancel"), key), key)
    assert cancel.kind == "cancel" and cancel.title == ""
    broken = _message(key)
    broken["valid_until"] = "tomorrow"
    with pytest.raises(EmergencyRefused, match="field valid_until"):
        _verify(sign_message(broken, key), key)
    with pytest.raises(ValueError, match="kind must be one of"):
        build_message(kind="panic", seq=1, issued_at=NOW, announcement_id=1, item_id="ann-1", targets=None,
                      valid_from=NOW, valid_until=NOW, key_id="k")  # fmt: skip
