"""constraints.txt pins every dependency pyproject.toml names, within its range; pyproject bounds every major."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
PIN_RE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]*)==(?P<version>\S+)$")


def load_lock_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("lock", ROOT / "scripts" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pins() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        match = PIN_RE.match(line)
        assert match, f"constraints.txt: {line!r} is not 'name==version' (canonical name)"
        assert match["name"] not in out, f"constraints.txt pins {match['name']} twice"
        out[match["name"]] = match["version"]
    return out


def requirements() -> list[Requirement]:
    return list(load_lock_module().project_requirements(ROOT / "pyproject.toml"))


def test_every_pyproject_dependency_is_pinned_within_its_range() -> None:
    locked = pins()
    for req in requirements():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is in pyproject.toml but not pinned in constraints.txt: run scripts/lock.sh"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"constraints.txt pins {name}=={locked[name]} outside pyproject's {req.specifier}"
        )
    assert "prometheus-client" in locked


def test_every_pyproject_dependency_excludes_the_next_major() -> None:
    for req in requirements():
        assert any(spec.operator in ("<", "==", "~=") for spec in req.specifier), (
            f"{req} has no upper bound: add '<NEXT_MAJOR' (an untested major must not arrive with a fresh install)"
        )


def test_the_lock_is_the_whole_closure_and_what_this_venv_runs() -> None:
    """Each pinned version is the installed one, and the lock holds everything those need (nothing missing)."""
    locked = pins()
    for name, pinned in locked.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            raise AssertionError(f"{name} is pinned but not installed: run scripts/bootstrap.sh") from None
        assert installed == pinned, f"{name}: installed {installed}, constraints.txt pins {pinned}"
    lock = load_lock_module()
    closure = lock.closure(lock.lock_roots(ROOT / "pyproject.toml"))  # build tools (setuptools, wheel) too
    assert sorted(set(closure) - set(locked)) == [], "constraints.txt misses dependencies: run scripts/lock.sh"
    assert sorted(set(locked) - set(closure)) == [], "constraints.txt pins packages nothing needs: run scripts/lock.sh"


def test_bootstrap_installs_with_the_lock_and_its_stamp_hashes_it() -> None:
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    assert "pip install -q -c constraints.txt -e '.[test]'" in bootstrap
    stamp_lines = [line for line in bootstrap.splitlines() if line.startswith("stamp=")]
    assert len(stamp_lines) == 1 and "constraints.txt" in stamp_lines[0] and "pyproject.toml" in stamp_lines[0]


def test_signage_version_comes_from_the_package_metadata() -> None:
    result = subprocess.run([sys.executable, "-m", "signage", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"signage, version {version('mempawah-signage')}"
