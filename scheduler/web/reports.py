"""Laporan: proof of play per announcement, display and day; SVG chart, CSV export, printable A4 report."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from scheduler.fleet_admin import list_displays
from scheduler.reports import build_report, chart_svg, parse_range, to_csv
from scheduler.service import Service
from scheduler.web.common import ServiceDep, UserDep, gettext_for, language_of, page_router, render, require_action
from signage.clock import zone
from signage.errors import UserError
from signage.timefmt import format_date_long

router = page_router()
DateText = Annotated[str | None, Query(max_length=40)]  # a typed year of 5 digits is the form's error, not a 422
DisplayId = Annotated[str | None, Query(max_length=64)]


def _today(service: Service) -> date:
    return service.clock().astimezone(zone(service.config.timezone)).date()


def _report_page(
    request: Request, service: Service, template: str, start: str | None, end: str | None, display: str | None
) -> Response:
    t = gettext_for(request)
    language = language_of(request)
    zone_name = service.config.timezone
    error = None
    try:
        first, last = parse_range(start, end, _today(service))
    except UserError as exc:
        if "YYYY-MM-DD" in exc.message:  # not a date at all (a year of 5 digits, 30 February)
            error = t("Dates: %(value)s is not a date; choose one from the calendar.") % {
                "value": (start if exc.field == "start" else end) or ""}
        else:
            error = t("Dates: choose a start date on or before the end date, at most 366 days apart.")
        first, last = parse_range(None, None, _today(service))
    report = build_report(service, first, last, display or None)

    def long_date(day: date) -> str:
        return format_date_long(datetime.combine(day, time(12), zone(zone_name)), zone_name, language)

    return render(
        request, template, 400 if error else 200, active="reports", report=report, error=error,
        chart=chart_svg(report, t("Minutes on screen per day"), long_date), displays=list_displays(service),
        chosen=display or "", long_date=long_date, printed_at=service.clock(),
        # refused dates stay in the fields as typed (marked), and no other period's figures are shown under them
        start=(start or "")[:40] if error else first.isoformat(), end=(end or "")[:40] if error else last.isoformat(),
    )  # fmt: skip


@router.get("/reports")
def reports(
    request: Request, user: UserDep, service: ServiceDep, start: DateText = None, end: DateText = None,
    display: DisplayId = None,
) -> Response:  # fmt: skip
    require_action(user, "view_reports")
    return _report_page(request, service, "reports.html", start, end, display)


@router.get("/reports/print")
def print_report(
    request: Request, user: UserDep, service: ServiceDep, start: DateText = None, end: DateText = None,
    display: DisplayId = None,
) -> Response:  # fmt: skip
    require_action(user, "view_reports")
    return _report_page(request, service, "report_print.html", start, end, display)


@router.get("/reports.csv")
def report_csv(
    request: Request, user: UserDep, service: ServiceDep, start: DateText = None, end: DateText = None,
    display: DisplayId = None,
) -> Response:  # fmt: skip
    require_action(user, "view_reports")
    first, last = parse_range(start, end, _today(service))
    report = build_report(service, first, last, display or None)
    name = f"laporan-tayang-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        to_csv(report), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )  # fmt: skip
