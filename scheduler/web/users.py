"""Pengguna (admin only): create users, set roles, reset passwords, disable and enable accounts.

A new or reset password is generated, shown once on the page, and must be changed at the next login.
Every change is audited with the values before and after.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import Response

from scheduler.announcements import audit
from scheduler.auth import ROLES, create_user, generate_password, set_password
from scheduler.i18n import LANGUAGES, N_
from scheduler.service import Service
from scheduler.web.common import (
    ServiceDep,
    UserDep,
    checked_form,
    flash,
    gettext_for,
    page_router,
    redirect,
    render,
    require_action,
)
from signage.errors import NotFoundError, UserError

router = page_router()
UserId = Annotated[int, PathParam(ge=1, le=2**53)]
ROLE_LABELS = {
    "viewer": N_("Viewer"),
    "editor": N_("Editor"),
    "approver": N_("Approver"),
    "admin": N_("Admin"),
}
ROLE_HINTS = {
    "viewer": N_("reads announcements, schedules and reports"),
    "editor": N_("writes announcements and submits them for approval"),
    "approver": N_("also approves or rejects the work of others and prepares emergencies"),
    "admin": N_("also manages screens and users"),
}
PUBLIC_COLUMNS = ("id", "username", "role", "language", "disabled", "must_change_password", "created_at")


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in PUBLIC_COLUMNS}


def _page(request: Request, service: Service, status: int = 200, **extra: Any) -> Response:
    with service.lock:
        rows = list(service.db.table("users").rows_where(order_by="username"))
        last_login = {
            r["user_id"]: r["at"]
            for r in service.db.query(
                "select user_id, max(at) as at from audit_log where action = 'login' group by user_id"
            )
        }
    return render(
        request, "users.html", status, active="users", rows=[_public(r) for r in rows], last_login=last_login,
        roles=ROLES, role_labels=ROLE_LABELS, role_hints=ROLE_HINTS, **extra,
    )  # fmt: skip


def _get(service: Service, user_id: int) -> dict[str, Any]:
    with service.lock:
        rows = list(service.db.table("users").rows_where("id = ?", [user_id]))
    if not rows:
        raise NotFoundError(f"user {user_id} does not exist", field="id")
    return rows[0]


@router.get("/users")
def users(request: Request, user: UserDep, service: ServiceDep) -> Response:
    require_action(user, "manage_users")
    return _page(request, service)


@router.post("/users")
async def add_user(request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_users")
    t = gettext_for(request)
    username = str(form.get("username") or "").strip()
    role = str(form.get("role") or "")
    language = str(form.get("language") or "id")
    values = {"username": username, "role": role, "language": language}
    if role not in ROLES:
        return _page(request, service, 400, error=t("Role: choose one of the roles."), values=values)
    try:
        with service.lock:
            password = create_user(
                service.db, username, role, None, service.now_iso(), language if language in LANGUAGES else "id"
            )
            new = next(iter(service.db.table("users").rows_where("username = ?", [username])))
            service.db.table("users").update(new["id"], {"must_change_password": 1})
            audit(service.db, service.clock(), user["id"], "user.create", f"user:{new['id']}", after=_public(new))
    except UserError as exc:
        if exc.field == "username" and "already exists" in exc.message:
            message = t("User name: %(name)s is already taken; choose another.") % {"name": username}
        else:
            message = {
                "username": t("User name: use 1-64 letters, digits, '-', '_' or '.'."),
            }.get(exc.field or "", exc.message)
        return _page(request, service, 400, error=message, values=values)
    return _page(
        request, service, shown_password={"username": username, "password": password},
        message=t("User %(name)s created.") % {"name": username},
    )  # fmt: skip


@router.post("/users/{user_id}/role")
async def change_role(user_id: UserId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_users")
    t = gettext_for(request)
    target = _get(service, user_id)
    role = str(form.get("role") or "")
    if role not in ROLES:
        return _page(request, service, 400, error=t("Role: choose one of the roles."))
    if target["id"] == user["id"] and role != "admin":
        return _page(request, service, 400, error=t("You cannot take away your own admin role."))
    with service.lock:
        service.db.table("users").update(user_id, {"role": role})
        audit(service.db, service.clock(), user["id"], "user.role", f"user:{user_id}",
              before=_public(target), after=_public({**target, "role": role}))  # fmt: skip
    flash(request, t("Role of %(name)s is now %(role)s.") % {"name": target["username"], "role": t(ROLE_LABELS[role])})
    return redirect("/admin/users")


@router.post("/users/{user_id}/reset")
async def reset_password(user_id: UserId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    await checked_form(request)
    require_action(user, "manage_users")
    t = gettext_for(request)
    target = _get(service, user_id)
    password = generate_password()
    with service.lock:
        set_password(service.db, user_id, password, must_change=True)
        audit(service.db, service.clock(), user["id"], "user.reset_password", f"user:{user_id}",
              before=_public(target), after=_public({**target, "must_change_password": 1}))  # fmt: skip
    service.web_sessions.delete_for_user(user_id)
    return _page(
        request, service, shown_password={"username": target["username"], "password": password},
        message=t("New password for %(name)s. They must change it at their next login.") % {"name": target["username"]},
    )  # fmt: skip


@router.post("/users/{user_id}/disable")
async def disable(user_id: UserId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    return await _set_disabled(user_id, request, user, service, True)


@router.post("/users/{user_id}/enable")
async def enable(user_id: UserId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    return await _set_disabled(user_id, request, user, service, False)


async def _set_disabled(
    user_id: int, request: Request, user: dict[str, Any], service: Service, disabled: bool
) -> Response:
    await checked_form(request)
    require_action(user, "manage_users")
    t = gettext_for(request)
    target = _get(service, user_id)
    if target["id"] == user["id"]:
        return _page(request, service, 400, error=t("You cannot disable your own account."))
    with service.lock:
        service.db.table("users").update(user_id, {"disabled": 1 if disabled else 0})
        audit(service.db, service.clock(), user["id"], "user.disable" if disabled else "user.enable", f"user:{user_id}",
              before=_public(target), after=_public({**target, "disabled": int(disabled)}))  # fmt: skip
    if disabled:
        service.web_sessions.delete_for_user(user_id)
    message = t("%(name)s can no longer log in.") if disabled else t("%(name)s can log in again.")
    flash(request, message % {"name": target["username"]})
    return redirect("/admin/users")
