"""The one JSON error shape: ``{"ok": false, "status": N, "error": "...", "field": ...}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from scheduler.enrolment import CodeGone
from signage.errors import NotFoundError, UserError

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


class RangeNotSatisfiable(UserError):
    pass


def error_response(
    status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "status": status, "error": message, "field": field}, status_code=status, headers=headers
    )


def _loc_to_field(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = _loc_to_field(tuple(first.get("loc", ())))
        return error_response(422, f"{field}: {first.get('msg', 'invalid value')}", field)

    @app.exception_handler(CodeGone)
    async def _gone(request: Request, exc: CodeGone) -> JSONResponse:
        return error_response(410, exc.message, exc.field)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, exc.message, exc.field)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return error_response(403, exc.message, exc.field)

    @app.exception_handler(TooMany)
    async def _too_many(request: Request, exc: TooMany) -> JSONResponse:
        return error_response(429, exc.message, exc.field, {"Retry-After": "60"})

    @app.exception_handler(TooLarge)
    async def _too_large(request: Request, exc: TooLarge) -> JSONResponse:
        return error_response(413, exc.message, exc.field)

    @app.exception_handler(RangeNotSatisfiable)
    async def _range(request: Request, exc: RangeNotSatisfiable) -> JSONResponse:
        return error_response(416, exc.message, exc.field)

    @app.exception_handler(UserError)
    async def _user(request: Request, exc: UserError) -> JSONResponse:
        return error_response(400, exc.message, exc.field)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        return error_response(401, exc.message, None, {"WWW-Authenticate": 'Basic realm="signage"'})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), None, getattr(exc, "headers", None))
