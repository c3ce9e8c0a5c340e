"""Bounds on one display's compile: occurrences per rule, and wall time.

Validation (:mod:`playlists.codec`, :mod:`playlists.recurrence`) refuses rules
that could not terminate; these bounds make sure that whatever still gets
through costs a known amount. A breach raises :class:`CompileBudgetExceeded`,
which names a warning ``code``: the caller fails that display's compile (the
display keeps its last good manifest) and shows the warning, nothing hangs.
"""

from __future__ import annotations

import time
from typing import Any

from signage.errors import UserError

MAX_OCCURRENCES_PER_RULE = 20_000  # (day, daypart) windows of one rule in one horizon
DEFAULT_COMPILE_BUDGET_S = 20.0  # one display's compile; a busy 14-day display takes well under a second
CHECK_EVERY = 4096  # sweep steps between two looks at the clock


class CompileRefused(UserError):
    """A display's compile cannot be done; ``code`` is the warning code staff see."""

    def __init__(self, code: str, message: str, *, rule_id: str | None = None, detail: dict[str, Any] | None = None):
        super().__init__(message, field="rules" if rule_id is None else f"rules.{rule_id}")
        self.code = code
        self.rule_id = rule_id
        self.detail = detail or {}


class CompileBudgetExceeded(CompileRefused):
    """A display's compile went over a bound (time, or occurrences of one rule)."""


class Deadline:
    """Wall-time budget of one compile; :meth:`check` raises once it is spent."""

    def __init__(self, budget_s: float, display_id: str) -> None:
        self.budget_s = budget_s
        self.display_id = display_id
        self.started_s = time.monotonic()
        self.deadline_s = self.started_s + budget_s

    def check(self) -> None:
        if time.monotonic() > self.deadline_s:
            raise CompileBudgetExceeded(
                "compile_budget_exceeded",
                f"Display {self.display_id}: compiling its schedule took longer than {self.budget_s:g} s "
                "and was stopped; it keeps its last published manifest. Simplify or remove the rule just edited.",
                detail={"budget_s": self.budget_s},
            )


def check_occurrences(rule_id: str, count: int) -> None:
    if count > MAX_OCCURRENCES_PER_RULE:
        raise CompileBudgetExceeded(
            "too_many_occurrences",
            f"Rule {rule_id} has {count} windows in this horizon (at most {MAX_OCCURRENCES_PER_RULE}); "
            "use fewer dayparts or a shorter horizon.",
            rule_id=rule_id,
            detail={"occurrences": count, "limit": MAX_OCCURRENCES_PER_RULE},
        )
