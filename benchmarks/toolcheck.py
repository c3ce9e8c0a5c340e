"""Benchmarks need real tools (wrk, nginx, ffmpeg, ...): fail loudly when one is missing, never fall back.

``make bench`` (``scripts/bootstrap.sh --bench``) installs them; a benchmark that silently used a
slower substitute would publish figures that measure the substitute.
"""

from __future__ import annotations

import os
import shutil

# Debian installs nginx under /usr/sbin, which is not on a normal user's PATH.
_EXTRA_PATH = os.pathsep.join(["/usr/sbin", "/sbin"])
_PACKAGE = {"wrk": "wrk", "nginx": "nginx-light", "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "stress-ng": "stress-ng"}


class MissingTool(SystemExit):
    """Raised (the message goes to stderr, exit status 1) when a benchmark's tool is not installed."""


def find_tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=_EXTRA_PATH)


def require_tools(names: list[str]) -> dict[str, str]:
    """The path of each tool; raises MissingTool naming every missing one and how to install it."""
    found = {name: find_tool(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        packages = " ".join(sorted({_PACKAGE.get(name, name) for name in missing}))
        raise MissingTool(
            f"benchmark needs {', '.join(missing)}, not installed: run `make bench` (installs them through"
            f" scripts/bootstrap.sh --bench) or `sudo apt-get install {packages}`"
        )
    return {name: path for name, path in found.items() if path is not None}
