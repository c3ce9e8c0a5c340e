"""Sumber data: the live data sources, their status and data age, adding and testing one, reviewing held data.

Everyone logged in sees the list; adding a source needs ``manage_sources`` (admin); airing or
discarding a held snapshot (e.g. a population that jumped x10) needs ``approve``. Fetches for
"test" run outside the store lock and store nothing. Every change is audited. A CAP source's ``auto_air``
(emergencies approved by the system) is refused here: one admin account alone could then put any text on
every screen by pointing a feed at its own server; the server's operator sets it (``signage sources add``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from content.sources.config import KINDS, SourceConfig, SourceConfigError, checked, raise_all
from content.sources.model import Snapshot
from content.sources.run import PollResult, SourceState, poll
from content.sources.validate import with_texts_checked
from scheduler.announcements import audit
from scheduler.dataslides import displays_for_source
from scheduler.i18n import N_
from scheduler.service import Service
from scheduler.sources import get_source, last_good, review, save_source
from scheduler.sources_view import held_comparison, source_row, source_rows, summarize
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
from scheduler.web.fetch_errors import plain_fetch_error
from signage.errors import UserError

router = page_router()
SourceId = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
SnapshotId = Annotated[int, PathParam(ge=1)]
FORM_FIELDS = ("id", "name", "kind", "url", "poll_interval_min", "timeout_s", "options", "username", "password")
KIND_LABELS = {
    "opensid": N_("OpenSID (village)"),
    "opendk": N_("OpenDK (district)"),
    "ckan": N_("CKAN (Satu Data)"),
    "csv": N_("CSV file"),
    "json": N_("JSON document"),
    "cap": N_("CAP warnings (BMKG)"),
    "bmkg": N_("BMKG weather forecast"),
}
STATUS_LABELS = {"ok": N_("OK"), "stale": N_("Out of date: screens show DATA LAMA"), "failed": N_("Failed"),
                 "held": N_("Held for review"), "new": N_("Not fetched yet")}  # fmt: skip
# A refused field -> the form field it belongs to and what to do, in the user's language.
FIELD_HELP = {
    "id": ("id", N_("ID: lowercase letters, digits and dashes, e.g. desa-antibar.")),
    "kind": ("kind", N_("Kind: choose one from the list.")),
    "url": ("url", N_("Address: the site's address starting with http:// or https://, e.g. https://antibar.desa.id.")),
    "poll_interval_s": ("poll_interval_min", N_("Poll interval: a whole number of minutes, at least 1.")),
    "timeout_s": ("timeout_s", N_("Time-out: seconds between 1 and 120.")),
    "poll_interval_s/timeout_s/max_bytes": ("poll_interval_min", N_("Poll interval and time-out must be numbers.")),
    "options": ("options", N_('Options: a JSON object, e.g. {"adm4": "61.04.01.2001"}, or empty.')),
}
OPTIONS_HELP = N_("Options: %(detail)s")
DUPLICATE = N_("ID: a source %(id)s already exists; choose another ID.")
AUTO_AIR_REFUSED = N_(
    "Options: auto_air (warnings on air without an approver) cannot be switched on from the web admin: one "
    "account alone would decide what every screen shows. The server's operator sets it with 'signage sources add'."
)


def age_text(request: Request, seconds: float | None) -> str:
    """A data age people read at a glance: "15 menit", "3 jam", "2 hari"."""
    t = gettext_for(request)
    if seconds is None:
        return "-"
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return t("%(n)d min") % {"n": minutes}
    if minutes < 48 * 60:
        return t("%(n)d h") % {"n": minutes // 60}
    return t("%(n)d days") % {"n": minutes // (24 * 60)}


def _form_values(form: FormData) -> dict[str, str]:
    return {k: str(form.get(k) or "").strip() for k in FORM_FIELDS}


def _config(values: dict[str, str]) -> SourceConfig:
    """The typed form as a checked source configuration (SourceConfigError names the field)."""
    problems: list[SourceConfigError] = []  # every field is checked: the form marks them all at once
    options: Any = {}
    if values["options"]:
        try:
            options = json.loads(values["options"])
        except ValueError:
            problems.append(SourceConfigError("options", "not JSON"))
            options = {}
        if not isinstance(options, dict):
            problems.append(SourceConfigError("options", "not an object"))
            options = {}
    poll_s, timeout_s = 3600, 20.0
    try:
        poll_s = int(values["poll_interval_min"] or "60") * 60
    except ValueError:
        problems.append(SourceConfigError("poll_interval_s", "a whole number of minutes"))
    try:
        timeout_s = float(values["timeout_s"] or "20")
    except ValueError:
        problems.append(SourceConfigError("timeout_s", "a number of seconds"))
    try:
        config = checked(id=values["id"], kind=values["kind"], url=values["url"], name=values["name"],
                         poll_interval_s=poll_s, timeout_s=timeout_s, options=options,
                         username=values["username"] or None, password=values["password"] or None)  # fmt: skip
    except SourceConfigError as exc:
        problems += [e for e in exc.errors if e.field not in {p.field for p in problems}]
    raise_all(problems)
    return config


def _field_errors(request: Request, exc: SourceConfigError) -> dict[str, Any]:
    """The form's error for every mistake found (one message, or a list) and the fields to mark."""
    said = sorted((_field_error(request, one) for one in exc.errors),  # in the form's order, top to bottom
                  key=lambda pair: FORM_FIELDS.index(pair[0]) if pair[0] in FORM_FIELDS else len(FORM_FIELDS))
    return mistakes([message for _field, message in said], [field for field, _message in said])


def _field_error(request: Request, exc: SourceConfigError) -> tuple[str, str]:
    t = gettext_for(request)
    if exc.field in FIELD_HELP:
        field, message = FIELD_HELP[exc.field]
        return field, t(message)
    detail = str(exc).split(": ", 1)[-1]
    return "options", t(OPTIONS_HELP) % {"detail": f"{exc.field} — {detail}"}


def _list(request: Request, service: Service, status: int = 200, **extra: Any) -> Response:
    now = service.clock()
    with service.lock:
        rows = source_rows(service.db, now)
    values = extra.pop("values", None) or {"kind": "opensid", "poll_interval_min": "60", "timeout_s": "20"}
    return render(
        request, "sources.html", status, active="sources", rows=rows, values=values, kinds=KINDS,
        kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, age=lambda s: age_text(request, s),
        fetch_error=lambda text: plain_fetch_error(text, gettext_for(request)), **extra,
    )  # fmt: skip


def _test(config: SourceConfig, now: datetime, good: Snapshot | None = None) -> PollResult:
    """Fetch once without storing anything (as ``signage sources test``); its status as the store would record it
    beside ``good`` (the source's last good data): held when it would show words no approver has read."""
    result = poll(config, SourceState(), good, now=now)
    if result.snapshot is None:
        return result
    return replace(result, snapshot=replace(result.snapshot, validation=with_texts_checked(result.snapshot, good)))


def _result_view(result: PollResult) -> dict[str, Any]:
    return {"error": result.error, "summary": summarize(result.snapshot) if result.snapshot else None,
            "notes": result.notes}  # fmt: skip


@router.get("/sources")
def sources(request: Request, user: UserDep, service: ServiceDep) -> Response:
    return _list(request, service)


@router.post("/sources")
async def add_source(request: Request, user: UserDep, service: ServiceDep) -> Response:
    """Add a source, or (button ``test``) try the typed settings without storing anything."""
    form = await checked_form(request)
    require_action(user, "manage_sources")
    values = _form_values(form)
    t = gettext_for(request)
    try:
        config = _config(values)
    except SourceConfigError as exc:
        return _list(request, service, 400, values=values, **_field_errors(request, exc))
    if form.get("action") == "test":
        result = await run_in_threadpool(_test, config, service.clock())  # a fetch: never on the event loop
        return _list(request, service, values=values, tested=_result_view(result), tested_url=config.url)
    if config.options.get("auto_air"):  # two-person rule: no one account makes a feed air by itself
        return _list(request, service, 400, values=values, error=t(AUTO_AIR_REFUSED), invalid="options")
    with service.lock:
        if service.db.table("data_sources").count_where("id = ?", [config.id]):
            return _list(request, service, 400, values=values, error=t(DUPLICATE) % {"id": config.id}, invalid="id")
        save_source(service.db, config)
        after = {k: v for k, v in config.to_row().items() if k != "config"} | {"options": config.options}
        audit(service.db, service.clock(), user["id"], "source.create", f"source:{config.id}", after=after)
    saved = t("Source %(id)s saved. It is fetched within a minute; use Test now to check it.")
    flash(request, saved % {"id": config.id})
    return redirect(f"/admin/sources/{config.id}")


def _detail(request: Request, service: Service, source_id: str, **extra: Any) -> Response:
    now = service.clock()
    with service.lock:
        row = source_row(service.db, get_source(service.db, source_id), now)
        comparison = held_comparison(service.db, source_id)
    return render(
        request, "source_detail.html", active="sources", row=row, comparison=comparison, kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS, age=lambda s: age_text(request, s),
        fetch_error=lambda text: plain_fetch_error(text, gettext_for(request)), **extra,
    )  # fmt: skip


@router.get("/sources/{source_id}")
def source_detail(source_id: SourceId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    return _detail(request, service, source_id)


@router.post("/sources/{source_id}/test")
async def test_source(source_id: SourceId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    await checked_form(request)
    require_action(user, "manage_sources")
    with service.lock:
        config = get_source(service.db, source_id).config
        good = last_good(service.db, source_id)
    result = await run_in_threadpool(_test, config, service.clock(), good[1] if good else None)
    return _detail(request, service, source_id, tested=_result_view(result))


@router.post("/sources/{source_id}/snapshots/{snapshot_id}/{decision}")
async def review_snapshot(
    source_id: SourceId, snapshot_id: SnapshotId, decision: str, request: Request, user: UserDep, service: ServiceDep
) -> Response:
    await checked_form(request)
    if decision not in ("approve", "reject"):
        raise UserError("decision: approve or reject", field="decision")
    require_action(user, "approve")
    t = gettext_for(request)
    now = service.clock()
    with service.lock:
        rows = list(service.db.table("snapshots").rows_where("id = ? and source_id = ?", [snapshot_id, source_id]))
        if not rows:
            raise UserError(f"snapshot: no snapshot {snapshot_id} of {source_id}", field="snapshot")
        before = last_good(service.db, source_id)
        row = review(service.db, snapshot_id, "approved" if decision == "approve" else "rejected", user["id"], now)
        audit(service.db, now, user["id"], f"snapshot.{decision}", f"source:{source_id}",
              detail=f"snapshot {snapshot_id}", before={"status": "held", "last_good": before[0] if before else None},
              after={"status": row["status"]})  # fmt: skip
    if decision == "approve":
        with service.lock:
            reached = displays_for_source(service.db, source_id)
        await run_in_threadpool(service.publisher.publish, reached)
        flash(request, t("The new figures are approved and go on air."))
    else:
        flash(request, t("The held figures are rejected; the screens keep the last good data."))
    return redirect(f"/admin/sources/{source_id}")
