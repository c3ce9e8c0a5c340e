"""Player releases built from a copy of this tree with `signage release build` (shared by the update test and
benchmark)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from procs import env, signage

import signage as signage_package

SOURCE = Path(signage_package.__file__).resolve().parent.parent
PACKAGES = ("signage", "scheduler", "player", "content", "playlists")
BASE = signage_package.__version__


def build_release(root: Path, version: str, crash: bool = False) -> Path:
    """A copy of this tree at ``version`` (optionally crashing at start), built into ``root/release-<version>``
    with ``--min-compatible`` the running version; its release.json."""
    tree = root / f"src-{version}"
    for package in PACKAGES:
        shutil.copytree(SOURCE / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(SOURCE / name, tree / name)
    init = tree / "signage" / "__init__.py"
    init.write_text(init.read_text().replace(f'__version__ = "{BASE}"', f'__version__ = "{version}"'))
    if crash:
        with (tree / "player" / "app.py").open("a") as out:
            out.write('\nraise RuntimeError("this test release crashes at start")\n')
    out_dir = root / f"release-{version}"
    done = subprocess.run([*signage("release", "build", "-o", str(out_dir), "--source", str(tree),
                                    "--min-compatible", BASE)],
                          capture_output=True, text=True, env=env(), timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"built release {version}" in done.stdout
    return out_dir / "release.json"


def add_fake_release(service: Any, folder: Path, version: str) -> None:
    """Add a release of ``version`` (min-compatible 0.1.0) to ``service``: a small wheel-named file and its
    release.json in ``folder``, as `signage release build` leaves them (nothing that could run)."""
    from scheduler.releases import add_release
    from signage.canonical import canonical_json
    from signage.release_build import describe_wheel

    wheel = folder / f"mempawah_signage-{version}-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04" + version.encode() * 500)
    release = describe_wheel(wheel, min_compatible="0.1.0", max_compatible=None, created_at="2026-11-30T11:00:00Z")
    (folder / "release.json").write_bytes(canonical_json(release.to_dict()))
    add_release(service, folder / "release.json")
