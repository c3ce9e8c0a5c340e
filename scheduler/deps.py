"""FastAPI dependencies: the service, the calling display, the calling user."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from scheduler import login_throttle
from scheduler.auth import authenticate
from scheduler.errors import Forbidden, TooMany, Unauthorized
from scheduler.service import Service

SESSION_COOKIE = "signage_session"


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


#: How stale a request may find what another process (the CLI) changed in the store.
EXTERNAL_CHANGES_MAX_AGE_S = 1.0


async def get_service(request: Request) -> Service:
    service = service_of(request)
    service.pick_up_external_changes(EXTERNAL_CHANGES_MAX_AGE_S)
    return service


async def current_display(request: Request) -> str:
    """Async: the hot path (a cached token) costs no thread-pool hop."""
    service = service_of(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("display token required (Authorization: Bearer ...)")
    display_id = service.display_for_token(token.strip())
    if display_id is None:
        raise Unauthorized("unknown or revoked display token")
    return display_id


def current_user(request: Request) -> dict[str, Any]:
    service = service_of(request)
    session = service.web_sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        user = service.user(session.user_id)
        if user is not None and not user.get("must_change_password"):
            return user
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            username, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic credentials") from None
        address = login_throttle.client_of(request, service)
        if login_throttle.locked_out(service, username, address, "api"):
            minutes = max(1, service.config.login_lockout_s // 60)
            raise TooMany(
                f"password: too many failed logins for this user name or from this address; try again in {minutes} "
                "minutes",
                field="password",
            )
        user = authenticate(service.db, username, password, service.lock)
        if user is None:
            login_throttle.failed(service, username, address, "api")
            raise Unauthorized("wrong user name or password")
        login_throttle.succeeded(service, username, address)
        if user.get("must_change_password"):
            raise Forbidden(
                "this account's password was set by an admin: log in to the web admin and choose your own first",
                field="password",
            )
        return user
    raise Unauthorized()


async def media_reader(request: Request) -> str | None:
    """Who may fetch a stored file by its hash: a display (its Bearer token; its id is returned, and it reads
    only the media of its own published manifests) or logged-in staff (session or Basic; None).

    The store also holds the media of drafts and of refused or withdrawn announcements; knowing a hash must not
    be enough to read one (the static tree, served without credentials, holds only published media).
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return await current_display(request)
    await run_in_threadpool(current_user, request)  # a Basic check costs a scrypt: off the event loop
    return None
