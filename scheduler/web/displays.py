"""Layar: the fleet table, a display's detail and settings, groups, enrolling a waiting player.

Everyone logged in sees the fleet; changes need ``manage_displays`` (admin). Every change
goes through :mod:`scheduler.fleet_admin` (the same validation as the CLI and the API).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from scheduler import enrolment, fleet_admin
from scheduler.announcements import audit
from scheduler.errors import TooMany
from scheduler.fleet_admin import DISPLAY_FIELDS, GROUP_KINDS, ROTATIONS, FieldError, format_hours
from scheduler.fleet_alerts import fleet_alert_items
from scheduler.fleet_view import fleet_rows, screenshot_png
from scheduler.i18n import N_
from scheduler.screenshot_requests import request_screenshot as request_screenshot_of
from scheduler.service import Service
from scheduler.web.common import (
    ServiceDep,
    UserDep,
    checked_form,
    flash,
    gettext_for,
    language_of,
    mistakes,
    page_router,
    redirect,
    render,
    require_action,
)
from scheduler.web.releases import UPDATE_LABELS
from signage.errors import NotFoundError, UserError, all_errors

router = page_router()
ItemId = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
KIND_LABELS = {"kabupaten": N_("Regency"), "kecamatan": N_("District"), "desa": N_("Village"), "tag": N_("Tag")}
ALERT_LABELS = {
    "no_player": N_("no player enrolled yet"),
    "offline": N_("offline"),
    "version_lag": N_("has not loaded the latest schedule"),
    "missing_media": N_("media still downloading"),
    "clock_offset": N_("clock is off by more than 5 seconds"),
    "low_disk": N_("less than 2 GB disk free"),
}
FORM_FIELDS = ("id", *DISPLAY_FIELDS)


def _message(request: Request, exc: UserError) -> str:
    return fleet_admin.localized(exc, language_of(request))


FORM_ORDER = ("id", "name", "location", "latitude", "longitude", "region_code", "width", "height", "rotation",
              "capture_x", "capture_y", "capture_w", "capture_h", "timezone", "operating_hours", "groups")


def _refusal(request: Request, exc: UserError) -> dict[str, Any]:
    """The form's error (every mistake in the staff's language: one, or a list) and the fields to mark."""
    found = sorted(all_errors(exc), key=lambda one: FORM_ORDER.index(one.field) if one.field in FORM_ORDER
                   else len(FORM_ORDER))  # in the order of the form, top to bottom  # fmt: skip
    return mistakes([fleet_admin.localized(one, language_of(request)) for one in found], [one.field for one in found])


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in FORM_FIELDS if k != "groups"}
    values["groups"] = [str(g) for g in form.getlist("groups")]
    return values


def _settings_values(display: dict[str, Any], language: str) -> dict[str, Any]:
    values = {k: display.get(k) for k in FORM_FIELDS}
    values["operating_hours"] = format_hours(display.get("operating_hours") or [], language)
    return {k: "" if v is None else v for k, v in values.items()}


def _form(
    request: Request, service: Service, values: dict[str, Any], new: bool, status: int = 200, **extra: Any
) -> Response:
    return render(
        request, "display_form.html", status, active="displays", values=values, new=new,
        groups=fleet_admin.list_groups(service), rotations=ROTATIONS, kind_labels=KIND_LABELS,
        default_timezone=service.config.timezone, **extra,
    )  # fmt: skip


@router.get("/displays")
def displays(request: Request, user: UserDep, service: ServiceDep) -> Response:
    with service.lock:
        waiting = enrolment.pending(service.db, service.clock())
    rows = fleet_rows(service)
    return render(
        request, "displays.html", active="displays", rows=rows, waiting=waiting, alert_labels=ALERT_LABELS,
        online=sum(1 for r in rows if r.health.online), update_labels=UPDATE_LABELS,
        fleet_alerts=fleet_alert_items(service, language_of(request)),
    )  # fmt: skip


@router.get("/displays/new")
def new_display(request: Request, user: UserDep, service: ServiceDep) -> Response:
    require_action(user, "manage_displays")
    # every screen of the regency gets the regency-wide announcements unless someone unticks it
    regency = [g["id"] for g in fleet_admin.list_groups(service) if g.get("kind") == "kabupaten"]
    return _form(request, service, {"timezone": service.config.timezone, "rotation": 0, "groups": regency}, True)


@router.post("/displays/new")
async def create_display(request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_displays")
    values = _form_values(form)
    try:
        row = await run_in_threadpool(fleet_admin.create_display, service, values)
    except UserError as exc:
        return _form(request, service, values, True, 400, **_refusal(request, exc))
    with service.lock:
        audit(service.db, service.clock(), user["id"], "display.create", f"display:{row['id']}", after=row)
    flash(request, gettext_for(request)(N_("Display %(name)s created. Now enrol its player.")) % {"name": row["name"]})
    return redirect(f"/admin/displays/{row['id']}")


@router.get("/displays/{display_id}")
def display_detail(display_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    rows = [r for r in fleet_rows(service) if r.display["id"] == display_id]
    if not rows:
        raise NotFoundError(f"display: unknown display {display_id!r}", field="display")
    with service.lock:
        waiting = enrolment.pending(service.db, service.clock())
    return render(
        request, "display_detail.html", active="displays", row=rows[0], alert_labels=ALERT_LABELS,
        kind_labels=KIND_LABELS, waiting=waiting, events_connected=service.events.connections,
        update_labels=UPDATE_LABELS,
    )  # fmt: skip


@router.get("/displays/{display_id}/edit")
def edit_form(display_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    require_action(user, "manage_displays")
    return _form(
        request, service, _settings_values(fleet_admin.get_display(service, display_id), language_of(request)), False
    )


@router.post("/displays/{display_id}/edit")
async def save_display(display_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_displays")
    before = fleet_admin.get_display(service, display_id)
    values = {**_form_values(form), "id": display_id}
    try:
        changes = {k: v for k, v in values.items() if k != "id"}
        row = await run_in_threadpool(fleet_admin.edit_display, service, display_id, changes)
    except UserError as exc:
        return _form(request, service, values, False, 400, **_refusal(request, exc))
    with service.lock:
        audit(
            service.db, service.clock(), user["id"], "display.edit", f"display:{display_id}", before=before, after=row
        )
    latest = service.publisher.latest(display_id)
    flash(
        request,
        gettext_for(request)(N_("Settings saved; schedule version %(version)s sent to the screen."))
        % {"version": latest.version if latest else "-"},
    )
    return redirect(f"/admin/displays/{display_id}")


@router.post("/displays/{display_id}/screenshot")
async def request_screenshot(display_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    await checked_form(request)
    fleet_admin.get_display(service, display_id)
    try:
        request_screenshot_of(service, display_id, user)
    except TooMany:
        flash(request, gettext_for(request)(N_("Several screenshots were requested in the last minute; wait a minute "
                                               "before asking again. The newest one is shown below.")))
        return redirect(f"/admin/displays/{display_id}#screenshot")
    flash(request, gettext_for(request)(N_("Screenshot requested; it appears here when the player sends it.")))
    return redirect(f"/admin/displays/{display_id}#screenshot")


@router.get("/displays/{display_id}/screenshot.png")
def screenshot(display_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    png = screenshot_png(service, display_id)
    if png is None:
        raise NotFoundError(f"display: no screenshot from {display_id!r} yet", field="display")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/displays/{display_id}/revoke")
async def revoke(display_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    await checked_form(request)
    require_action(user, "manage_displays")
    fleet_admin.get_display(service, display_id)
    count = await run_in_threadpool(service.revoke_display, display_id)  # also ends its open event streams
    with service.lock:
        audit(service.db, service.clock(), user["id"], "display.revoke", f"display:{display_id}",
              after={"revoked_tokens": count})  # fmt: skip
    flash(request, gettext_for(request)(N_("Player removed from this display; it must be enrolled again.")))
    return redirect(f"/admin/displays/{display_id}")


@router.post("/displays/{display_id}/delete")
async def delete_display(display_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    await checked_form(request)
    require_action(user, "manage_displays")
    t = gettext_for(request)
    before = fleet_admin.get_display(service, display_id)
    try:
        await run_in_threadpool(fleet_admin.remove_display, service, display_id)
    except FieldError as exc:
        flash(request, _message(request, exc))
        return redirect(f"/admin/displays/{display_id}")
    with service.lock:
        audit(service.db, service.clock(), user["id"], "display.delete", f"display:{display_id}", before=before)
    flash(request, t("Display %(name)s deleted.") % {"name": before["name"]})
    return redirect("/admin/displays")


@router.post("/enrolments/{code}/enrol")
async def enrol(code: str, request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_displays")
    t = gettext_for(request)
    display_id = str(form.get("display_id") or "")
    if not display_id:
        flash(request, t("Choose the display this player becomes."))
        return redirect("/admin/displays#waiting")
    try:
        name = fleet_admin.get_display(service, display_id)["name"]
        with service.lock:
            enrolment.approve(service.db, code, display_id, service.clock())
            audit(service.db, service.clock(), user["id"], "display.enrol", f"display:{display_id}",
                  after={"code": code.upper()})  # fmt: skip
    except UserError as exc:
        flash(request, t("Enrolment refused: %(why)s") % {"why": _message(request, exc)})
        return redirect("/admin/displays#waiting")
    flash(request, t("Player %(code)s enrolled as %(name)s.") % {"code": code.upper(), "name": name})
    return redirect(f"/admin/displays/{display_id}")


# -- groups -------------------------------------------------------------------------------------


def _groups_page(request: Request, service: Service, status: int = 200, **extra: Any) -> Response:
    return render(
        request, "groups.html", status, active="displays", groups=fleet_admin.list_groups(service),
        kinds=GROUP_KINDS, kind_labels=KIND_LABELS, **extra,
    )  # fmt: skip


@router.get("/groups")
def groups(request: Request, user: UserDep, service: ServiceDep) -> Response:
    return _groups_page(request, service)


@router.post("/groups")
async def create_group(request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_displays")
    values = {k: str(form.get(k) or "").strip() for k in ("id", "name", "kind")}
    try:
        row = await run_in_threadpool(fleet_admin.create_group, service, values)
    except UserError as exc:
        return _groups_page(request, service, 400, error=_message(request, exc), values=values, invalid=exc.field)
    with service.lock:
        audit(service.db, service.clock(), user["id"], "group.create", f"group:{row['id']}", after=row)
    flash(request, gettext_for(request)(N_("Group %(name)s created.")) % {"name": row["name"]})
    return redirect("/admin/groups")


@router.post("/groups/{group_id}/edit")
async def edit_group(group_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    require_action(user, "manage_displays")
    before = fleet_admin.get_group(service, group_id)
    try:
        row = await run_in_threadpool(
            fleet_admin.edit_group, service, group_id, {k: str(form.get(k) or "") for k in ("name", "kind")}
        )
    except UserError as exc:
        return _groups_page(request, service, 400, error=_message(request, exc))
    with service.lock:
        audit(service.db, service.clock(), user["id"], "group.edit", f"group:{group_id}", before=before, after=row)
    flash(request, gettext_for(request)(N_("Group %(name)s saved.")) % {"name": row["name"]})
    return redirect("/admin/groups")


@router.post("/groups/{group_id}/delete")
async def delete_group(group_id: ItemId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    await checked_form(request)
    require_action(user, "manage_displays")
    before = fleet_admin.get_group(service, group_id)
    try:
        removal = await run_in_threadpool(fleet_admin.remove_group, service, group_id)
    except UserError as exc:
        return _groups_page(request, service, 400, error=_message(request, exc))
    with service.lock:
        audit(service.db, service.clock(), user["id"], "group.delete", f"group:{group_id}", before=before)
    t = gettext_for(request)
    message = t(N_("Group %(name)s deleted.")) % {"name": before["name"]}
    if removal.behind:
        message = t(
            "%(message)s %(count)d screens are being updated in the background; each gets the change as soon "
            "as its new schedule is ready (a minute or two for this many)."
        ) % {"message": message, "count": removal.behind}
    flash(request, message)
    return redirect("/admin/groups")
