"""Frames drawn by the player's renderer in a child process (``signage preview``), cached on disk by content.

The scheduler process never loads Qt nor imports ``player``: it hands the child a data dir and a
display, or a one-item manifest (an announcement that is not published yet), and keeps the PNG
under ``<data_dir>/previews/`` keyed by what was drawn, so repeated views cost a file read.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from scheduler.errors import TooMany
from scheduler.preview_manifest import preview_manifest
from scheduler.service import Service
from signage.canonical import canonical_json
from signage.errors import UserError

RENDER_TIMEOUT_S = 120
CACHE_KEEP = 500
RENDERS_AT_ONCE = 2  # the machines have 2 cores: more renderers at once only queue for them
_RENDERS = threading.BoundedSemaphore(RENDERS_AT_ONCE)
# Renders running or waiting: beyond this a new one is refused (429) at once rather than holding one more of the
# server's worker threads (a script asking for many distinct instants could otherwise hold them all).
RENDERS_QUEUED_MAX = 8
#: The renderer runs from the folder holding our packages: ``python -m`` puts its working directory first on
#: ``sys.path``, so a folder named ``player/`` or ``signage/`` where the scheduler was started would shadow them.
CODE_ROOT = Path(__file__).resolve().parent.parent
_QUEUED = threading.BoundedSemaphore(RENDERS_QUEUED_MAX)


def _cache_dir(service: Service) -> Path:
    folder = service.data_dir / "previews"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime)
    for stale in files[:-CACHE_KEEP]:
        stale.unlink(missing_ok=True)


def render_png(service: Service, key: dict[str, Any], args: list[str]) -> Path:
    """Run ``signage preview`` (the player's renderer) once per distinct ``key``; returns the cached PNG."""
    folder = _cache_dir(service)
    out = folder / (hashlib.sha256(canonical_json(key)).hexdigest()[:40] + ".png")
    if out.is_file():
        return out
    tmp = folder / f".{out.stem}.{id(args)}.png"
    command = [sys.executable, "-m", "signage", "preview", *args, "-o", str(tmp)]
    if not _QUEUED.acquire(blocking=False):
        raise TooMany(f"preview: {RENDERS_QUEUED_MAX} previews are being drawn or waiting; try again in a few seconds",
                      field="preview")  # fmt: skip
    try:
        with _RENDERS:  # at most RENDERS_AT_ONCE renderer processes, however many views arrive at once
            if out.is_file():  # drawn by another request while this one waited
                return out
            done = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S, check=False,
                                  cwd=CODE_ROOT)  # fmt: skip
    finally:
        _QUEUED.release()
    if done.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        message = (done.stderr.strip().splitlines() or ["the renderer failed"])[-1]
        raise UserError(message.removeprefix("Error: "), field="preview")
    tmp.replace(out)
    _prune(folder)
    return out



def render_announcement(service: Service, display: dict[str, Any], ann: dict[str, Any], language: str) -> Path | None:
    """``ann`` as ``display`` would show it (approved or not); None while its media is not ready for that canvas."""
    manifest = preview_manifest(service.publisher, display, ann)
    if manifest is None:
        return None
    key = {"manifest": hashlib.sha256(canonical_json({k: v for k, v in manifest.items() if k not in (
        "generated_at", "valid_until", "timeline")})).hexdigest(), "language": language}
    with tempfile.TemporaryDirectory(dir=_cache_dir(service)) as scratch:
        manifest_path = Path(scratch) / "manifest.json"
        manifest_path.write_bytes(canonical_json({"manifest": manifest}))
        args = ["--manifest-file", str(manifest_path), "--media-dir", str(service.data_dir / "media"),
                "--at", manifest["timeline"][0]["start"], "--language", language]
        return render_png(service, key, args)
