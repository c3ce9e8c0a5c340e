"""The announcement form: web fields <-> the announcement body (schedule object, UTC window).

Staff see local dates and times, weekday boxes, a from-to daypart and recurrence presets
(every day, weekdays, every Friday, monthly on day N); the store gets the engine's schedule
object (``days``, ``dayparts``, ``preset``/``rrule``, ``share``) and UTC instants. No RRULE is
ever shown. Errors name the field in the user's language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData

from playlists.model import WEEKDAYS
from scheduler.announcements import require_schedule_year
from scheduler.i18n import N_
from signage.clock import format_utc, parse_utc, zone
from signage.errors import UserError, all_errors, collect, raise_all

RECURRENCES: list[tuple[str, str]] = [
    ("every_day", N_("Every day")),
    ("weekdays", N_("Working days (Monday-Friday)")),
    ("fridays", N_("Every Friday")),
    ("days", N_("On chosen days")),
    ("monthly", N_("Monthly on date")),
]
LAYERS: list[tuple[str, str]] = [
    ("normal", N_("Normal (takes turns)")),
    ("interrupt", N_("Interlude (share of voice)")),
    ("fallback", N_("Filler (only when nothing else is scheduled)")),
    ("emergency", N_("Emergency (replaces everything)")),
]
FORM_LAYERS = tuple(key for key, _label in LAYERS)
#: Data slides the form offers (``scheduler.dataslides``): key -> label; which need data sources.
SLIDES: list[tuple[str, str]] = [
    ("population", N_("Population (men and women)")),
    ("age", N_("Population by age group")),
    ("dusun", N_("Population per hamlet (dusun)")),
    ("bars", N_("One category as bars (religion, occupation, education...)")),
    ("desa", N_("Several villages side by side")),
    ("weather", N_("BMKG weather forecast (each screen's region code)")),
    ("prayer", N_("Prayer times (each screen's location)")),
]
SLIDES_WITH_SOURCES = ("population", "age", "dusun", "bars", "desa")
WEEKDAY_LABELS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
_MONTHLY = re.compile(r"^FREQ=MONTHLY;BYMONTHDAY=(\d{1,2})$")
_TIME = re.compile(r"^([01]\d|2[0-3])[:.]([0-5]\d)$")

# Field of the core's validation -> (label, hint) in the form's words.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "title": (N_("Title"), N_("write a title of 1-200 characters")),
    "body": (N_("Text"), N_("at most 2000 characters")),
    "body.slide": (N_("Data slide"), N_("choose what the slide shows")),
    "body.source": (N_("Data sources"), N_("tick the village or source whose figures it shows")),
    "body.sources": (N_("Data sources"), N_("tick the village or source whose figures it shows")),
    "body.series": (N_("Category"), N_("choose the category the bars show")),
    "body.top_n": (N_("Bars at most"), N_("a whole number of bars from 2 to 12")),
    "kind": (N_("Media file"), N_("upload an image or a video, or leave it empty for a text slide")),
    "media_sha256": (N_("Media file"), N_("the file is missing or could not be processed; upload it again")),
    "duration_s": (N_("Duration (seconds)"), N_("a number of seconds between 1 and 3600")),
    "targets": (N_("Target screens"), N_("tick at least one screen or group")),
    "starts_at": (N_("Valid from"), N_("a date and time, e.g. 01/12/2026 07:00")),
    "ends_at": (N_("Valid until"), N_("a date and time after 'Valid from'")),
    "layer": (N_("Layer"), N_("choose normal, interlude or emergency")),
    "schedule.share": (N_("Share of voice (%)"), N_("an interlude needs a percentage above 0 and at most 100")),
    "schedule.dayparts": (N_("Hours"), N_("write 'from' and 'to' as hours like 07:00 and 10:00, or leave both empty")),
    "schedule.days": (N_("Days"), N_("tick at least one day")),
    "schedule.rrule": (N_("Repeat"), N_("choose a date of the month between 1 and 31")),
    "schedule.preset": (N_("Repeat"), N_("choose one of the options")),
    "schedule": (N_("Schedule"), N_("check days, hours and repeat")),
    "reason": (N_("Reason"), N_("write why (shown to the author)")),
}


def field_label(field: str | None) -> tuple[str, str] | None:
    if not field:
        return None
    for key in sorted(FIELD_LABELS, key=len, reverse=True):
        if field == key or field.startswith(key + ".") or field.startswith(key + "["):
            return FIELD_LABELS[key]
    return None


def form_field(exc: UserError) -> str:
    """The form field key (as ``FIELD_LABELS``) a validation error is about; its own field when unknown."""
    label = field_label(exc.field)
    if label is None:
        return exc.field or ""
    return next(k for k in sorted(FIELD_LABELS, key=len, reverse=True) if FIELD_LABELS[k] == label)


def error_text(exc: UserError, t: Callable[[str], str]) -> tuple[str, str]:
    """(message naming the field in the user's language, form field key) for a validation error."""
    label = field_label(exc.field)
    if label is None:
        return exc.message, exc.field or ""
    return f"{t(label[0])}: {t(label[1])}.", form_field(exc)


#: The form's fields from top to bottom: mistakes are listed in the order the staffer meets them.
FORM_ORDER = ("title", "body", "body.slide", "body.sources", "body.series", "body.top_n", "file", "kind",
              "media_sha256", "starts_at", "ends_at", "schedule.preset",
              "schedule.rrule", "schedule.days", "schedule.dayparts", "schedule", "layer", "schedule.share",
              "duration_s", "targets")  # fmt: skip


def errors_text(exc: UserError, t: Callable[[str], str]) -> list[tuple[str, str]]:
    """:func:`error_text` of each mistake ``exc`` reports (one, or each of a :class:`FieldErrors`), one per field,
    in the form's order (a field it does not show comes last)."""
    out: list[tuple[str, str]] = []
    for one in all_errors(exc):
        message, key = error_text(one, t)
        if (message, key) not in out:
            out.append((message, key))
    return sorted(out, key=lambda pair: FORM_ORDER.index(pair[1]) if pair[1] in FORM_ORDER else len(FORM_ORDER))


def local_to_utc(value: str, zone_name: str, field: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"{field}: not a date and time", field=field) from None
    require_schedule_year(local, field)
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone(zone_name))
    return format_utc(local)


def utc_to_local_input(value: str | None, zone_name: str) -> str:
    """An ISO UTC instant as the value of a ``datetime-local`` input in the local zone."""
    if not value:
        return ""
    try:
        local = parse_utc(value).astimezone(zone(zone_name))
    except (ValueError, OverflowError):  # stored before years were checked: shown as stored, refused on save
        return value[:16]
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:{local.minute:02d}"


def form_values(form: FormData) -> dict[str, Any]:
    """What was typed, to fill the form again after an error."""
    return {
        "title": str(form.get("title") or ""),
        "body": str(form.get("body") or ""),
        "duration_s": str(form.get("duration_s") or ""),
        "valid_from": str(form.get("valid_from") or ""),
        "valid_until": str(form.get("valid_until") or ""),
        "recurrence": str(form.get("recurrence") or "every_day"),
        "monthday": str(form.get("monthday") or ""),
        "days": [str(d) for d in form.getlist("days")],
        "from_time": str(form.get("from_time") or ""),
        "to_time": str(form.get("to_time") or ""),
        "layer": str(form.get("layer") or "normal"),
        "share_percent": str(form.get("share_percent") or ""),
        "displays": [str(v) for v in form.getlist("display")],
        "groups": [str(v) for v in form.getlist("group")],
        "media_sha256": str(form.get("media_sha256") or ""),
        "media_kind": str(form.get("media_kind") or ""),
        "keep_schedule": str(form.get("keep_schedule") or ""),
        "slide": str(form.get("slide") or ""),
        "slide_sources": [str(v) for v in form.getlist("slide_source")],
        "slide_series": str(form.get("slide_series") or ""),
        "slide_top_n": str(form.get("slide_top_n") or ""),
        "slide_place": str(form.get("slide_place") or "").strip(),
        "form_id": str(form.get("form_id") or "")[:64],  # a new form's id, so that it is saved once
    }


def values_from_row(row: dict[str, Any], zone_name: str) -> dict[str, Any]:
    """The form's values for an existing announcement."""
    schedule = row.get("schedule") or {}
    recurrence, monthday, keep = "every_day", "", ""
    if schedule.get("preset") in ("every_day", "weekdays", "fridays"):
        recurrence = schedule["preset"]
    elif schedule.get("rrule") and _MONTHLY.match(schedule["rrule"]):
        recurrence, monthday = "monthly", _MONTHLY.match(schedule["rrule"]).group(1)  # type: ignore[union-attr]
    elif schedule.get("days"):
        recurrence = "days"
    if schedule.get("preset") not in (None, "every_day", "weekdays", "fridays") or (
        schedule.get("rrule") and not _MONTHLY.match(schedule["rrule"])
    ):
        keep = "1"  # a rule set by import: kept as it is unless staff choose another repeat
    dayparts = schedule.get("dayparts") or []
    share = schedule.get("share") or {}
    slide = slide_values(row)
    return {
        **slide,
        "title": row["title"],
        "body": "" if slide["slide"] else row["body"] or "",
        "duration_s": f"{row['duration_s']:g}" if row.get("duration_s") else "10",
        "valid_from": utc_to_local_input(row.get("starts_at"), zone_name),
        "valid_until": utc_to_local_input(row.get("ends_at"), zone_name),
        "recurrence": recurrence,
        "monthday": monthday,
        "days": list(schedule.get("days") or []),
        "from_time": dayparts[0]["start"] if dayparts else "",
        "to_time": dayparts[0]["end"] if dayparts else "",
        "layer": row["layer"] if row["layer"] in FORM_LAYERS else "normal",
        "share_percent": f"{share['percent']:g}" if "percent" in share else "",
        "displays": list(row["targets"].get("displays") or []),
        "groups": list(row["targets"].get("groups") or []),
        "media_sha256": row.get("media_sha256") or "",
        "media_kind": row["kind"] if row["kind"] in ("image", "video") else "",
        "keep_schedule": keep,
        "_schedule": schedule,
    }


def slide_values(row: dict[str, Any]) -> dict[str, Any]:
    """The data-slide fields of the form for a stored announcement (empty unless it is a data slide)."""
    empty: dict[str, Any] = {"slide": "", "slide_sources": [], "slide_series": "", "slide_top_n": "", "slide_place": ""}
    if row.get("kind") != "stat":
        return empty
    try:
        spec = json.loads(row.get("body") or "{}")
    except ValueError:
        return empty
    if not isinstance(spec, dict):
        return empty
    listed = spec.get("sources")
    sources: list[Any] = listed if isinstance(listed, list) else [spec["source"]] if spec.get("source") else []
    return {
        "slide": str(spec.get("slide") or ""),
        "slide_sources": [str(x) for x in sources],
        "slide_series": str(spec.get("series") or ""),
        "slide_top_n": str(spec["top_n"]) if isinstance(spec.get("top_n"), int) and spec.get("slide") == "bars" else "",
        "slide_place": str(spec.get("place") or ""),
    }


def slide_template(values: dict[str, Any]) -> str:
    """The data-slide template (``scheduler.dataslides.validate_template`` checks it) for the form's slide fields."""
    slide = values["slide"]
    spec: dict[str, Any] = {"slide": slide}
    if slide in SLIDES_WITH_SOURCES:
        sources = list(dict.fromkeys(values["slide_sources"]))
        if len(sources) == 1 and slide != "desa":
            spec["source"] = sources[0]
        else:
            spec["sources"] = sources
    if slide == "bars":
        spec["series"] = values["slide_series"]
        if values["slide_top_n"]:
            try:
                spec["top_n"] = int(values["slide_top_n"])
            except ValueError:
                spec["top_n"] = values["slide_top_n"]  # refused by the check, on its field
    if values["slide_place"]:
        spec["place"] = values["slide_place"][:60]
    return json.dumps(spec, ensure_ascii=False)


def _clock(value: str, field: str) -> str:
    match = _TIME.match(value.strip())
    if not match:
        raise UserError(f"{field}: write a time like 07:00", field=field)
    return f"{match.group(1)}:{match.group(2)}"


def schedule_from_values(values: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The engine's schedule object for the form's days, hours, repeat and share of voice (UserError names the
    field; a :class:`FieldErrors` when repeat, hours and share are wrong at once)."""
    schedule: dict[str, Any] = {}
    problems: list[UserError] = []
    recurrence = values["recurrence"]
    if values.get("keep_schedule") and previous and recurrence == "keep":
        schedule = {k: v for k, v in previous.items() if k in ("preset", "rrule", "exdates", "days")}
    elif recurrence in ("every_day", "weekdays", "fridays"):
        if recurrence != "every_day":
            schedule["preset"] = recurrence
    elif recurrence == "days":
        days = [d for d in values["days"] if d in WEEKDAYS]
        if days:
            schedule["days"] = days
        else:
            problems.append(UserError("schedule.days: tick at least one day", field="schedule.days"))
    elif recurrence == "monthly":
        try:
            monthday = int(values["monthday"])
        except ValueError:
            monthday = 0
        if 1 <= monthday <= 31:
            schedule["rrule"] = f"FREQ=MONTHLY;BYMONTHDAY={monthday}"
        else:
            problems.append(UserError("schedule.rrule: day of month 1-31", field="schedule.rrule"))
    else:
        problems.append(UserError("schedule.preset: unknown repeat", field="schedule.preset"))
    start, end = values["from_time"].strip(), values["to_time"].strip()
    if start or end:
        try:
            if not (start and end):
                raise UserError("schedule.dayparts: give both from and to", field="schedule.dayparts")
            schedule["dayparts"] = [
                {"start": _clock(start, "schedule.dayparts"), "end": _clock(end, "schedule.dayparts")}
            ]
        except UserError as exc:
            problems.append(exc)
    if values["layer"] == "interrupt":
        try:
            percent = float(values["share_percent"].replace(",", "."))
        except ValueError:
            percent = 0.0
        if 0 < percent <= 100:
            schedule["share"] = {"percent": percent}
        else:
            problems.append(UserError("schedule.share: a percentage above 0 and at most 100", field="schedule.share"))
    for key in ("weight", "max_per_hour", "zone"):
        if previous and key in previous and values["layer"] != "emergency":
            schedule[key] = previous[key]  # set by import or the API; the form does not show them
    raise_all(problems)
    return schedule


def body_from_values(values: dict[str, Any], zone_name: str, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The announcement body (as the API takes it) for the form's values; UserError names the field (a
    :class:`FieldErrors` when more than one cannot be read)."""
    body, problems = body_and_problems(values, zone_name, previous)
    raise_all(problems)
    return body


def body_and_problems(
    values: dict[str, Any], zone_name: str, previous: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[UserError]]:
    """The body for the form's values and each field that could not be read (that field then holds a neutral
    value, so that the rest of the body can still be checked and every mistake shown at once)."""
    problems: list[UserError] = []

    def duration() -> float:
        try:
            return float((values["duration_s"] or "10").replace(",", "."))
        except ValueError:
            raise UserError("duration_s: not a number", field="duration_s") from None

    slide = values.get("slide") or ""
    if slide:  # a data slide: its template is the body; an attached file is not used
        kind, text = "stat", slide_template(values)
    else:
        kind = values["media_kind"] if values["media_sha256"] and values["media_kind"] in ("image", "video") else "text"
        text = values["body"]
    body: dict[str, Any] = {
        "title": values["title"],
        "body": text,
        "kind": kind,
        "layer": values["layer"] if values["layer"] in FORM_LAYERS else "normal",
        "duration_s": collect(problems, duration, 10.0),
        "targets": {"displays": values["displays"], "groups": values["groups"]},
        "starts_at": collect(problems, lambda: local_to_utc(values["valid_from"], zone_name, "starts_at"), None),
        "ends_at": collect(problems, lambda: local_to_utc(values["valid_until"], zone_name, "ends_at"), None),
        "schedule": collect(problems, lambda: schedule_from_values(values, previous), None),
    }
    if body["schedule"] is None:  # unreadable: checked as if it were every day (its share, if any, is flagged)
        body["schedule"] = {"share": {"percent": 5}} if body["layer"] == "interrupt" else {}
    if kind in ("image", "video"):
        body["media_sha256"] = values["media_sha256"]
    return body, problems


def merge_problems(first: list[UserError], more: list[UserError]) -> list[UserError]:
    """``first`` (the form's unreadable fields), then each of ``more`` (the body's check) about another field."""
    marked = {form_field(e) for e in first}
    out = list(first)
    for exc in more:
        key = form_field(exc)
        if key not in marked:
            marked.add(key)
            out.append(exc)
    return out


def describe_schedule(schedule: dict[str, Any], t: Callable[[str], str]) -> str:
    """The schedule in words (for lists and the detail page), never as RRULE."""
    parts: list[str] = []
    preset = schedule.get("preset")
    rrule = schedule.get("rrule") or ""
    monthly = _MONTHLY.match(rrule)
    if preset == "weekdays":
        parts.append(t("Working days (Monday-Friday)"))
    elif preset == "fridays":
        parts.append(t("Every Friday"))
    elif preset:
        parts.append(t("Repeat set by import"))
    elif monthly:
        parts.append(t("Monthly on date %(day)s") % {"day": monthly.group(1)})
        if int(monthly.group(1)) > 28:  # RFC 5545: a month without that date has no occurrence
            parts[-1] += " " + t("(not in months without that date)")
    elif rrule:
        parts.append(t("Repeat set by import"))
    if schedule.get("days"):
        labels = dict(zip(WEEKDAYS, WEEKDAY_LABELS, strict=True))
        parts.append(", ".join(t(labels[d]) for d in schedule["days"] if d in labels))
    if not parts:
        parts.append(t("Every day"))
    for part in schedule.get("dayparts") or []:
        hours = f"{part['start'].replace(':', '.')}-{part['end'].replace(':', '.')}"
        if part["end"] <= part["start"]:  # "22:00"-"02:00" runs past midnight (HH:MM texts compare as times)
            hours += " " + t("(until the next day)")
        parts.append(hours)
    if schedule.get("share", {}).get("percent") is not None:
        parts.append(t("%(percent)s%% of air time") % {"percent": f"{schedule['share']['percent']:g}"})
    return " · ".join(parts)
