"""The server-rendered web admin (Jinja2 + small static JS), one module per page.

To add a page: write ``scheduler/web/<page>.py`` with ``router = page_router()`` (see
``scheduler/web/common.py`` for the page API), add its module to ``PAGES`` below, and its
template (extending ``base.html``) under ``scheduler/templates/``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

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
from scheduler.web.common import CsrfRefused, LoginRequired, PasswordChangeRequired, error_page, gettext_for, redirect
from scheduler.web.security import WebSecurityMiddleware
from signage.errors import UserError

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PAGES = (account, home, announcements, emergency, schedule, displays, releases, sources, reports, users, audit)

router = APIRouter()
for _page in PAGES:
    router.include_router(_page.router)


def install(app: FastAPI) -> None:
    """Mount the web admin on ``app``: pages, static assets, error pages, browser protections."""
    app.include_router(router)
    app.mount("/admin/static", StaticFiles(directory=str(STATIC_DIR)), name="admin-static")
    app.add_middleware(WebSecurityMiddleware, public_url=app.state.service.config.public_url)
    web_error_pages[:] = [error_page]

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return redirect("/admin/login")

    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        return redirect("/admin/password")

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        t = gettext_for(request)
        message = t("The form has expired or did not come from this site. Reload the page and try again.")
        return error_page(request, 403, UserError(message, field="csrf_token"))
