"""A schedule warning (``playlists/warnings.py``) as a sentence in the staff's language.

The compiler writes each warning with a stable ``code``, its ``detail`` and an English message naming
rules by id and times in UTC seconds -- right for logs and the CLI, unreadable for staff ("has nothing
to play for 201600 s ..., first at 2026-12-01 17:00 UTC"). :class:`ScheduleReasons` says it by code:
announcements by their titles, durations in days and hours, times in the scheduler's zone. A code it
does not know keeps the English message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from babel.dates import format_timedelta

from scheduler.i18n import N_
from scheduler.player_reasons import Moments
from signage.clock import parse_utc

MESSAGES: dict[str, str] = {
    "never_plays": N_("%(what)s never plays on this screen in the coming days: %(reason)s"),
    "share_over_100": N_(
        "the interruptions %(names)s ask for %(percent)s%% of the hour in %(hours)s hour(s) from "
        "%(first)s: they run late and the other announcements get no turn"
    ),
    "emergency_overlap": N_(
        "the emergencies %(what)s and %(other)s overlap from %(at)s; they share the screen, the newest first"
    ),
    "canvas_mismatch": N_(
        "%(what)s is %(item_size)s but the screen shows %(display_size)s: it will be shown with bars or cropped"
    ),
    "zone_missing": N_("%(what)s plays in the %(zone)s strip, but this screen's layout has no such strip"),
    "unknown_item": N_("%(what)s names content that no longer exists; it is skipped"),
    "main_zone_empty": N_(
        "nothing to show for %(duration)s in all during operating hours, first at %(first)s: "
        "give the screen fallback content, or an announcement for those hours"
    ),
    "compile_budget_exceeded": N_("the schedule took too long to compute; the screen keeps its last schedule"),
    "too_many_occurrences": N_(
        "%(what)s has too many time windows in the coming days; the screen keeps its last schedule"
    ),
    "rule_invalid": N_(
        "%(what)s has a schedule that is no longer valid; the screens it reaches keep their last schedule"
    ),
}
#: ``never_plays``' ``detail.reason`` (``playlists.warnings.REASONS``) in words.
REASONS: dict[str, str] = {
    "no_rule": N_("nothing schedules it"),
    "no_display": N_("it reaches no existing screen"),
    "outside_horizon": N_("its dates, days of the week or repetition give it no time"),
    "outside_operating_hours": N_("all its times fall outside the screen's operating hours"),
    "preempted_by_emergency": N_("an emergency covers all its times"),
    "fallback_not_needed": N_("other content always plays, so the fallback is never needed"),
    "crowded_out": N_("interruptions, emergencies or hourly limits leave it no turn"),
    "zone_missing": N_("the screen's layout has no strip for it"),
    "unknown_item": N_("its content no longer exists"),
    "not_approved": N_("it is not approved"),
    "not_in_targets": N_("its announcement does not reach this screen"),
    "media_not_ready": N_("its file is still being converted for this screen"),
    "display_not_compiled": N_("the screen's schedule could not be computed (see its other warnings)"),
}
#: A rule the page cannot name by title.
RULE = N_("rule %(id)s")
ANNOUNCEMENT = N_("\u201c%(title)s\u201d")


class ScheduleReasons:
    """Callable in templates as ``schedule_text(warning)`` (a warning's dict): the sentence, or its English message."""

    def __init__(self, gettext: Callable[[str], str], fmt: Moments, language: str,
                 titles: Callable[[], Mapping[str, str]]) -> None:  # fmt: skip
        self.t = gettext
        self.fmt = fmt
        self.language = language
        self._titles_of = titles  # rule id ("ann-12") -> announcement title, read when a sentence needs one
        self._titles: Mapping[str, str] | None = None

    def __call__(self, warning: Mapping[str, Any]) -> str:
        code = str(warning.get("code") or "")
        template = MESSAGES.get(code)
        if template is None:
            return str(warning.get("message") or code)
        try:
            return self.t(template) % self._values(warning)
        except (KeyError, TypeError, ValueError):  # a detail missing or odd (an older store): the English message
            return str(warning.get("message") or code)

    def _values(self, warning: Mapping[str, Any]) -> dict[str, str]:
        detail: Mapping[str, Any] = warning.get("detail") or {}
        values: dict[str, str] = {"what": self._rule(warning.get("rule_id"), warning.get("item_id"))}
        if "reason" in detail:
            reason = REASONS.get(str(detail["reason"]))
            values["reason"] = self.t(reason) if reason else str(detail["reason"])
        if "seconds" in detail:
            values["duration"] = format_timedelta(timedelta(seconds=int(detail["seconds"])), threshold=1.5,
                                                  locale=self.language)  # fmt: skip
        for name in ("first", "at", "first_hour"):
            if name in detail:
                values["first" if name == "first_hour" else name] = self.fmt.short(parse_utc(str(detail[name])))
        if "rule_ids" in detail:
            values["names"] = ", ".join(self._rule(rule_id, None) for rule_id in detail["rule_ids"])
        if "other_rule_id" in detail:
            values["other"] = self._rule(str(detail["other_rule_id"]), None)
        for name in ("item_size", "display_size"):
            if name in detail:
                width, height = detail[name]
                values[name] = f"{width}\u00d7{height}"
        for name in ("percent", "hours"):
            if name in detail:
                values[name] = self.fmt.number(detail[name], 0 if float(detail[name]).is_integer() else 1)
        if "zone" in detail:
            values["zone"] = str(detail["zone"])
        return values

    def _rule(self, rule_id: Any, item_id: Any) -> str:
        if rule_id is None:
            return self.t(RULE) % {"id": item_id or "-"}
        if self._titles is None:
            self._titles = self._titles_of()
        title = self._titles.get(str(rule_id))
        return self.t(ANNOUNCEMENT) % {"title": title} if title else self.t(RULE) % {"id": rule_id}
