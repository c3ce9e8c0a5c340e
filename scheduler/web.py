"""Server-rendered web admin (Jinja2, no JS build). Text in Bahasa Indonesia by default."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from scheduler import enrolment, policy
from scheduler.actions import approve_and_publish, create_announcement_action
from scheduler.auth import authenticate
from scheduler.deps import SESSION_COOKIE, get_service
from scheduler.errors import Unauthorized
from scheduler.i18n import translator
from scheduler.service import Service
from scheduler.store import loads
from signage.errors import UserError

router = APIRouter(prefix="/admin", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
ServiceDep = Annotated[Service, Depends(get_service)]
AnnouncementId = Annotated[int, PathParam(ge=1, le=2**62)]


def _user_or_none(request: Request, service: Service) -> dict[str, Any] | None:
    session = request.cookies.get(SESSION_COOKIE)
    if session and session in service.sessions:
        return service.user(service.sessions[session])
    return None


def _page(request: Request, service: Service, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    user = context.get("user")
    language = (user or {}).get("language") or service.config.language
    context.setdefault("error", None)
    context.setdefault("message", None)
    context.setdefault("can", lambda action, announcement=None: policy.can(user, action, announcement))
    return templates.TemplateResponse(
        request, name, {"t": translator(language), "lang": language, **context}, status_code=status
    )


def _dashboard(
    request: Request, service: Service, user: dict[str, Any], status: int = 200, **extra: Any
) -> HTMLResponse:
    with service.lock:
        announcements = list(service.db.table("announcements").rows_where(order_by="id desc"))
        displays = list(service.db.table("displays").rows_where(order_by="id"))
        groups = list(service.db.table("groups").rows_where(order_by="id"))
        pending = enrolment.pending(service.db, service.clock())
        jobs = list(service.db.table("ingest_jobs").rows_where(order_by="id desc", limit=10))
    for a in announcements:
        a["targets"] = loads(a["targets"], {"displays": [], "groups": []})
    for d in displays:
        d["groups"] = loads(d["groups"], [])
        latest = service.publisher.latest(d["id"])
        d["manifest_version"] = latest.version if latest else None
        d["warnings"] = service.publisher.warnings.get(d["id"], [])
    return _page(
        request,
        service,
        "dashboard.html",
        status,
        user=user,
        announcements=announcements,
        displays=displays,
        groups=groups,
        enrolments=pending,
        jobs=jobs,
        **extra,
    )


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def home(request: Request, service: ServiceDep) -> Response:
    user = _user_or_none(request, service)
    if user is None:
        return RedirectResponse("/admin/login", status_code=303)
    return _dashboard(request, service, user)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, service: ServiceDep) -> HTMLResponse:
    return _page(request, service, "login.html", user=None)


@router.post("/login")
def login(
    request: Request, service: ServiceDep, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    user = authenticate(service.db, username, password, service.lock)
    if user is None:
        t = translator(service.config.language)
        return _page(request, service, "login.html", 401, user=None, error=t("login_failed"))
    response = RedirectResponse("/admin/", status_code=303)
    response.set_cookie(SESSION_COOKIE, service.new_session(user["id"]), httponly=True, samesite="strict")
    return response


@router.get("/logout")
def logout(request: Request, service: ServiceDep) -> Response:
    service.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _require(request: Request, service: Service) -> dict[str, Any]:
    user = _user_or_none(request, service)
    if user is None:
        raise Unauthorized("log in first")
    return user


def _refusal(request: Request, service: Service, user: dict[str, Any], exc: UserError) -> HTMLResponse:
    """The dashboard with the refusal in the user's language (403 for the policy, 400 otherwise)."""
    if isinstance(exc, policy.PolicyDenied):
        language = user.get("language") or service.config.language
        return _dashboard(request, service, user, 403, error=exc.text(language))
    return _dashboard(request, service, user, 400, error=exc.message)


@router.post("/announcements")
async def create(request: Request, service: ServiceDep) -> Response:
    user = _require(request, service)
    async with request.form() as form:  # closes the spooled upload files
        data: dict[str, Any] = {
            "title": str(form.get("title", "")),
            "body": str(form.get("body", "")),
            "targets": {
                "displays": [str(v) for v in form.getlist("display")],
                "groups": [str(v) for v in form.getlist("group")],
            },
        }
        try:
            data["duration_s"] = float(str(form.get("duration_s") or 10))
        except ValueError:
            return _dashboard(request, service, user, 400, error="duration_s: tulis angka detik, mis. 10")
        upload = form.get("file")
        try:
            if isinstance(upload, UploadFile) and upload.filename:
                with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
                    path = Path(tmp) / "upload"
                    with path.open("wb") as out:
                        shutil.copyfileobj(upload.file, out, length=1 << 20)
                    _job_id, kind, sha256 = service.media_jobs.submit_upload(path, upload.filename)
                data["kind"] = kind
                data["media_sha256"] = sha256
            policy.require(user, "create")
            create_announcement_action(service, data, user)
        except UserError as exc:
            return _refusal(request, service, user, exc)
    return RedirectResponse("/admin/", status_code=303)


@router.post("/announcements/{announcement_id}/approve")
def approve(announcement_id: AnnouncementId, request: Request, service: ServiceDep) -> Response:
    user = _require(request, service)
    try:
        approve_and_publish(service, announcement_id, user)
    except UserError as exc:
        return _refusal(request, service, user, exc)
    return RedirectResponse("/admin/", status_code=303)


@router.post("/enrolments/{code}/approve")
def approve_enrolment(code: str, request: Request, service: ServiceDep, display_id: Annotated[str, Form()]) -> Response:
    user = _require(request, service)
    try:
        policy.require(user, "manage_displays")
        with service.lock:
            enrolment.approve(service.db, code, display_id, service.clock())
    except UserError as exc:
        return _refusal(request, service, user, exc)
    return RedirectResponse("/admin/", status_code=303)
