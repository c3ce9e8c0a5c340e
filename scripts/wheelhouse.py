"""A local wheelhouse for offline installs of the player: ``var/wheelhouse/<lock hash>/``.

``scripts/bootstrap.sh`` (which may use the network) fills it once per lock: every wheel that
``deploy/install-player.sh`` installs (pip, the project's runtime dependencies at the versions in
constraints.txt, and the build tools setuptools + wheel for the project's own build). Tests then
install with ``pip --no-index --find-links DIR`` and touch no address but loopback.

    python scripts/wheelhouse.py            fill it (idempotent: a complete one is left alone)
    python scripts/wheelhouse.py --path     print its folder
    python scripts/wheelhouse.py --check    exit 1 with a message when it is not complete
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CACHE_DIR = PROJECT_DIR / "var" / "wheelhouse"
COMPLETE_MARK = ".complete"
#: Installed by pip itself (the installer's ``--upgrade pip``) and by the project's build (PEP 517).
TOOLS = ("pip", "setuptools", "wheel")


def runtime_requirements(project_dir: Path = PROJECT_DIR) -> list[str]:
    """pyproject.toml's [project] dependencies (what the installed player needs; no test extra)."""
    return list(tomllib.loads((project_dir / "pyproject.toml").read_text())["project"]["dependencies"])


def lock_key(project_dir: Path = PROJECT_DIR) -> str:
    """The first 16 hex digits of sha256(pyproject.toml + constraints.txt), as scripts/bootstrap.sh stamps."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((project_dir / name).read_bytes())
    return digest.hexdigest()[:16]


def wheelhouse_dir(project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / "var" / "wheelhouse" / lock_key(project_dir)


def is_complete(folder: Path) -> bool:
    return (folder / COMPLETE_MARK).is_file()


def fill(project_dir: Path = PROJECT_DIR) -> Path:
    """Download (or build) every wheel the player install needs into the lock's folder; its path."""
    target = wheelhouse_dir(project_dir)
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        # pip wheel: wheels as published, and a wheel built for any sdist-only dependency. The project's own
        # requirements are named, not the project (building it here would leave build/ and *.egg-info behind)
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "-c", str(project_dir / "constraints.txt"),
                   "-w", str(staging), *TOOLS, *runtime_requirements(project_dir)]
        subprocess.run(command, check=True)
        (staging / COMPLETE_MARK).write_text(f"{lock_key(project_dir)}\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for old in target.parent.iterdir():  # wheelhouses of earlier locks
        if old.is_dir() and old != target and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return target


def main(argv: list[str]) -> int:
    folder = wheelhouse_dir()
    if argv[:1] == ["--path"]:
        print(folder)
        return 0
    if argv[:1] == ["--check"]:
        if is_complete(folder):
            return 0
        print(f"wheelhouse {folder} is missing or incomplete: run scripts/bootstrap.sh "
              "(or python scripts/wheelhouse.py) once with network access", file=sys.stderr)
        return 1
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"wheelhouse: {fill()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
