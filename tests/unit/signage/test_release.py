"""Release manifests: parsing names the bad field, version order, compatibility, signature checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signage.canonical import canonical_json
from signage.errors import UserError
from signage.release import Release, ReleaseRejected, parse_release, sign_release, verify_release, version_key
from signage.release_build import describe_wheel
from signage.signing import SigningKey, envelope_bytes

SHA = "a" * 64


def _release(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "schema": "mempawah-signage/release/1", "version": "0.2.0", "sha256": SHA, "size": 1000,
        "filename": "mempawah_signage-0.2.0-py3-none-any.whl", "min_compatible": "0.1.0",
        "max_compatible": "0.2.0", "created_at": "2026-11-30T11:00:00Z",
    }
    data.update(changes)
    return data


def test_version_order_is_numeric_and_ignores_missing_parts() -> None:
    assert version_key("0.10.0") > version_key("0.9.9")
    assert version_key("0.1") == version_key("0.1.0.0")
    assert version_key("0.1.0.1") > version_key("0.1.0")
    with pytest.raises(ValueError, match="not a release version"):
        version_key("0.2.0rc1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"schema": "other"}, "schema"),
        ({"version": "2.0-beta"}, "version"),
        ({"sha256": "XYZ"}, "sha256"),
        ({"size": 0}, "size"),
        ({"size": True}, "size"),
        ({"filename": "../evil.whl"}, "filename"),
        ({"filename": "mempawah_signage-0.2.0-cp311-cp311-linux_x86_64.whl"}, "filename"),
        ({"min_compatible": "0.3.0"}, "min_compatible"),
        ({"created_at": None}, "created_at"),
    ],
)
def test_a_malformed_release_manifest_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_release(_release(**changes))
    assert caught.value.field == field and field in str(caught.value)


def test_compatibility_is_the_inclusive_range_of_running_versions() -> None:
    release = parse_release(_release(min_compatible="0.1.0", max_compatible="0.1.9"))
    assert release.accepts("0.1.0") and release.accepts("0.1.9") and release.accepts("0.1.5")
    assert not release.accepts("0.0.9") and not release.accepts("0.2.0") and not release.accepts("dev")


def test_a_signed_release_verifies_and_any_change_is_refused() -> None:
    key = SigningKey.generate()
    release = parse_release(_release(url="release-files/" + SHA))
    envelope = sign_release(release, key)
    trusted = {key.key_id: key.public_key}
    assert verify_release(canonical_json(envelope), trusted) == release

    tampered = json.loads(canonical_json(envelope))
    tampered["manifest"]["sha256"] = "b" * 64  # point the signed release at another wheel
    with pytest.raises(ReleaseRejected, match="signature does not verify"):
        verify_release(canonical_json(tampered), trusted)
    other = SigningKey.generate()
    with pytest.raises(ReleaseRejected, match="unknown key"):
        verify_release(canonical_json(sign_release(release, other)), trusted)
    unsigned = {"manifest": envelope["manifest"]}
    with pytest.raises(ReleaseRejected, match="unsigned"):
        verify_release(canonical_json(unsigned), trusted)


def test_a_signed_display_manifest_is_not_a_release() -> None:
    key = SigningKey.generate()
    body = envelope_bytes({"schema": "mempawah-signage/manifest/1", "version": 3}, key)
    with pytest.raises(ReleaseRejected, match="not a release"):
        verify_release(body, {key.key_id: key.public_key})


def test_describe_wheel_reads_the_version_from_the_file_name(tmp_path: Path) -> None:
    wheel = tmp_path / "mempawah_signage-0.3.1-py3-none-any.whl"
    wheel.write_bytes(b"PK" + b"\0" * 100)
    release = describe_wheel(wheel, min_compatible="0.2", max_compatible=None, created_at="2026-11-30T11:00:00Z")
    assert isinstance(release, Release)
    assert (release.version, release.max_compatible, release.size) == ("0.3.1", "0.3.1", 102)
    with pytest.raises(UserError, match=r"min-compatible 0\.4 is above"):
        describe_wheel(wheel, min_compatible="0.4", max_compatible=None, created_at="2026-11-30T11:00:00Z")
