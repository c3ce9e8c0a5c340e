"""What every page module of the web admin shares: the session user, CSRF, flash messages, rendering.

How a page module uses it (see ``scheduler/web/__init__.py`` for where modules are listed)::

    from scheduler.web.common import (ServiceDep, UserDep, checked_form, flash, gettext_for, page_router,
                                      redirect, render)

    router = page_router()

    @router.get("/things")
    def things(request: Request, user: UserDep, service: ServiceDep) -> Response:
        return render(request, "things.html", active="things", rows=[...])

    @router.post("/things")
    async def save_thing(request: Request, user: UserDep, service: ServiceDep) -> Response:
        form = await checked_form(request)  # refuses a missing/wrong CSRF token (403)
        ...
        flash(request, gettext_for(request)("Saved."))
        return redirect("/admin/things")

and in the template (``{% extends "base.html" %}``, ``{% block content %}``)::

    <form method="post" action="/admin/things">{{ csrf_field() }} ... </form>

Templates get ``_`` (gettext), ``fmt`` (local dates/times/numbers), ``user``, ``can(action)``,
``display_name(id)``, ``user_name(id)``, ``csrf_field()`` and ``player_reason(code, params, text)`` (what a
player reported, translated: use the macro in ``_player_text.html``).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Iterable
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.routing import Match

from scheduler import policy
from scheduler.deps import SESSION_COOKIE, get_service, service_of
from scheduler.errors import BadAddress
from scheduler.fleet_admin import format_hours
from scheduler.i18n import LANGUAGES, N_, language_or_default, translator
from scheduler.player_reasons import PlayerReasons
from scheduler.schedule_reasons import ScheduleReasons
from scheduler.service import Service
from scheduler.sessions import WebSession
from scheduler.store import loads
from signage.clock import parse_utc, zone
from signage.errors import UserError
from signage.timefmt import format_date_long, format_long, format_time

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
LANGUAGE_COOKIE = "signage_lang"
RETURN_COOKIE = "signage_return"  # where to go back to after logging in again (a session that ended mid-work)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
ServiceDep = Annotated[Service, Depends(get_service)]

# Navigation: (key, url, label, action needed to see it or None). Pages of other modules link here too.
NAV: list[tuple[str, str, str, str | None]] = [
    ("home", "/admin/", N_("Home"), None),
    ("announcements", "/admin/announcements", N_("Announcements"), None),
    ("emergency", "/admin/emergency", N_("Emergency"), "emergency"),
    ("schedule", "/admin/schedule", N_("Schedule"), None),
    ("displays", "/admin/displays", N_("Displays"), None),
    ("sources", "/admin/sources", N_("Data sources"), None),
    ("reports", "/admin/reports", N_("Reports"), "view_reports"),
    ("audit", "/admin/audit", N_("Audit"), "view_audit"),
    ("users", "/admin/users", N_("Users"), "manage_users"),
]


class LoginRequired(Exception):
    """No valid session: the web admin answers with a redirect to the login page."""


class PasswordChangeRequired(Exception):
    """The user must choose a new password before anything else."""


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token or from another site."""


def admin_path(value: str | None) -> str | None:
    """``value`` if it is a path of this admin (a safe place to send the browser back to), else None."""
    if not value or not value.startswith("/admin") or "//" in value or "\\" in value:
        return None
    return None if value.startswith("/admin/login") else value


def page_router() -> APIRouter:
    return APIRouter(prefix="/admin", include_in_schema=False)


def can(user: dict[str, Any] | None, action: str, announcement: dict[str, Any] | None = None) -> bool:
    return policy.can(user, action, announcement)


_UNSET = object()


def session_of(request: Request) -> WebSession | None:
    """The request's live session (looked up once per request), or None."""
    if getattr(request.state, "web_session", _UNSET) is _UNSET:
        service = service_of(request)
        request.state.web_session = service.web_sessions.get(request.cookies.get(SESSION_COOKIE))
    session: WebSession | None = request.state.web_session
    return session


def user_or_none(request: Request) -> dict[str, Any] | None:
    """The logged-in user of this request (a live session of an enabled account), or None."""
    if getattr(request.state, "user", _UNSET) is _UNSET:
        session = session_of(request)
        request.state.user = service_of(request).user(session.user_id) if session else None
    user: dict[str, Any] | None = request.state.user
    return user


PASSWORD_FREE_PATHS = ("/admin/password", "/admin/logout")


def page_user(request: Request) -> dict[str, Any]:
    """Dependency of every page: the user, or a redirect to login (or to the forced password change)."""
    user = user_or_none(request)
    if user is None:
        raise LoginRequired()
    if user.get("must_change_password") and request.url.path not in PASSWORD_FREE_PATHS:
        raise PasswordChangeRequired()
    return user


UserDep = Annotated[dict[str, Any], Depends(page_user)]


def require_action(user: dict[str, Any], action: str, announcement: dict[str, Any] | None = None) -> None:
    """Refuse (403 page in the user's language, see :func:`error_page`) unless the policy allows ``action``."""
    policy.require(user, action, announcement)


def language_of(request: Request, user: dict[str, Any] | None = None) -> str:
    user = user if user is not None else user_or_none(request)
    if user and user.get("language"):
        return language_or_default(user["language"])
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return str(cookie)
    return language_or_default(service_of(request).config.language)


def gettext_for(request: Request) -> Callable[[str], str]:
    return translator(language_of(request))


#: Bounds of a staff form (Starlette's defaults let one request hold ~1 GB of fields or spooled files in memory):
#: one file (the upload, to disk beyond 1 MiB), a field per screen or group ticked, no text field over 64 KiB.
FORM_MAX_FILES = 1
FORM_MAX_FIELDS = 2000
FORM_MAX_FIELD_BYTES = 64 * 1024


async def checked_form(request: Request) -> FormData:
    """The request's form (bounded: ``FORM_MAX_*``, else 400), after checking its CSRF token against the
    session's (else CsrfRefused)."""
    form = await request.form(
        max_files=FORM_MAX_FILES, max_fields=FORM_MAX_FIELDS, max_part_size=FORM_MAX_FIELD_BYTES
    )
    closing = request.scope.get("fastapi_middleware_astack")
    if isinstance(closing, AsyncExitStack):
        closing.push_async_callback(form.close)  # spooled upload files are closed after the response
    session = session_of(request)
    sent = str(form.get("csrf_token") or request.headers.get("x-csrf-token") or "")
    if session is None or not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise CsrfRefused()
    return form


def flash(request: Request, message: str) -> None:
    """Show ``message`` once, on the next page this session renders."""
    session = session_of(request)
    if session is not None:
        service_of(request).web_sessions.add_flash(session.id_hash, message)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


Moment = datetime | str | None


def _as_stored_when_unreadable(method: Callable[[Formatter, Moment], str]) -> Callable[[Formatter, Moment], str]:
    """A stored instant that cannot be read or shown locally (e.g. a year-9999 date kept before years were
    checked) is shown as stored: a page never fails on one value."""

    @functools.wraps(method)
    def shown(self: Formatter, value: Moment) -> str:
        try:
            return method(self, value)
        except (ValueError, OverflowError):
            return str(value)

    return shown


class Formatter:
    """Dates, times and numbers as people in Mempawah read them (Babel, the configured zone)."""

    def __init__(self, language: str, zone_name: str, now: datetime) -> None:
        self.language = language
        self.zone_name = zone_name
        self.now = now

    def _moment(self, value: datetime | str | None) -> datetime | None:
        if value in (None, ""):
            return None
        return value if isinstance(value, datetime) else parse_utc(str(value))

    @_as_stored_when_unreadable
    def date(self, value: datetime | str | None) -> str:
        moment = self._moment(value)
        return format_date_long(moment, self.zone_name, self.language) if moment else "-"

    @_as_stored_when_unreadable
    def time(self, value: datetime | str | None) -> str:
        moment = self._moment(value)
        return format_time(moment, self.zone_name, self.language) if moment else "-"

    @_as_stored_when_unreadable
    def datetime(self, value: datetime | str | None) -> str:
        moment = self._moment(value)
        return format_long(moment, self.zone_name, self.language) if moment else "-"

    @_as_stored_when_unreadable
    def short(self, value: Moment) -> str:
        """The time alone when it is today, else with a short date: "13.50 WIB" / "1 Des 2026 · 00.00 WIB"."""
        moment = self._moment(value)
        if moment is None:
            return "-"
        local_zone = zone(self.zone_name)
        if moment.astimezone(local_zone).date() == self.now.astimezone(local_zone).date():
            return self.time(moment)
        day = format_date(moment.astimezone(local_zone).date(), format="d MMM y", locale=self.language)
        return f"{day} · {self.time(moment)}"

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "-"
        return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""), locale=self.language)


def _announcement_titles(service: Service) -> dict[str, str]:
    """Rule id (``ann-<id>``, scheduler.schedule.item_id) -> its announcement's title."""
    with service.lock:
        return {f"ann-{row[0]}": row[1] for row in service.db.execute("select id, title from announcements")}


def _names(service: Service, table: str, column: str) -> dict[Any, str]:
    with service.lock:
        return {row["id"]: row[column] for row in service.db.table(table).rows}


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` (which extends base.html) with the layout's context; pops the flash messages."""
    service = service_of(request)
    user = context.pop("user", None) or user_or_none(request)
    session = session_of(request)
    language = language_of(request, user)
    t = translator(language)
    flashes = service.web_sessions.pop_flash(session.id_hash) if session else []
    csrf_token = session.csrf_token if session else ""
    display_names = _names(service, "displays", "name")
    group_names = _names(service, "groups", "name")
    user_names = _names(service, "users", "username")

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(csrf_token))

    nav = [
        (key, url, t(label))
        for key, url, label, action in NAV
        if user is not None and (action is None or can(user, action))
    ]
    formatter = Formatter(language, service.config.timezone, service.clock())
    values = {
        "_": t,
        "lang": language,
        "hm": "%H.%M" if language == "id" else "%H:%M",  # a clock time as the staff's language writes it
        "languages": LANGUAGES,
        "user": user,
        "nav": nav,
        "active": context.pop("active", None),
        "flashes": flashes,
        "error": context.pop("error", None),
        "csrf_token": csrf_token,
        "csrf_field": csrf_field,
        "fmt": formatter,
        "player_reason": PlayerReasons(t, formatter),  # what a player reported, translated (_player_text.html)
        # a schedule warning in the staff's words: announcements by title, local times (scheduler/schedule_reasons.py)
        "hours_text": lambda windows: format_hours(windows, language),  # operating hours, the staff's day names
        "schedule_text": ScheduleReasons(t, formatter, language, lambda: _announcement_titles(service)),
        "can": lambda action, announcement=None: can(user, action, announcement),
        "display_name": lambda display_id: display_names.get(display_id, display_id),
        "group_name": lambda group_id: group_names.get(group_id, group_id),
        "target_names": lambda targets: ", ".join(
            [display_names.get(d, d) for d in targets.get("displays") or []]
            + [group_names.get(g, g) for g in targets.get("groups") or []]
        ),
        "user_name": lambda user_id: user_names.get(user_id, "-" if user_id is None else f"#{user_id}"),
        "loads": loads,
        "return_to": return_to(request),
        **context,
    }
    response = templates.TemplateResponse(request, template, values, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def mistakes(messages: list[str], fields: Iterable[str | None], key: str = "invalid") -> dict[str, Any]:
    """A refused form's context: one mistake as ``error``, several as ``error_list`` (base.html says them all
    above the page), and the fields to mark (under ``key``)."""
    said = list(dict.fromkeys(messages))
    return {"error": said[0] if len(said) == 1 else None, "error_list": said if len(said) > 1 else [],
            key: {field for field in fields if field}}  # fmt: skip


def return_to(request: Request) -> str:
    """Where the language switch (or another page-wide form) brings the user back: this page when it can be
    opened again (a GET page), else the nearest page above it that can (a refused POST to
    /admin/groups/x/edit has no page of its own: /admin/groups)."""
    path = request.url.path
    if request.method == "GET":
        return path + (f"?{request.url.query}" if request.url.query else "")
    while path.startswith("/admin"):
        scope = {**request.scope, "method": "GET", "path": path}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
            return path
        path = path.rsplit("/", 1)[0]
    return "/admin/"


ERROR_TITLES = {
    400: N_("Request refused"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Request refused"),
    413: N_("Too large"),
    429: N_("Too many attempts"),
}


def _unreadable_form(detail: str, t: Callable[[str], str]) -> str:
    """A form the framework could not read, in words: what to do, then its own (English) detail for support."""
    if "Too many files" in detail:
        what = t("The form carried more than one file. Send one file at a time.")
    elif "Too many fields" in detail:
        what = t("The form has far more fields than any page of this admin sends. Reload the page and send it again.")
    elif "exceeded maximum size" in detail:
        what = t("One of the fields is too long (at most 1 MB each). Shorten it and send the form again.")
    else:
        what = t("The form arrived broken or incomplete and could not be read. Go back, reload the page and send it "
                 "again.")  # fmt: skip
    return f"{what} ({t('technical detail')}: {detail})"


def error_page(request: Request, status: int, exc: UserError) -> Response:
    """The HTML answer to a refused web request (the API keeps its JSON shape)."""
    t = gettext_for(request)
    if isinstance(exc, policy.PolicyDenied):
        message = exc.text(language_of(request))
    elif status == 405:
        message = t("This address works only from the button on its page. Go back and use the button.")
    elif isinstance(exc, BadAddress) and status == 422:
        message = t("The address has a part that is not valid (%(field)s). Go back and choose again on the page.") % {
            "field": exc.field or "-"
        }
    elif isinstance(exc, BadAddress) and status == 400 and exc.field == "body":
        message = _unreadable_form(exc.message, t)
    elif status == 404:
        message = t("It does not exist (any more). It may have been removed; go back and reload the list.")
    else:
        message = exc.message
    title = ERROR_TITLES.get(status, ERROR_TITLES[400])
    return render(request, "error.html", status, title=t(title), message=message)
