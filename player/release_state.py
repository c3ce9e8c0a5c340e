"""The files the player and its launcher share about releases (plain Python, no Qt).

Under ``<data_dir>/releases/``:

* ``<version>/site/`` — an installed release (``pip install --no-deps --target``), complete only when
  ``<version>/installed.json`` exists (written last, after the signature and sha256 were checked);
* ``downloads/`` — release wheels by sha256 (a :class:`player.cache.MediaCache`: resumable, verified);
* ``next.json`` — ``{"version"}``: the player installed it and exits at an item boundary to switch to it;
* ``state.json`` — the launcher's: ``active`` (None: the version of the venv itself), ``previous``,
  ``trial`` (``{"version", "crashes"}`` until the new version reports healthy), ``failed``
  (version -> reason, never retried), ``failed_codes`` (version -> ``{"code", "params"}``: the reason as
  :mod:`signage.reason_codes`) and ``last`` (``{"state", "version", "detail", "code", "params"}``, reported).

``<data_dir>/health.json`` — ``{"version", "pid", "at"}``: written by a player once it has synced and painted.
Only the launcher writes ``state.json``; only the player writes ``next.json`` and ``health.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from signage.fsutil import atomic_write_json

RELEASES_DIR = "releases"
STATE_FILE = "state.json"
NEXT_FILE = "next.json"
HEALTH_FILE = "health.json"
INSTALLED_MARKER = "installed.json"
#: The exit status with which a player asks its launcher to start the release named in next.json.
EXIT_SWITCH = 86
#: Set by the launcher in its player's environment: only then does the player install and switch.
LAUNCHER_ENV = "SIGNAGE_PLAYER_LAUNCHER"


def releases_dir(data_dir: Path) -> Path:
    return Path(data_dir) / RELEASES_DIR


def site_dir(data_dir: Path, version: str) -> Path:
    return releases_dir(data_dir) / version / "site"


def is_installed(data_dir: Path, version: str) -> bool:
    return (releases_dir(data_dir) / version / INSTALLED_MARKER).is_file() and site_dir(data_dir, version).is_dir()


def remove_release(data_dir: Path, version: str) -> None:
    shutil.rmtree(releases_dir(data_dir) / version, ignore_errors=True)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


@dataclass
class LauncherState:
    active: str | None = None
    previous: str | None = None
    trial: dict[str, Any] | None = None
    failed: dict[str, str] = field(default_factory=dict)
    last: dict[str, Any] | None = None
    failed_codes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, data_dir: Path) -> LauncherState:
        raw = _read_json(releases_dir(data_dir) / STATE_FILE) or {}
        failed_raw = raw.get("failed")
        failed: dict[str, Any] = failed_raw if isinstance(failed_raw, dict) else {}
        trial = raw.get("trial") if isinstance(raw.get("trial"), dict) else None
        last = raw.get("last") if isinstance(raw.get("last"), dict) else None
        active = raw.get("active") if isinstance(raw.get("active"), str) else None
        previous = raw.get("previous") if isinstance(raw.get("previous"), str) else None
        codes_raw = raw.get("failed_codes")
        codes = {str(k): v for k, v in codes_raw.items() if isinstance(v, dict)} if isinstance(codes_raw, dict) else {}
        return cls(active=active, previous=previous, trial=trial, failed={str(k): str(v) for k, v in failed.items()},
                   last=last, failed_codes=codes)

    def save(self, data_dir: Path) -> None:
        atomic_write_json(releases_dir(data_dir) / STATE_FILE, asdict(self))


def request_switch(data_dir: Path, version: str) -> None:
    atomic_write_json(releases_dir(data_dir) / NEXT_FILE, {"version": version})


def take_switch_request(data_dir: Path) -> str | None:
    path = releases_dir(data_dir) / NEXT_FILE
    raw = _read_json(path)
    path.unlink(missing_ok=True)
    version = (raw or {}).get("version")
    return version if isinstance(version, str) else None


def write_health(data_dir: Path, version: str) -> None:
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    atomic_write_json(Path(data_dir) / HEALTH_FILE, {"version": version, "pid": os.getpid(), "at": at})


def read_health(data_dir: Path) -> dict[str, Any] | None:
    return _read_json(Path(data_dir) / HEALTH_FILE)
