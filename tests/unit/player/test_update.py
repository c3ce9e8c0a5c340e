"""The player's update engine against a loopback server: it installs only a signed, newer, compatible release,
and only under the launcher; everything else is reported and left alone."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

from player.identity import Identity
from player.release_state import LauncherState, is_installed, site_dir
from player.update import UpdateEngine
from signage.canonical import canonical_json
from signage.reason_codes import legacy_reason
from signage.release import Release, sign_release
from signage.signing import SigningKey

OFFER = "/api/v1/player/release"



def _wheel(version: str) -> bytes:
    """A minimal pure-Python wheel holding signage/__init__.py at ``version`` (pip installs it for real)."""
    dist = f"mempawah_signage-{version}.dist-info"
    files = {
        "signage/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: mempawah-signage\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    files[f"{dist}/RECORD"] = ("\n".join([*record, f"{dist}/RECORD,,"]) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _offer(server: Any, helpers: Any, key: SigningKey, version: str, *, wheel: bytes | None = None,
           min_compatible: str = "0.1.0") -> Release:
    data = _wheel(version) if wheel is None else wheel
    sha = hashlib.sha256(data).hexdigest()
    release = Release(version=version, filename=f"mempawah_signage-{version}-py3-none-any.whl", sha256=sha,
                      size=len(data), min_compatible=min_compatible, max_compatible=version,
                      created_at="2026-11-30T11:00:00Z", url=f"release-files/{sha}")
    server.set("GET", OFFER, helpers.Route(200, canonical_json(sign_release(release, key))))
    server.set("GET", f"/api/v1/player/release-files/{sha}", helpers.Route(200, data))
    return release


def _engine(identity: Identity, data_dir: Path, server: Any, *, can_switch: bool = True,
            running: str = "0.1.0") -> UpdateEngine:
    return UpdateEngine(identity, data_dir, server.url, can_switch=can_switch, running_version=running)


def test_a_signed_newer_release_is_downloaded_installed_and_made_ready(
    server: Any, helpers: Any, signing_key: SigningKey, identity: Identity, data_dir: Path
) -> None:
    engine = _engine(identity, data_dir, server)
    server.set("GET", OFFER, helpers.Route(204))
    engine.poll()
    assert engine.report() is None and engine.ready_version is None
    _offer(server, helpers, signing_key, "0.2.0")
    engine.poll()
    assert engine.ready_version == "0.2.0" and is_installed(data_dir, "0.2.0")
    assert (site_dir(data_dir, "0.2.0") / "signage" / "__init__.py").read_text() == '__version__ = "0.2.0"\n'
    assert engine.report() == {"state": "installed", "version": "0.2.0", "detail": None, "code": None, "params": {}}
    assert server.hits("GET", OFFER)[0]["headers"]["Authorization"] == f"Bearer {identity.token}"


def test_older_incompatible_failed_or_unlaunched_releases_are_reported_not_installed(
    server: Any, helpers: Any, signing_key: SigningKey, identity: Identity, data_dir: Path
) -> None:
    cases = [
        (_engine(identity, data_dir, server, running="0.3.0"), "0.2.0", {}, "older than the running version 0.3.0",
         ("older_than_running", {"running": "0.3.0"})),
        (_engine(identity, data_dir, server), "0.2.0", {"min_compatible": "0.1.5"}, "outside 0.1.5..0.2.0",
         ("incompatible", {"running": "0.1.0", "min": "0.1.5", "max": "0.2.0"})),
        (_engine(identity, data_dir, server, can_switch=False), "0.2.0", {}, "updates need the launcher",
         ("needs_launcher", {})),
    ]
    for engine, version, options, detail, (code, params) in cases:
        _offer(server, helpers, signing_key, version, **options)
        engine.poll()
        report = engine.report()
        assert report is not None and detail in (report["detail"] or ""), report
        assert (report["code"], report["params"]) == (code, params)  # the English detail as a code, for translation
        assert legacy_reason(report["detail"]) == (code, params)  # and the scheduler's fallback for old players
        assert report["state"] in ("refused", "offered") and engine.ready_version is None
    LauncherState(failed={"0.2.0": "no healthy report within 600 s"}).save(data_dir)  # an old launcher: no codes
    engine = _engine(identity, data_dir, server)
    engine.poll()
    assert engine.report() == {"state": "rolled_back", "version": "0.2.0", "detail": "no healthy report within 600 s",
                               "code": None, "params": {}}
    LauncherState(failed={"0.2.0": "no healthy report within 600 s"},
                  failed_codes={"0.2.0": {"code": "health_timeout", "params": {"timeout_s": 600}}}).save(data_dir)
    engine.poll()
    assert engine.report() == {"state": "rolled_back", "version": "0.2.0", "detail": "no healthy report within 600 s",
                               "code": "health_timeout", "params": {"timeout_s": 600}}
    assert not any(r["path"].startswith("/api/v1/player/release-files/") for r in server.requests)  # none fetched
    assert not (data_dir / "releases" / "0.2.0").exists()


def test_a_wheel_pip_cannot_install_is_refused_and_leaves_nothing(
    server: Any, helpers: Any, signing_key: SigningKey, identity: Identity, data_dir: Path
) -> None:
    engine = _engine(identity, data_dir, server)
    _offer(server, helpers, signing_key, "0.2.0", wheel=b"PK\x03\x04 not really a wheel" * 20)
    engine.poll()
    report = engine.report()
    assert report is not None and report["state"] == "refused" and "pip install" in (report["detail"] or "")
    assert engine.ready_version is None and not (data_dir / "releases" / "0.2.0").exists()
    assert not [p for p in (data_dir / "releases").iterdir() if p.name.startswith(".install-")]
    engine.poll()  # not downloaded again in this run
    assert len([r for r in server.requests if "release-files" in r["path"]]) == 1
