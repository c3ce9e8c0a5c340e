"""Pengumuman: list (status filter, search), create/edit with schedule fields, detail, workflow buttons.

Every change goes through :mod:`scheduler.actions` (which asks :mod:`scheduler.policy`): a
button is shown only when the policy allows it, and a POST by URL is refused all the same.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from scheduler import actions
from scheduler.announcements import (
    STATUSES,
    content_version,
    decode_row,
    display_status,
    get_announcement,
    mark_media_states,
    today_states,
    validate_announcement,
)
from scheduler.emergency_ack import acknowledgements
from scheduler.errors import Forbidden
from scheduler.i18n import N_
from scheduler.limits import limit_for
from scheduler.media import WAIT_S
from scheduler.preview_render import render_announcement
from scheduler.service import Service
from scheduler.sources import last_good, list_sources
from scheduler.store import loads
from scheduler.web.announcement_form import (
    LAYERS,
    RECURRENCES,
    SLIDES,
    SLIDES_WITH_SOURCES,
    WEEKDAY_LABELS,
    body_and_problems,
    describe_schedule,
    error_text,
    errors_text,
    form_values,
    merge_problems,
    slide_values,
    values_from_row,
)
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
    session_of,
)
from scheduler.web.form_once import PENDING, SentForms
from scheduler.web.preview import previews, slide_display, target_canvases
from scheduler.web.refusals import plain_reason, plain_refusal, plain_warning
from signage.clock import format_utc
from signage.errors import FieldErrors, UserError, all_errors

router = page_router()
AnnouncementId = Annotated[int, PathParam(ge=1, le=2**53)]
UPLOAD_WAIT_S = 20.0
STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved, not started yet"),
    "on_air": N_("On air"),
    "not_today": N_("Approved, not on today"),
    "later_today": N_("Approved, on later today"),
    "done_today": N_("Approved, done for today"),
    "media_waiting": N_("Approved, its file is still being prepared"),
    "media_failed": N_("Approved, but its file failed: not on any screen"),
    "ended": N_("Ended"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "archived": N_("Archived"),
}
LAYER_LABELS = {"normal": N_("Normal"), "interrupt": N_("Interlude"), "emergency": N_("Emergency"),
                "fallback": N_("Fallback"), "overlay": N_("Overlay")}  # fmt: skip
KIND_LABELS = {"text": N_("Text"), "image": N_("Image"), "video": N_("Video"), "stat": N_("Village statistics")}
ACTION_LABELS = {
    "announcement.create": N_("created"),
    "announcement.update": N_("edited"),
    "announcement.submit": N_("submitted for approval"),
    "announcement.approve": N_("approved"),
    "announcement.reject": N_("rejected"),
    "announcement.withdraw": N_("withdrew"),
    "announcement.archive": N_("archived"),
}


def _choices(service: Service) -> dict[str, Any]:
    with service.lock:
        displays = list(service.db.table("displays").rows_where(order_by="name"))
        groups = list(service.db.table("groups").rows_where(order_by="name"))
        stat_sources, series = _stat_sources(service)
    return {"displays": displays, "groups": groups, "stat_sources": stat_sources, "series_choices": series,
            "slides": SLIDES, "slides_with_sources": SLIDES_WITH_SOURCES}  # fmt: skip


#: Series with a slide of their own, ordered by their bands (bars sort by count and fold the rest into "Lainnya").
NOT_AS_BARS = {"rentang-umur", "wilayah", "desa"}


def _stat_sources(service: Service) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """(the data sources with statistics: id, name; every category their last good data holds: key, title).
    Weather and warning feeds are not offered: their slides take no source (each screen's own region)."""
    sources: list[dict[str, str]] = []
    series: dict[str, str] = {}
    for source in list_sources(service.db):
        if source.config.kind in ("cap", "bmkg"):
            continue
        sources.append({"id": source.config.id, "name": source.config.name or source.config.id})
        good = last_good(service.db, source.config.id)
        for key, one in (good[1].series.items() if good else ()):
            if key not in NOT_AS_BARS:
                series.setdefault(key, one.title or key)
    return sources, sorted(series.items(), key=lambda pair: pair[1].lower())


def _labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "layer_labels": LAYER_LABELS,
        "kind_labels": KIND_LABELS,
        "recurrences": RECURRENCES,
        "layers": LAYERS,
        "weekdays": list(zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), WEEKDAY_LABELS, strict=True)),
    }


def _mark_shown_states(service: ServiceDep, rows: list[dict[str, Any]]) -> None:
    """``display_status`` as staff read it: "not_today" / "done_today" / "later_today" for those on air whose own
    schedule has them off now (days of the week, dates, hours), and "media_waiting" / "media_failed" for approved
    ones whose file is on no screen (:func:`mark_media_states`)."""
    on_air = [r for r in rows if r["display_status"] == "on_air"]
    with service.lock:
        quiet = today_states(service.db, on_air, service.clock(), service.config.timezone) if on_air else {}
        for row in on_air:
            row["display_status"] = quiet.get(int(row["id"]), row["display_status"])
        mark_media_states(service.db, rows)


@router.get("/announcements")
def list_announcements(request: Request, user: UserDep, service: ServiceDep, status: str = "", q: str = "") -> Response:
    now = service.clock()
    with service.lock:
        rows = [
            decode_row(r) for r in service.db.table("announcements").rows  # ordered below, by the last change
        ]
    needle = q.strip().lower()[:200]
    shown = []
    for row in rows:
        row["display_status"] = display_status(row, now)
        # the last change is an edit or a decision (submit, approve, reject, withdraw, archive), whichever is later
        if row.get("status_at") and str(row["status_at"]) > str(row.get("updated_at") or ""):
            row["changed_at"], row["changed_by"] = row["status_at"], row.get("status_by")
        else:
            row["changed_at"], row["changed_by"] = row.get("updated_at"), row.get("updated_by") or row["created_by"]
    rows.sort(key=lambda r: (str(r["changed_at"] or ""), int(r["id"])), reverse=True)
    _mark_shown_states(service, rows)
    for row in rows:
        if status and row["display_status"] != status:
            continue
        if not status and row["display_status"] == "archived":
            continue  # archived ones only when asked for
        if needle and needle not in row["title"].lower() and needle not in (row["body"] or "").lower():
            continue
        row["schedule_text"] = describe_schedule(row["schedule"], gettext_for(request))
        shown.append(row)
    return render(
        request,
        "announcements.html",
        active="announcements",
        rows=shown,
        status_filter=status if status in STATUS_LABELS else "",
        q=q[:200],
        statuses=[s for s in (*STATUSES, "on_air", "later_today", "done_today", "not_today", "media_waiting",
                              "media_failed", "ended") if s in STATUS_LABELS],
        **_labels(),
    )


def _form_page(
    request: Request, service: Service, values: dict[str, Any], announcement: dict[str, Any] | None,
    status: int = 200, errors: list[tuple[str, str]] | None = None,
) -> Response:  # fmt: skip
    """The form; ``errors``: (message, form field) of each mistake, all marked at once."""
    errors = errors or []
    return render(
        request,
        "announcement_form.html",
        status,
        active="announcements",
        values=values,
        announcement=announcement,
        **mistakes([message for message, _field in errors], [field for _message, field in errors], "error_fields"),
        upload_limit_bytes=limit_for("/admin/media"),
        **_choices(service),
        **_labels(),
    )


def _empty_values(service: Service) -> dict[str, Any]:
    return {
        "title": "", "body": "", "duration_s": str(service.config.default_duration_s), "valid_from": "",
        "valid_until": "", "recurrence": "every_day", "monthday": "", "days": [], "from_time": "", "to_time": "",
        "layer": "normal", "share_percent": "", "displays": [], "groups": [], "media_sha256": "", "media_kind": "",
        "keep_schedule": "", "form_id": secrets.token_urlsafe(16), "slide": "", "slide_sources": [],
        "slide_series": "", "slide_top_n": "", "slide_place": "",
    }  # fmt: skip


@router.get("/announcements/new")
def new_form(request: Request, user: UserDep, service: ServiceDep) -> Response:
    require_action(user, "create")
    return _form_page(request, service, _empty_values(service), None)


def _store_upload(service: Service, upload: UploadFile, wait_s: float = WAIT_S) -> tuple[int, str, str]:
    """Store a file sent with the form and wait for the pipeline (like the API's ``wait=true``): a refusal
    is the form's error, and nothing of the file is kept. ``wait_s`` bounds the wait (the job goes on)."""
    job_id, kind, sha256 = service.media_jobs.submit_stream(upload.file, upload.filename or "upload")
    service.media_jobs.wait(job_id, wait_s)
    return job_id, kind, sha256


def _store_check(service: Service, body: dict[str, Any]) -> list[UserError]:
    """What the store's check of an announcement body finds (every mistake), without saving anything."""
    with service.lock:
        try:
            validate_announcement(service.db, body)
        except UserError as exc:
            return all_errors(exc)
    return []


async def _body_of_form(
    service: Service, form: FormData, t: Any, previous: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any], UserError | None]:
    """(values to show again, the announcement body, every mistake at once or None): a refused file, the fields
    that cannot be read, then what the store's check finds about the other fields."""
    problems: list[UserError] = []
    try:
        values = await _values_with_upload(service, form, t)
    except UserError as exc:  # a refused file: nothing of it is kept; the other fields are still checked
        values, problems = form_values(form), [exc]
    body, unreadable = body_and_problems(values, service.config.timezone, previous)
    problems = merge_problems(problems + unreadable, await run_in_threadpool(_store_check, service, body))
    if not problems:
        return values, body, None
    return values, body, problems[0] if len(problems) == 1 else FieldErrors(problems)


async def _values_with_upload(service: Service, form: FormData, t: Any) -> dict[str, Any]:
    """The form's values; a file sent with the form itself (no JS) is stored first."""
    values = form_values(form)
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            # at most UPLOAD_WAIT_S, as the page's own upload: a long conversion goes on after the form is saved
            _job_id, kind, sha256 = await run_in_threadpool(_store_upload, service, upload, UPLOAD_WAIT_S)
        except UserError as exc:
            raise UserError(plain_refusal(exc.message, t), field="file") from None
        values["media_sha256"], values["media_kind"] = sha256, kind
    return values


@router.post("/announcements/new")
async def create(request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    t = gettext_for(request)
    values = form_values(form)
    session = session_of(request)
    sent: SentForms = request.app.state.sent_forms
    key = (session.id_hash, values["form_id"]) if session and values["form_id"] else None
    made = sent.claim(key) if key else None
    if made is not None:  # this very form again: the back button and send, or a second click
        flash(request, t("This form was already sent and saved once; here is what it made. What you changed after "
                         "sending it is not saved: to change it, choose Edit. To write another announcement, choose "
                         "New announcement."))  # fmt: skip
        return redirect(f"/admin/announcements/{made}" if made != PENDING else "/admin/announcements")
    try:
        require_action(user, "create")
        values, body, refused = await _body_of_form(service, form, t, None)
        if refused is not None:
            raise refused
        if body["layer"] == "emergency":
            require_action(user, "emergency")
        row = await run_in_threadpool(actions.create_announcement_action, service, body, user)
    except UserError as exc:
        if key:
            sent.release(key)
        if isinstance(exc, Forbidden):
            raise  # the policy's refusal: a 403 page
        return _form_page(request, service, values, None, 400, errors_text(exc, t))
    except BaseException:
        if key:
            sent.release(key)
        raise
    if key:
        sent.made(key, int(row["id"]))
    if form.get("then_submit"):
        await run_in_threadpool(actions.submit, service, int(row["id"]), user)
        flash(request, t("Saved and submitted for approval."))
    else:
        flash(request, t("Saved as a draft. Submit it for approval when it is ready."))
    return redirect(f"/admin/announcements/{row['id']}")


@router.get("/announcements/{announcement_id}/edit")
def edit_form(announcement_id: AnnouncementId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    with service.lock:
        row = get_announcement(service.db, announcement_id)
    require_action(user, "edit", row)
    return _form_page(request, service, values_from_row(row, service.config.timezone), row)


@router.post("/announcements/{announcement_id}/edit")
async def edit(announcement_id: AnnouncementId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    form = await checked_form(request)
    t = gettext_for(request)
    with service.lock:
        row = get_announcement(service.db, announcement_id)
    values = form_values(form)
    try:
        require_action(user, "edit", row)
        values, body, refused = await _body_of_form(service, form, t, row["schedule"])
        if refused is not None:
            raise refused
        if body["layer"] == "emergency" and row["layer"] != "emergency":
            require_action(user, "emergency")
        updated, _published = await run_in_threadpool(actions.edit_and_publish, service, announcement_id, body, user)
    except Forbidden:
        raise  # the policy's refusal: a 403 page
    except UserError as exc:
        return _form_page(request, service, values, row, 400, errors_text(exc, t))
    if form.get("then_submit") and updated["status"] in ("draft", "rejected", "withdrawn"):
        await run_in_threadpool(actions.submit, service, announcement_id, user)
        flash(request, t("Saved and submitted for approval."))
    elif updated["status"] == "submitted" and row["status"] == "approved":
        flash(request, t("Saved. The change is off air until it is approved again."))
    else:
        flash(request, t("Saved."))
    return redirect(f"/admin/announcements/{announcement_id}")


TEXT_CUT = N_(
    "Text too long for the %(canvas)s screen: some lines were cut (they end with '…'). "
    "Shorten the text or split it over two slides."
)


def _warning_text(warning: str, canvas: str, t: Any) -> str:
    """The renderer's warning in the user's words (its English detail otherwise)."""
    if "does not fit" in warning:
        return str(t(TEXT_CUT) % {"canvas": canvas})
    return str(t(warning))


def _preview_warnings(preview: dict[str, Any], t: Any) -> list[str]:
    """The slide renderer's warnings, then the legibility check's (docs/content.md states the rule)."""
    canvas = preview["canvas"]
    out = [_warning_text(w, canvas, t) for w in preview["warnings"]]
    check = preview.get("legibility")
    if check and check["too_small"]:
        values = {"canvas": canvas, "px": f"{check['min_text_px']:.0f}", "min": check["required_px"]}
        if check["measured"]:
            out.append(str(t("Text on the %(canvas)s screen is %(px)s px high, under the readable %(min)s px: "
                             "passers-by cannot read it. Shorten the text.") % values))
        else:
            out.append(str(t("On the %(canvas)s screen this picture's small print would be about %(px)s px high, "
                             "under the readable %(min)s px. Make a version designed for %(canvas)s.") % values))
    if check and check["cut"] and not any("does not fit" in w for w in preview["warnings"]):
        out.append(str(t(TEXT_CUT) % {"canvas": canvas}))
    return out


def _history(service: Service, announcement_id: int) -> list[dict[str, Any]]:
    with service.lock:
        return list(
            service.db.table("audit_log").rows_where(
                "subject = ?",
                [f"announcement:{announcement_id}"],
                order_by="id",
                select="id, at, user_id, action, detail",
            )
        )


@router.get("/announcements/{announcement_id}")
def detail(announcement_id: AnnouncementId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    with service.lock:
        row = get_announcement(service.db, announcement_id)
        media = service.db.table("media").get(row["media_sha256"]) if row["media_sha256"] else None
        jobs = (
            list(
                service.db.table("ingest_jobs").rows_where(
                    "original_sha256 = ?", [row["media_sha256"]], order_by="id desc", limit=1
                )
            )
            if row["media_sha256"]
            else []
        )
    row["display_status"] = display_status(row, service.clock())
    _mark_shown_states(service, [row])
    acks = None
    if row["layer"] == "emergency" and row["status"] == "approved":
        with service.lock:
            acks = acknowledgements(service.db, row, service.clock())
    t = gettext_for(request)
    return render(
        request,
        "announcement_detail.html",
        active="announcements",
        a=row,
        version=content_version(row),
        acks=acks,
        media=media,
        job=jobs[0] if jobs else None,
        job_error=plain_reason(jobs[0]["error"] or "-", t) if jobs and jobs[0]["state"] == "failed" else "",
        job_warnings=[plain_warning(str(w), t) for w in loads(jobs[0]["warnings"], [])] if jobs else [],
        history=_history(service, announcement_id),
        action_labels=ACTION_LABELS,
        schedule_text=describe_schedule(row["schedule"], t),
        previews=[
            {**p, "warnings": _preview_warnings(p, t)} for p in previews(service, row)
        ],
        slide=_slide_facts(service, row),
        validity_over=bool(row.get("ends_at")) and str(row["ends_at"]) <= format_utc(service.clock()),
        **_labels(),
    )


def _slide_facts(service: Service, row: dict[str, Any]) -> dict[str, Any] | None:
    """A data slide in words for its page: what it shows, from which sources (by name), which category."""
    values = slide_values(row)
    if not values["slide"]:
        return None
    with service.lock:  # the names of its own sources, and its category's title as their data has it
        names = {s.config.id: s.config.name or s.config.id for s in list_sources(service.db)}
        goods = [last_good(service.db, source_id) for source_id in values["slide_sources"]]
    titles = {key: one.title for good in goods if good for key, one in good[1].series.items()}
    return {
        "label": dict(SLIDES).get(values["slide"], values["slide"]),
        "sources": [names.get(x, x) for x in values["slide_sources"]],
        "series": titles.get(values["slide_series"], values["slide_series"]),
        "place": values["slide_place"],
    }


@router.get("/announcements/{announcement_id}/preview/{canvas}")
def preview_image(
    announcement_id: AnnouncementId, canvas: Annotated[str, PathParam(pattern=r"^\d{1,5}x\d{1,5}$")],
    request: Request, user: UserDep, service: ServiceDep,
) -> Response:  # fmt: skip
    with service.lock:
        row = get_announcement(service.db, announcement_id)
    found = next((p for p in target_canvases(service, row) if p["canvas"] == canvas), None)
    if found is None:
        return Response(status_code=404)
    chosen = slide_display(service, row, found["display_ids"])  # a data slide: a screen that has its data
    if chosen is None:
        return Response(status_code=404)
    with service.lock:
        display = service.db.table("displays").get(chosen)
    try:  # the player's own renderer, on that screen's canvas, rotation and layout
        path = render_announcement(service, display, row, language_of(request, user))
    except UserError:
        path = None
    if path is None:
        return Response(status_code=404)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


async def _workflow(
    request: Request, service: Service, user: dict[str, Any], announcement_id: int, action: str
) -> Response:
    form = await checked_form(request)
    t = gettext_for(request)
    reason = str(form.get("reason") or "")
    # the Darurat page ends an emergency from its own list, and its people stay there
    back = "/admin/emergency" if form.get("back") == "emergency" else f"/admin/announcements/{announcement_id}"
    published = actions.Published()
    try:
        if action == "submit":
            await run_in_threadpool(actions.submit, service, announcement_id, user)
            message = t("Submitted for approval.")
        elif action == "approve":  # of the version the page showed (an edit made since is refused, not approved)
            seen = str(form["version"]) if form.get("version") else None
            _row, published = await run_in_threadpool(
                actions.approve_and_publish, service, announcement_id, user, seen
            )
            message = t("Approved. The screens get the new schedule at their next sync.")
        elif action == "reject":
            await run_in_threadpool(actions.reject, service, announcement_id, user, reason)
            message = t("Rejected. The author sees your reason.")
        elif action == "withdraw":
            with service.lock:
                was = get_announcement(service.db, announcement_id)["status"]
            _row, published = await run_in_threadpool(
                actions.withdraw_and_publish, service, announcement_id, user, reason
            )
            # only an approved one was on air; a submitted one was only waiting for approval
            message = t("Withdrawn: it is off air now.") if was == "approved" else t(
                "Withdrawn: it no longer waits for approval.")  # fmt: skip
        else:
            _row, published = await run_in_threadpool(actions.archive_and_publish, service, announcement_id, user)
            message = t("Archived.")
        if published.behind:
            if action == "withdraw":  # off air once each screen has its new schedule, not at once
                message = t("Withdrawn.")
            message = t(
                "%(message)s %(count)d screens are being updated in the background; each gets the change as soon "
                "as its new schedule is ready (a minute or two for this many)."
            ) % {"message": message, "count": published.behind}
    except UserError as exc:
        if exc.field == "status":  # e.g. approving what was withdrawn meanwhile (another tab, another person)
            with service.lock:
                now_status = display_status(get_announcement(service.db, announcement_id), service.clock())
            text = t("This cannot be done while the announcement is '%(status)s'. The page shows what is possible now.")
            flash(request, text % {"status": t(STATUS_LABELS[now_status])})
        elif exc.field == "reason":
            flash(request, error_text(exc, t)[0])
        elif exc.field == "version":
            flash(request, t("Not approved: this announcement was changed after you opened it. Read it again below, "
                             "then decide."))
        else:
            raise  # 403 / 404: the error page
        return redirect(back)
    flash(request, message)
    return redirect(back)


@router.post("/announcements/{announcement_id}/submit")
async def submit(announcement_id: AnnouncementId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    return await _workflow(request, service, user, announcement_id, "submit")


@router.post("/announcements/{announcement_id}/approve")
async def approve(announcement_id: AnnouncementId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    return await _workflow(request, service, user, announcement_id, "approve")


@router.post("/announcements/{announcement_id}/reject")
async def reject(announcement_id: AnnouncementId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    return await _workflow(request, service, user, announcement_id, "reject")


@router.post("/announcements/{announcement_id}/withdraw")
async def withdraw(announcement_id: AnnouncementId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    return await _workflow(request, service, user, announcement_id, "withdraw")


@router.post("/announcements/{announcement_id}/archive")
async def archive(announcement_id: AnnouncementId, request: Request, user: UserDep, service: ServiceDep) -> Response:
    return await _workflow(request, service, user, announcement_id, "archive")


def _upload_message(job: dict[str, Any], t: Any) -> tuple[bool, str]:
    kind = t("Image") if job["kind"] == "image" else t("Video")
    if job["state"] == "failed":
        return False, plain_refusal(job["error"] or "-", t)
    if job["state"] == "done":
        warnings = job.get("warnings") or []  # MediaJobs.job(): already a list
        text = t("%(kind)s received and prepared for every screen size.") % {"kind": kind}
        if warnings:
            text += " " + t("Note: %(warnings)s") % {"warnings": " ".join(plain_warning(str(w), t) for w in warnings)}
        return True, text
    return True, t("%(kind)s received; still being prepared (%(percent)s%%). You can save the form now.") % {
        "kind": kind,
        "percent": int(job["percent"] or 0),
    }


@router.post("/media")
async def upload(request: Request, user: UserDep, service: ServiceDep) -> Response:
    """The form's upload (XHR with a progress bar): store, process, answer with the result in words."""
    form = await checked_form(request)
    t = gettext_for(request)
    require_action(user, "create")
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return JSONResponse({"ok": False, "message": t("Choose a file first.")}, status_code=400)
    try:
        # at most UPLOAD_WAIT_S: a long conversion goes on while the answer says how far it is
        job_id, kind, sha256 = await run_in_threadpool(_store_upload, service, upload_file, UPLOAD_WAIT_S)
    except UserError as exc:
        return JSONResponse({"ok": False, "message": plain_refusal(exc.message, t)}, 400)
    job = await run_in_threadpool(service.media_jobs.job, job_id)
    ok, message = _upload_message(job, t)
    body = {"ok": ok, "sha256": sha256 if ok else "", "kind": kind, "job": job_id, "message": message}
    return JSONResponse(body, status_code=200 if ok else 400, headers={"Cache-Control": "no-store"})
