"""``signage release build``: the project's wheel plus its (unsigned) release manifest.

The wheel is built with ``pip wheel --no-deps`` from a source tree (default:
the tree this package was installed from, editable installs only). When this
venv already has the build tools the tree's ``[build-system] requires`` names
(scripts/bootstrap.sh installs them), the build uses them (``--no-build-isolation``)
and needs no network; otherwise pip's isolated build fetches them, with a note saying so. It holds
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
import tomllib
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from signage.canonical import canonical_json
from signage.errors import UserError
from signage.fsutil import atomic_write_bytes
from signage.release import WHEEL_RE, Release, check_version, version_key

MANIFEST_NAME = "release.json"
BUILD_TIMEOUT_S = 600.0
#: Not copied into the build tree: VCS, venvs, data, earlier build output, caches.
COPY_IGNORE = (".git", ".venv", "venv", "var", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
               ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "node_modules")


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


def missing_build_tools(source: Path) -> list[str]:
    """The ``[build-system] requires`` of ``source`` this venv does not satisfy (empty: it builds offline)."""
    try:
        requires = tomllib.loads((source / "pyproject.toml").read_text()).get("build-system", {}).get("requires")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return [f"a readable pyproject.toml ({exc})"]
    missing: list[str] = []
    for text in requires if isinstance(requires, list) else ["setuptools"]:
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            missing.append(str(text))
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            missing.append(str(req))
            continue
        if not req.specifier.contains(installed, prereleases=True):
            missing.append(f"{req} (this venv has {installed})")
    return missing


def choose_isolation(source: Path, build_isolation: bool | None, note: Callable[[str], None]) -> bool:
    """True for pip's isolated build; None asks: isolated only when this venv lacks the build tools."""
    if build_isolation is not None:
        return build_isolation
    missing = missing_build_tools(source)
    if not missing:
        return False
    note(f"this venv lacks the build tools {', '.join(missing)}: building in pip's isolated environment, "
         "which downloads them from the package index (run scripts/bootstrap.sh to build offline)")
    return True


def build_wheel(source: Path, out_dir: Path, *, build_isolation: bool | None = None,
                note: Callable[[str], None] = print) -> Path:
    """Run ``pip wheel --no-deps`` on ``source``; the wheel's path in ``out_dir``."""
    if not (source / "pyproject.toml").is_file():
        raise UserError(f"--source {source}: no pyproject.toml there (give the project's source tree)",
                        field="source")
    build_isolation = choose_isolation(source, build_isolation, note)
    with tempfile.TemporaryDirectory(prefix="signage-wheel-") as tmp:
        # built from a clean copy: setuptools builds in the tree (build/, *.egg-info), and a stale build/lib
        # in the source would put deleted modules into the wheel
        tree = Path(tmp) / "src"
        shutil.copytree(source, tree, ignore=shutil.ignore_patterns(*COPY_IGNORE), symlinks=True)
        wheel_dir = Path(tmp) / "wheel"
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheel_dir), str(tree)]
        if not build_isolation:
            command.insert(5, "--no-build-isolation")
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise UserError(f"pip wheel failed for {source} (exit {done.returncode}):\n{tail}", field="source")
        wheels = sorted(wheel_dir.glob("*.whl"))
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
    build_isolation: bool | None = None,
    note: Callable[[str], None] = print,
) -> tuple[Path, Path, Release]:
    """Build the wheel into ``out_dir`` and write ``release.json`` beside it (isolation: see build_wheel)."""
    wheel = build_wheel(source, out_dir, build_isolation=build_isolation, note=note)
    release = describe_wheel(wheel, min_compatible=min_compatible, max_compatible=max_compatible,
                             created_at=created_at)
    manifest = out_dir / MANIFEST_NAME
    atomic_write_bytes(manifest, canonical_json(release.to_dict()) + b"\n", mode=0o644)
    return wheel, manifest, release
