"""Jadwal: one display's compiled day as a strip and a table in local time, with why-nots per announcement."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from scheduler.api_preview import display_frame, display_sheet
from scheduler.errors import TooMany
from scheduler.fleet_admin import list_displays
from scheduler.i18n import N_
from scheduler.schedule_view import day_view
from scheduler.service import Service
from scheduler.web.common import ServiceDep, UserDep, gettext_for, language_of, page_router, render
from signage.clock import zone
from signage.errors import NotFoundError, UserError
from signage.timefmt import format_date_long

router = page_router()
log = logging.getLogger("scheduler.web.schedule")
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
    "rejected": N_("it was rejected (the author can change it and submit it again)"),
    "withdrawn": N_("it was withdrawn from the screens"),
    "media_not_ready": N_("its media is not ready for this display's size"),
    "media_failed": N_("its file could not be converted; upload another file"),
    "no_slide_data": N_("this data slide has no data for this screen (a prayer slide needs the screen's latitude "
                        "and longitude, a weather slide its region code and BMKG source, the others approved "
                        "source data)"),
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
    at: Annotated[str | None, Query(max_length=8)] = None,
    sheet: Annotated[str | None, Query(max_length=1)] = None,
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
    at, at_error = _preview_time(at)
    if at_error and error is None:
        error = gettext_for(request)(at_error)

    def long_date(moment: date) -> str:
        return format_date_long(datetime.combine(moment, time(12), zone(zone_name)), zone_name, language)

    frame_error = _draw_frame(request, service, view.display["id"], f"{view.day.isoformat()} {at}", language) if at \
        else None  # fmt: skip
    sheet_error = _draw_sheet(request, service, view.display["id"], view.day.isoformat(), language) if sheet \
        else None  # fmt: skip
    sheet_url = f"/api/v1/admin/preview/displays/{view.display['id']}/sheet.png?day={view.day.isoformat()}" \
        f"&language={language}"  # fmt: skip
    return render(
        request, "schedule.html", 400 if error else 200, active="schedule", displays=displays, view=view,
        reasons=REASONS, layers=LAYERS, zones=ZONES, error=error, long_date=long_date, at=at, frame_error=frame_error,
        sheet=bool(sheet), sheet_error=sheet_error, sheet_url=sheet_url,
    )  # fmt: skip


_AT = re.compile(r"^([01]\d|2[0-3])[:.]([0-5]\d)(?:[:.][0-5]\d)?$")
AT_REFUSED = N_("Preview at: write a time like 09:00, or leave it empty.")


def _preview_time(text: str | None) -> tuple[str | None, str | None]:
    """(the preview time as HH:MM or None when left empty, an error text when it is not a time). The form sends
    the field empty when no time is chosen: that is no preview, not a bad address."""
    text = (text or "").strip()
    if not text:
        return None, None
    match = _AT.match(text)
    if not match:
        return None, AT_REFUSED
    return f"{match.group(1)}:{match.group(2)}", None


def _draw_frame(request: Request, service: Service, display_id: str, at: str, language: str) -> str | None:
    """Draw the frame before the page shows it (cached, so the image request is a file read); why it cannot be
    drawn, in the staff's words, instead of a broken image."""
    return _drawn(request, lambda: display_frame(service, display_id, at, language), f"{display_id} at {at}")


def _draw_sheet(request: Request, service: Service, display_id: str, day: str, language: str) -> str | None:
    """The day's contact sheet drawn before the page shows it, as :func:`_draw_frame`."""
    return _drawn(request, lambda: display_sheet(service, display_id, day, language), f"{display_id} on {day}")


def _drawn(request: Request, draw: Callable[[], object], what: str) -> str | None:
    t = gettext_for(request)
    try:
        draw()
    except NotFoundError:
        return t("This screen has no published schedule yet, so there is nothing to draw.")
    except TooMany:
        return t("Many previews are being drawn right now. Wait a few seconds and press Show again.")
    except UserError as exc:
        log.warning("preview of %s failed: %s", what, exc.message)
        return t("The preview could not be drawn (%(reason)s). The screen itself is not affected; try again, or "
                 "tell the administrator.") % {"reason": exc.message}
    return None
