"""Shared core of the Mempawah signage system.

Nothing under ``signage`` imports Qt or FastAPI: the scheduler, the player and
the content pipeline all depend on this package, never the other way round.
"""

from __future__ import annotations

__version__ = "0.1.0"
