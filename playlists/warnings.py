"""Warnings staff can act on: a stable machine ``code`` plus an English message.

The UI translates by ``code`` and fills in ``detail``; the message is the
English fallback and what logs show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# code -> what it means (also the list documented in docs/schedule.md)
CODES = {
    "never_plays": "a rule or item never plays inside the horizon (detail.reason says why)",
    "share_over_100": "interrupt shares of voice add up to more than the hour",
    "emergency_overlap": "two emergencies are active at the same time",
    "canvas_mismatch": "an item's orientation or aspect does not fit a target display",
    "zone_missing": "an overlay rule targets a display whose layout lacks its zone",
    "unknown_item": "a rule names an item or playlist that does not exist",
    "main_zone_empty": "during operating hours nothing at all can play on the main zone",
    "compile_budget_exceeded": "compiling a display took too long; it keeps its last published manifest",
    "too_many_occurrences": "a rule has too many windows in the horizon; the display keeps its last manifest",
    "rule_invalid": "a stored rule no longer passes validation; the displays it targets keep their last manifest",
}

# detail.reason values for never_plays
REASONS = {
    "no_rule": "no rule schedules it",
    "no_display": "its rules target no existing display",
    "outside_horizon": "its validity, days or recurrence give no time inside the horizon",
    "outside_operating_hours": "all its windows fall outside the display's operating hours",
    "preempted_by_emergency": "an emergency covers all its windows",
    "fallback_not_needed": "other content always plays, so the fallback is never needed",
    "crowded_out": "higher layers or caps leave it no turn",
    "zone_missing": "the display layout has no zone for it",
    "unknown_item": "it names a missing item or playlist",
    # set by the scheduler, which knows announcements (see scheduler/cli_schedule.py)
    "not_approved": "its announcement is not approved",
    "not_in_targets": "the rule targets a display its announcement does not reach",
    "media_not_ready": "its media is not yet converted for the display's canvas",
    "display_not_compiled": "the display's schedule could not be compiled (see its warnings)",
}


@dataclass(frozen=True)
class ScheduleWarning:
    code: str
    message: str
    display_id: str | None = None
    rule_id: str | None = None
    item_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        for key in ("display_id", "rule_id", "item_id"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.detail:
            out["detail"] = dict(self.detail)
        return out
