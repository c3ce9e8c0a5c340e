"""Error types shared by every component.

A :class:`UserError` is a mistake the user can fix: its message names the field
and the fix. The CLI prints it on one line and exits non-zero; the API turns it
into the one JSON error shape. Anything else is a bug or an environment fault
and propagates (or is logged and retried by the caller).
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in user input; ``field`` names what to fix."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFoundError(UserError):
    """The thing the user named does not exist (HTTP 404)."""


class ConfigError(UserError):
    """A configuration file is malformed or holds a bad value."""

    def __init__(self, path: str, key: str | None, message: str, line: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}"
        text = f"{where}: {key}: {message}" if key else f"{where}: {message}"
        super().__init__(text, field=key)
        self.path = path
        self.key = key
        self.line = line


class ManifestRejected(Exception):
    """A manifest failed verification; the player keeps what it had."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
