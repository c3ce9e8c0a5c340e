"""Errors raised by the content pipeline."""

from __future__ import annotations

from signage.errors import UserError


class IngestRefused(UserError):
    """A file cannot be turned into screen content; ``reason`` tells staff why."""

    def __init__(self, reason: str, *, field: str | None = "file") -> None:
        super().__init__(reason, field=field)
        self.reason = reason


class MediaToolError(RuntimeError):
    """ffmpeg/ffprobe failed on input we had already accepted (an environment fault)."""
