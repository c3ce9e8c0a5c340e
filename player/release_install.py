"""Install a verified release wheel beside the running version (plain Python, worker thread).

``pip install --no-deps --no-index --target <data_dir>/releases/<version>/site``: the wheel holds only
the project's own code, its dependencies stay those of the current venv, so nothing is fetched.
The target is built under a temporary name and renamed; ``installed.json`` is written last.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from player.release_state import INSTALLED_MARKER, releases_dir
from signage.fsutil import atomic_write_json
from signage.release import Release

log = logging.getLogger("player.release")

INSTALL_TIMEOUT_S = 600.0


class InstallFailed(Exception):
    """pip could not install the wheel (the release is reported ``refused``)."""


def install_release(data_dir: Path, release: Release, wheel: Path) -> Path:
    """Install ``wheel`` (already verified against ``release``) into ``releases/<version>/``; that folder."""
    root = releases_dir(data_dir)
    final = root / release.version
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".install-{release.version}-", dir=root))
    try:
        named = staging / release.filename  # pip wants the wheel's own file name
        shutil.copyfile(wheel, named)
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
        command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile", "--quiet",
                   "--target", str(staging / "site"), str(named)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, env=env,
                              check=False)
        named.unlink(missing_ok=True)
        if done.returncode != 0:
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise InstallFailed(f"pip install of {release.filename} failed (exit {done.returncode}): {tail}")
        if not (staging / "site" / "signage" / "__init__.py").is_file():
            raise InstallFailed(f"{release.filename} does not contain the signage package")
        atomic_write_json(staging / INSTALLED_MARKER, {**release.to_dict(), "installed_from": str(wheel)})
        shutil.rmtree(final, ignore_errors=True)
        staging.replace(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("release %s installed in %s", release.version, final)
    return final
