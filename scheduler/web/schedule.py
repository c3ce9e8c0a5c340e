"""Jadwal: one display's compiled day as a strip and a table in local time, with why-nots per announcement."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from scheduler.fleet_admin import list_displays
from scheduler.i18n import N_
from scheduler.schedule_view import day_view
from scheduler.web.common import ServiceDep, UserDep, gettext_for, language_of, page_router, render
from signage.clock import zone
from signage.errors import UserError
from signage.timefmt import format_date_long

router = page_router()
REASONS = {
    "no_rule": N_("no schedule rule"),
    "no_display": N_("its rules reach no existing display"),
    "outside_horizon": N_("its dates, days or repetition fall outside the coming days"),
    "outside_operating_hours": N_("all its hours fall outside the display's operating hours"),
    "preempted_by_emergency": N_("an emergency broadcast covers all its hours"),
    "fallback_not_needed": N_("other content always plays, so the filler is never needed"),
    "crowded_out": N_("higher layers or play limits leave it no turn"),
    "zone_missing": N_("the display layout has no zone for it"),
    "unknown_item": N_("its item or playlist is missing"),
    "not_approved": N_("it is not approved yet"),
    "media_not_ready": N_("its media is not ready for this display's size"),
    "not_today": N_("it has no turn on this day (it does on other days)"),
    "not_this_day": N_("its schedule does not include this day (it plays on other days)"),
    "closed_this_day": N_("its hours on this day fall outside the display's operating hours"),
}
LAYERS = {
    "emergency": N_("Emergency"),
    "interrupt": N_("Spot"),
    "normal": N_("Regular"),
    "fallback": N_("Filler"),
    "overlay": N_("Overlay"),
    "off": N_("Screen off"),
}
# The zones of scheduler.schedule.ZONE_RECTS in staff words (the ids are for machines).
ZONES = {
    "main": N_("Main"),
    "ticker": N_("Running text"),
    "bottom": N_("Bottom band"),
    "top": N_("Top band"),
    "clock": N_("Clock"),
    "logo": N_("Logo"),
    "side": N_("Side panel"),
}


@router.get("/schedule")
def schedule(
    request: Request,
    user: UserDep,
    service: ServiceDep,
    display: Annotated[str | None, Query(max_length=64)] = None,
    day: Annotated[str | None, Query(max_length=10)] = None,
    at: Annotated[str | None, Query(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = None,
) -> Response:
    displays = list_displays(service)
    if not displays:
        return render(request, "schedule.html", active="schedule", displays=[], view=None)
    chosen = display or displays[0]["id"]
    language = language_of(request)
    error = None
    try:
        view = day_view(service, chosen, day)
    except UserError as exc:
        if exc.field != "day":
            raise
        error = gettext_for(request)("Day: choose one of the days in the list.")
        view = day_view(service, chosen, None)
    zone_name = view.zone_name

    def long_date(moment: date) -> str:
        return format_date_long(datetime.combine(moment, time(12), zone(zone_name)), zone_name, language)

    return render(
        request, "schedule.html", 400 if error else 200, active="schedule", displays=displays, view=view,
        reasons=REASONS, layers=LAYERS, zones=ZONES, error=error, long_date=long_date, at=at,
    )  # fmt: skip
