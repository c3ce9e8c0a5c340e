"""Layar → Pembaruan pemutar: the releases added with `signage release add`, which group gets which, and
each display's running version and update state. Offering and withdrawing need ``manage_displays``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from scheduler import fleet_admin, releases
from scheduler.fleet_view import fleet_rows
from scheduler.i18n import N_
from scheduler.service import Service
from scheduler.web.common import (
    ServiceDep,
    UserDep,
    checked_form,
    flash,
    gettext_for,
    language_of,
    page_router,
    redirect,
    render,
    require_action,
)
from signage.errors import UserError

router = page_router()

#: The player's update states (``signage.apimodels.UpdateState``) as the admin shows them.
UPDATE_LABELS = {
    "offered": N_("offered"),
    "downloading": N_("downloading"),
    "installed": N_("installed, switching at the next item"),
    "healthy": N_("running, healthy"),
    "rolled_back": N_("rolled back"),
    "refused": N_("refused"),
}


def _page(request: Request, service: Service, status: int = 200, **extra: Any) -> Response:
    return render(
        request, "releases.html", status, active="displays", releases=releases.list_releases(service),
        offers=releases.list_offers(service), groups=fleet_admin.list_groups(service), rows=fleet_rows(service),
        update_labels=UPDATE_LABELS, **extra,
    )  # fmt: skip


@router.get("/releases")
def releases_page(request: Request, user: UserDep, service: ServiceDep) -> Response:
    return _page(request, service)


@router.post("/releases/offer")
async def offer(request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_displays")
    group, version = str(form.get("group") or ""), str(form.get("version") or "")
    t = gettext_for(request)
    if not group or not version:
        return _page(request, service, 400, error=t("Choose a release and a group."), invalid="group")
    try:
        await run_in_threadpool(releases.offer_release, service, group, version, user=user)
    except UserError as exc:
        return _page(request, service, 400, error=fleet_admin.localized(exc, language_of(request)),
                     invalid=exc.field)
    name = _group_name(service, group)
    flash(request, t("Release %(version)s offered to group %(group)s.") % {"version": version, "group": name})
    return redirect("/admin/releases")


@router.post("/releases/withdraw")
async def withdraw(request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_displays")
    group = str(form.get("group") or "")
    t = gettext_for(request)
    try:
        await run_in_threadpool(releases.withdraw_offer, service, group, user=user)
    except UserError as exc:
        return _page(request, service, 400, error=fleet_admin.localized(exc, language_of(request)))
    flash(request, t("Group %(group)s is offered no release any more.") % {"group": _group_name(service, group)})
    return redirect("/admin/releases")


def _group_name(service: Service, group_id: str) -> str:
    """The group's name as staff know it (its id only if it has gone)."""
    names = {g["id"]: g["name"] for g in fleet_admin.list_groups(service)}
    return str(names.get(group_id, group_id))
