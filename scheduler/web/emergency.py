"""Darurat: the emergency broadcast form (approver/admin), with a confirmation step.

It creates an emergency-layer announcement and submits it; a *second* approver must approve it
(two-person rule, :mod:`scheduler.policy`), so pending emergencies are shown prominently to the
other approvers here and on the home page.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from scheduler import actions
from scheduler.announcements import content_version, decode_row, display_status
from scheduler.emergency_ack import acknowledgements, offline_targets
from scheduler.errors import Forbidden
from scheduler.i18n import N_
from scheduler.service import Service
from scheduler.web.announcement_form import error_text, local_to_utc
from scheduler.web.common import (
    ServiceDep,
    UserDep,
    checked_form,
    flash,
    gettext_for,
    mistakes,
    page_router,
    redirect,
    render,
    require_action,
)
from signage.clock import parse_utc
from signage.errors import UserError, all_errors, raise_all

router = page_router()
SEVERITIES = {"warning": N_("WARNING"), "emergency": N_("EMERGENCY")}


def _emergencies(service: Service) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    now = service.clock()
    with service.lock:
        rows = [
            decode_row(r)
            for r in service.db.table("announcements").rows_where(
                "layer = 'emergency' and status in ('submitted', 'approved', 'draft')", order_by="id desc"
            )
        ]
    pending = [{**r, "version": content_version(r)} for r in rows if r["status"] in ("submitted", "draft")]
    active = [r for r in rows if r["status"] == "approved" and display_status(r, now) == "on_air"]
    return pending, active


def _values(form: Any) -> dict[str, Any]:
    return {
        "severity": str(form.get("severity") or "emergency"),
        "title": str(form.get("title") or "").strip(),
        "message": str(form.get("message") or ""),
        "scope": str(form.get("scope") or "all"),
        "groups": [str(g) for g in form.getlist("group")],
        "ends_local": str(form.get("ends_local") or ""),
    }


def _page(request: Request, service: Service, values: dict[str, Any], status: int = 200, **extra: Any) -> Response:
    pending, active = _emergencies(service)
    with service.lock:
        groups = list(service.db.table("groups").rows_where(order_by="name"))
        approvers = service.db.table("users").count_where("role in ('approver', 'admin') and not coalesce(disabled, 0)")
        acks_by_id = {a["id"]: acknowledgements(service.db, a, service.clock()) for a in active}
    return render(
        request, "emergency.html", status, active="emergency", values=values, groups=groups,
        pending=pending, on_air=active, acks_by_id=acks_by_id, severities=SEVERITIES, approvers=approvers, **extra,
    )  # fmt: skip


def _body(service: Service, values: dict[str, Any], t: Any) -> dict[str, Any]:
    """The announcement body of the emergency, or UserError naming the field in the user's words (every mistake
    at once: a :class:`FieldErrors` when there are several)."""
    problems: list[UserError] = []
    if values["severity"] not in SEVERITIES:
        problems.append(UserError(t("Severity: choose warning or emergency."), field="severity"))
    if not values["title"]:
        problems.append(UserError(t("Headline: write what is happening, e.g. 'Banjir di Sungai Pinyuh'."),
                                  field="title"))  # fmt: skip
    with service.lock:
        all_displays = [r["id"] for r in service.db.table("displays").rows_where(order_by="id")]
    targets: dict[str, Any] = {"displays": [], "groups": []}
    if values["scope"] == "groups":
        if not values["groups"]:
            problems.append(UserError(t("Target screens: tick at least one group, or choose all screens."),
                                      field="targets"))  # fmt: skip
        targets = {"displays": [], "groups": values["groups"]}
    elif values["groups"]:  # a contradiction: never guess which one was meant for an emergency
        problems.append(UserError(t("Target screens: you ticked groups but chose all screens. Choose 'Only these "
                                    "groups' to send to the ticked groups, or untick them to send to all screens."),
                                  field="targets"))  # fmt: skip
    elif not all_displays:
        problems.append(UserError(t("Target screens: there are no screens yet."), field="targets"))
    else:
        targets = {"displays": all_displays, "groups": []}
    ends_at = None
    with contextlib.suppress(UserError):  # not a time (or past any schedule's years): said below, in the form's words
        ends_at = local_to_utc(values["ends_local"], service.config.timezone, "ends_at")
    if ends_at is None or parse_utc(ends_at) <= service.clock():
        problems.append(UserError(t("Ends at: choose a time in the future; the emergency ends by itself then."),
                                  field="ends_at"))  # fmt: skip
    raise_all(problems)
    headline = f"{t(SEVERITIES[values['severity']])}: {values['title']}"
    return {
        "title": headline[:200],
        "body": values["message"],
        "kind": "text",
        "layer": "emergency",
        "duration_s": 15,
        "targets": targets,
        "ends_at": ends_at,
    }


def _refusal(exc: UserError, t: Any = None) -> dict[str, Any]:
    """The page's error for every mistake (one message, or a list) and the fields to mark. The form's own checks
    are already in the staff's words; the store's (``t`` given) are said through the announcement form's labels."""
    own = ("severity", "title", "ends_at", "targets")
    found = all_errors(exc)
    messages = [one.message if t is None or one.field in own else error_text(one, t)[0] for one in found]
    return mistakes(messages, [one.field for one in found], key="error_fields")


@router.get("/emergency")
def emergency_form(request: Request, user: UserDep, service: ServiceDep) -> Response:
    require_action(user, "emergency")
    empty = {"severity": "emergency", "title": "", "message": "", "scope": "all", "groups": [], "ends_local": ""}
    return _page(request, service, empty)


@router.post("/emergency")
async def emergency_confirm(request: Request, user: UserDep, service: ServiceDep) -> Response:
    """Step 1: check the form and show what will be sent, asking for confirmation."""
    form = await checked_form(request)
    require_action(user, "emergency")
    t = gettext_for(request)
    values = _values(form)
    try:
        body = _body(service, values, t)
    except UserError as exc:
        return _page(request, service, values, 400, **_refusal(exc))
    with service.lock:
        reached, offline = offline_targets(service.db, body["targets"], service.clock())
    if not reached:
        message = t("Target screens: the ticked groups have no screens yet. Tick another group or choose all screens.")
        return _page(request, service, values, 400, error=message, error_fields={"targets"})
    return _page(request, service, values, confirm=body, reached=reached, offline=offline)


@router.post("/emergency/send")
async def emergency_send(request: Request, user: UserDep, service: ServiceDep) -> Response:
    """Step 2 (confirmed): create the emergency announcement and submit it for a second approver."""
    form = await checked_form(request)
    require_action(user, "emergency")
    t = gettext_for(request)
    values = _values(form)
    try:
        body = _body(service, values, t)
        row = await run_in_threadpool(actions.create_announcement_action, service, body, user)
        await run_in_threadpool(actions.submit, service, int(row["id"]), user)
    except Forbidden:
        raise
    except UserError as exc:
        return _page(request, service, values, 400, **_refusal(exc, t))
    flash(request, t("Emergency prepared. Another approver must approve it now before it goes on air."))
    return redirect(f"/admin/announcements/{row['id']}")
