"""Login (throttled, no user-name oracle), logout (POST), forced and voluntary password change, language."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from scheduler import login_throttle
from scheduler.announcements import audit
from scheduler.auth import (
    MIN_DIGITS_ONLY,
    MIN_DISTINCT_CHARS,
    authenticate,
    set_password,
    verify_password,
    weak_password_code,
)
from scheduler.deps import SESSION_COOKIE
from scheduler.i18n import LANGUAGES
from scheduler.login_throttle import client_of
from scheduler.web.common import (
    LANGUAGE_COOKIE,
    RETURN_COOKIE,
    CsrfRefused,
    ServiceDep,
    UserDep,
    admin_path,
    checked_form,
    flash,
    gettext_for,
    page_router,
    redirect,
    render,
    user_or_none,
)
from signage.errors import UserError

router = page_router()
LOGIN_CSRF_COOKIE = "signage_login_csrf"


def _login_page(request: Request, status: int = 200, error: str | None = None, username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    session_ended = request.cookies.get(RETURN_COOKIE) is not None
    response = render(request, "login.html", status, error=error, login_csrf=token, username=username, user=None,
                      session_ended=session_ended)  # fmt: skip
    secure = request.app.state.service.config.session_cookie_secure
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/admin/login")
    return response


@router.get("/login")
def login_form(request: Request, lang: str = "") -> Response:
    if user_or_none(request) is not None:
        return redirect("/admin/")
    if lang in LANGUAGES:  # the login page's language links (no account yet to store it in)
        response = redirect("/admin/login")
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
        return response
    return _login_page(request)


@router.post("/login")
async def login(request: Request, service: ServiceDep) -> Response:
    form = await request.form()
    sent, expected = str(form.get("csrf_token") or ""), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused()
    t = gettext_for(request)
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:1024]
    address = client_of(request, service)
    if login_throttle.locked_out(service, username, address, "web"):
        minutes = max(1, service.config.login_lockout_s // 60)
        message = t("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes}
        return _login_page(request, 429, message, username)
    user = await run_in_threadpool(authenticate, service.db, username, password, service.lock)
    if user is None:
        login_throttle.failed(service, username, address, "web")
        return _login_page(request, 401, t("Wrong user name or password."), username)
    login_throttle.succeeded(service, username, address)
    token, _session = service.web_sessions.create(int(user["id"]), address)
    with service.lock:
        audit(service.db, service.clock(), user["id"], "login", f"user:{user['id']}", f"address {address}")
    back = admin_path(request.cookies.get(RETURN_COOKIE)) or "/admin/"  # the page where the last session ended
    response = redirect("/admin/password" if user.get("must_change_password") else back)
    response.delete_cookie(RETURN_COOKIE, path="/admin/login")
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=service.config.session_cookie_secure, path="/"
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
    return response


@router.post("/logout")
async def logout(request: Request, service: ServiceDep) -> Response:
    await checked_form(request)
    user = user_or_none(request)
    service.web_sessions.delete(request.cookies.get(SESSION_COOKIE))
    if user is not None:
        with service.lock:
            audit(service.db, service.clock(), user["id"], "logout", f"user:{user['id']}")
    response = redirect("/admin/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/password")
def password_form(request: Request, user: UserDep) -> Response:
    return render(request, "password.html", active=None, forced=bool(user.get("must_change_password")))


def _weak_password_words(t: Any, code: str) -> str:
    """The rule a new password breaks, in the staff's language (the codes of ``weak_password_code``)."""
    words = {
        "common": t(
            "New password: it is one of the passwords guessed first (such as Password2026! or "
            "Rahasia123). Use a longer phrase, e.g. three words."
        ),
        "name": t(
            "New password: it is your user name with a little added, which is guessed first. Use a longer "
            "phrase, e.g. three words."
        ),
        "digits": t("New password: digits only are guessed first. Use letters too, or at least %(n)d digits.")
        % {"n": MIN_DIGITS_ONLY},
        "pattern": t(
            "New password: a repeated piece (adminadmin) or a run of keys (qwerty, 12345) is guessed "
            "first. Use a longer phrase, e.g. three words."
        ),
        "few_chars": t("New password: use at least %(n)d different characters.") % {"n": MIN_DISTINCT_CHARS},
    }
    return words.get(code) or t("New password: use at least 8 characters.")


@router.post("/password")
async def change_password(request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    t = gettext_for(request)
    current = str(form.get("current_password") or "")
    new = str(form.get("new_password") or "")
    repeat = str(form.get("repeat_password") or "")
    error = None
    forced = bool(user.get("must_change_password"))
    # guessing the current password here (a session left open) counts like failed logins, and is locked out alike
    address = client_of(request, service)
    if login_throttle.locked_out(service, str(user["username"]), address, "password"):
        minutes = max(1, service.config.login_lockout_s // 60)
        message = t("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes}
        return render(request, "password.html", 429, error=message, forced=forced)
    if not await run_in_threadpool(verify_password, current, user["password_hash"]):
        login_throttle.failed(service, str(user["username"]), address, "password")
        error = t("Current password: it is not correct.")
    elif len(new) < 8:
        error = t("New password: use at least 8 characters.")
    elif (weak := weak_password_code(new, str(user["username"]))) is not None:
        error = _weak_password_words(t, weak)
    elif new != repeat:
        error = t("Repeat new password: it does not match the new password.")
    elif new == current:
        error = t("New password: choose a password different from the current one.")
    if error:
        return render(request, "password.html", 400, error=error, forced=bool(user.get("must_change_password")))
    try:
        with service.lock:
            set_password(service.db, int(user["id"]), new, must_change=False)
            audit(service.db, service.clock(), user["id"], "user.password", f"user:{user['id']}")
    except UserError as exc:  # pragma: no cover - the checks above cover the same rules
        return render(request, "password.html", 400, error=exc.message, forced=False)
    session = request.state.web_session
    service.web_sessions.delete_for_user(int(user["id"]), keep_id_hash=session.id_hash if session else None)
    flash(request, t("Your password has been changed."))
    return redirect("/admin/")


@router.post("/language")
async def set_language(request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    language = str(form.get("language") or "")
    if language in LANGUAGES:
        with service.lock:
            service.db.table("users").update(user["id"], {"language": language})
    return redirect(admin_path(str(form.get("next") or "")) or "/admin/")
