"""Error types shared by every component.

A :class:`UserError` is a mistake the user can fix: its message names the field
and the fix. The CLI prints it on one line and exits non-zero; the API turns it
into the one JSON error shape. Anything else is a bug or an environment fault
and propagates (or is logged and retried by the caller).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class UserError(Exception):
    """A mistake in user input; ``field`` names what to fix."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class FieldErrors(UserError):
    """Several mistakes found in one pass (a form or body with more than one bad field), so that the user can fix
    them all at once. ``message``/``field`` are the first's (what a caller reading one error sees); ``errors``
    holds them all, in the order of the form."""

    def __init__(self, errors: list[UserError]) -> None:
        if not errors:
            raise ValueError("FieldErrors needs at least one error")
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = list(errors)


def all_errors(exc: UserError) -> list[UserError]:
    """The mistakes ``exc`` reports: each of a :class:`FieldErrors`, else ``exc`` alone."""
    return list(exc.errors) if isinstance(exc, FieldErrors) else [exc]


def raise_all(problems: list[UserError]) -> None:
    """Refuse with every mistake found (one as itself, several as a :class:`FieldErrors`); nothing when none."""
    if problems:
        raise problems[0] if len(problems) == 1 else FieldErrors(problems)


def collect(problems: list[UserError], read: Callable[[], Any], neutral: Any = None) -> Any:
    """``read()``, or ``neutral`` with its mistakes added to ``problems``: every field of a form is checked
    before it is refused (see :func:`raise_all`)."""
    try:
        return read()
    except UserError as exc:
        problems.extend(all_errors(exc))
        return neutral


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
