"""Shared core of the Mempawah signage system.

Nothing under ``signage`` imports Qt or FastAPI: the scheduler, the player and
the content pipeline all depend on this package, never the other way round.
"""

from __future__ import annotations

DISTRIBUTION = "mempawah-signage"

# The one place the version is written: pyproject.toml reads it (dynamic, attr; a literal so setuptools
# needs no import) and the installed metadata carries it. It must be the tree's own version, never the
# installed one: `signage release build` builds a release of *this* tree.
__version__ = "0.1.0"
