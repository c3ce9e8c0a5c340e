"""Atomic file writes for the player: the one implementation lives in :mod:`signage.fsutil`.

Kept as a re-export so code importing ``player.fsutil`` keeps working; new code
imports ``signage.fsutil``.
"""

from __future__ import annotations

from signage.fsutil import atomic_write_bytes, atomic_write_json, fsync_dir

__all__ = ["atomic_write_bytes", "atomic_write_json", "fsync_dir"]
