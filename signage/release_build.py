"""``signage release build``: the project's wheel plus its (unsigned) release manifest.

The wheel is built with ``pip wheel --no-deps`` from a source tree (default:
the tree this package was installed from, editable installs only). It holds
the project's own code only; a player installs it beside the running version
and keeps using the dependencies of its current venv, so installing needs no
network. ``signage release add`` on the scheduler signs the manifest.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from signage.canonical import canonical_json
from signage.errors import UserError
from signage.fsutil import atomic_write_bytes
from signage.release import WHEEL_RE, Release, check_version, version_key

MANIFEST_NAME = "release.json"
BUILD_TIMEOUT_S = 600.0


def default_source() -> Path | None:
    """The source tree of an editable install (it has a pyproject.toml), else None."""
    import signage

    root = Path(signage.__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def wheel_version(filename: str) -> str:
    if not WHEEL_RE.match(filename):
        raise UserError(f"{filename}: not a pure-Python wheel (NAME-VERSION-py3-none-any.whl)", field="wheel")
    return filename.split("-")[1]


def build_wheel(source: Path, out_dir: Path, *, build_isolation: bool = True) -> Path:
    """Run ``pip wheel --no-deps`` on ``source``; the wheel's path in ``out_dir``."""
    if not (source / "pyproject.toml").is_file():
        raise UserError(f"--source {source}: no pyproject.toml there (give the project's source tree)",
                        field="source")
    with tempfile.TemporaryDirectory(prefix="signage-wheel-") as tmp:
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp, str(source)]
        if not build_isolation:
            command.insert(5, "--no-build-isolation")
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise UserError(f"pip wheel failed for {source} (exit {done.returncode}):\n{tail}", field="source")
        wheels = sorted(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise UserError(f"pip wheel made {len(wheels)} wheels in {tmp}, expected one", field="source")
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / wheels[0].name
        shutil.copyfile(wheels[0], target)
    return target


def describe_wheel(wheel: Path, *, min_compatible: str, max_compatible: str | None, created_at: str) -> Release:
    """The release manifest of a built wheel (its version from the file name)."""
    version = wheel_version(wheel.name)
    check_version(version, "version")
    check_version(min_compatible, "min_compatible")
    maximum = check_version(max_compatible, "max_compatible") if max_compatible else version
    if version_key(min_compatible) > version_key(maximum):
        raise UserError(f"--min-compatible {min_compatible} is above --max-compatible {maximum}",
                        field="min_compatible")
    return Release(version=version, filename=wheel.name, sha256=sha256_file(wheel), size=wheel.stat().st_size,
                   min_compatible=min_compatible, max_compatible=maximum, created_at=created_at)


def build_release(
    source: Path,
    out_dir: Path,
    *,
    min_compatible: str,
    max_compatible: str | None,
    created_at: str,
    build_isolation: bool = True,
) -> tuple[Path, Path, Release]:
    """Build the wheel into ``out_dir`` and write ``release.json`` beside it."""
    wheel = build_wheel(source, out_dir, build_isolation=build_isolation)
    release = describe_wheel(wheel, min_compatible=min_compatible, max_compatible=max_compatible,
                             created_at=created_at)
    manifest = out_dir / MANIFEST_NAME
    atomic_write_bytes(manifest, canonical_json(release.to_dict()) + b"\n", mode=0o644)
    return wheel, manifest, release
