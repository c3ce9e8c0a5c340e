"""The one JSON error shape: ``{"ok": false, "status": N, "error": "...", "field": ...}``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from scheduler.enrolment import CodeGone
from scheduler.intake import IntakeUnavailable
from signage.errors import NotFoundError, UserError, all_errors

log = logging.getLogger("scheduler.errors")


NotFound = NotFoundError


class Unauthorized(Exception):
    def __init__(self, message: str = "missing or invalid credentials") -> None:
        super().__init__(message)
        self.message = message


class Forbidden(UserError):
    pass


class TooMany(UserError):
    pass


class TooLarge(UserError):
    pass


class InsufficientStorage(UserError):
    """Storing the request's data would leave too little free disk (HTTP 507)."""


class BadAddress(UserError):
    """A web admin address that does not exist or has a malformed part (a typed or stale URL): the admin shows
    its error page in the staff's language, the API its JSON as before."""


class Conflict(UserError):
    """The thing changed since the caller read it (HTTP 409): read it again, then decide."""


class RangeNotSatisfiable(UserError):
    pass


def error_response(
    status: int,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[UserError] | None = None,
) -> JSONResponse:
    """The one error shape; with several mistakes found at once, ``errors`` lists each ({"field", "error"}) and
    ``error``/``field`` are the first's."""
    body: dict[str, object] = {"ok": False, "status": status, "error": message, "field": field}
    if errors and len(errors) > 1:
        body["errors"] = [{"field": e.field, "error": e.message} for e in errors]
    return JSONResponse(body, status_code=status, headers=headers)


def _loc_to_field(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


# The most specific class wins (Starlette walks the exception's MRO), so plain UserError is the 400 fallback.
USER_ERROR_STATUS: dict[type[UserError], tuple[int, dict[str, str] | None]] = {
    CodeGone: (410, None),
    NotFound: (404, None),
    Forbidden: (403, None),
    TooMany: (429, {"Retry-After": "60"}),
    TooLarge: (413, None),
    InsufficientStorage: (507, None),
    Conflict: (409, None),
    RangeNotSatisfiable: (416, None),
    UserError: (400, None),
}


# The web admin (HTML pages under /admin) answers refusals with a page instead of JSON: set by scheduler.web.
WebErrorPage = Callable[[Request, int, UserError], Response]
web_error_pages: list[WebErrorPage] = []


def is_web_path(request: Request) -> bool:
    return request.url.path == "/admin" or request.url.path.startswith("/admin/")


def _user_error_handler(
    status: int, headers: dict[str, str] | None
) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UserError)
        if web_error_pages and is_web_path(request):
            return web_error_pages[0](request, status, exc)
        return error_response(status, exc.message, exc.field, headers, all_errors(exc))

    return handle


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        found = exc.errors() or [{"loc": (), "msg": "invalid request"}]
        errors = []
        for one in found:
            field = _loc_to_field(tuple(one.get("loc", ())))
            errors.append(UserError(f"{field}: {one.get('msg', 'invalid value')}", field=field))
        first = errors[0]
        if web_error_pages and is_web_path(request):
            return web_error_pages[0](request, 422, BadAddress(first.message, field=first.field))
        return error_response(422, first.message, first.field, errors=errors)

    for error_type, (status, headers) in USER_ERROR_STATUS.items():
        app.add_exception_handler(error_type, _user_error_handler(status, headers))

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> Response:
        if is_web_path(request):
            return RedirectResponse("/admin/login", status_code=303)
        # Challenge only a client that already speaks Basic: a browser is never shown a Basic prompt.
        sent_basic = request.headers.get("authorization", "").lower().startswith("basic ")
        return error_response(
            401, exc.message, None, {"WWW-Authenticate": 'Basic realm="signage"'} if sent_basic else None
        )

    @app.exception_handler(IntakeUnavailable)
    async def _unavailable(request: Request, exc: IntakeUnavailable) -> Response:
        return error_response(503, exc.message, None, {"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # the framework's own 400s are all about reading the body (not JSON, bad UTF-8, broken multipart)
        field = "body" if exc.status_code == 400 else None
        if web_error_pages and is_web_path(request) and exc.status_code in (400, 404, 405):
            page = web_error_pages[0](request, exc.status_code, BadAddress(str(exc.detail), field=field))
            page.headers.update(getattr(exc, "headers", None) or {})  # e.g. Allow of a 405
            return page
        detail = f"body: {exc.detail}; send valid UTF-8 JSON (or a well-formed multipart form)" if field else exc.detail
        return error_response(exc.status_code, str(detail), field, getattr(exc, "headers", None))
