"""The server-rendered web admin (Jinja2 + small static JS), one module per page.

To add a page: write ``scheduler/web/<page>.py`` with ``router = page_router()`` (see
``scheduler/web/common.py`` for the page API), add its module to ``PAGES`` below, and its
template (extending ``base.html``) under ``scheduler/templates/``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from scheduler.deps import SESSION_COOKIE
from scheduler.errors import web_error_pages
from scheduler.web import (
    account,
    announcements,
    audit,
    displays,
    emergency,
    home,
    releases,
    reports,
    schedule,
    sources,
    users,
)
from scheduler.web.common import (
    RETURN_COOKIE,
    CsrfRefused,
    LoginRequired,
    PasswordChangeRequired,
    admin_path,
    error_page,
    gettext_for,
    redirect,
)
from scheduler.web.form_once import SentForms
from scheduler.web.security import WebSecurityMiddleware
from signage.errors import UserError

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PAGES = (account, home, announcements, emergency, schedule, displays, releases, sources, reports, users, audit)

RETURN_COOKIE_S = 3600
router = APIRouter()

for _page in PAGES:
    router.include_router(_page.router)


def _return_path(request: Request) -> str:
    """The page the user was on: this one for a GET, the form's page (its Referer, this site) for a POST."""
    if request.method == "GET":
        query = request.url.query
        return admin_path(request.url.path + (f"?{query}" if query else "")) or "/admin/"
    referer = urlsplit(request.headers.get("referer") or "")
    if referer.netloc != request.url.netloc:
        return "/admin/"
    return admin_path(referer.path + (f"?{referer.query}" if referer.query else "")) or "/admin/"


def install(app: FastAPI) -> None:
    """Mount the web admin on ``app``: pages, static assets, error pages, browser protections."""
    app.include_router(router)
    app.mount("/admin/static", StaticFiles(directory=str(STATIC_DIR)), name="admin-static")
    app.add_middleware(WebSecurityMiddleware, public_url=app.state.service.config.public_url)
    web_error_pages[:] = [error_page]
    app.state.sent_forms = SentForms()  # new-announcement forms already saved (scheduler/web/form_once.py)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        response = redirect("/admin/login")
        if request.cookies.get(SESSION_COOKIE):  # a session that ended (idle, too old): come back here after login
            response.set_cookie(RETURN_COOKIE, _return_path(request), max_age=RETURN_COOKIE_S, httponly=True,
                                samesite="lax", secure=app.state.service.config.session_cookie_secure,
                                path="/admin/login")  # fmt: skip
        return response

    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        return redirect("/admin/password")

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        t = gettext_for(request)
        message = t("The form has expired or did not come from this site. Reload the page and try again.")
        return error_page(request, 403, UserError(message, field="csrf_token"))
