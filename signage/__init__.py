"""Shared core of the Mempawah signage system.

Nothing under ``signage`` imports Qt or FastAPI: the scheduler, the player and
the content pipeline all depend on this package, never the other way round.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "mempawah-signage"

try:
    __version__ = version(DISTRIBUTION)  # one source of truth: pyproject.toml, as installed
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
