"""The display player: sync -> verify -> cache -> atomic swap -> runner -> canvas.

Imports ``signage`` (and may import ``playlists``), never ``scheduler``: the
scheduler is reached over HTTP only. Qt is imported by the modules that need
it, so ``import player`` stays light.
"""

from __future__ import annotations
