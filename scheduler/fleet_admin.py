"""Groups and displays: create, edit, remove, with validation naming the field (Indonesian and English).

Used by the CLI (``signage groups|displays``), the admin API and the web admin's Layar
pages. Every change that alters what a screen shows republishes the affected manifests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.schedule import display_model
from scheduler.service import Service
from scheduler.store import dumps, loads
from signage.errors import FieldErrors, NotFoundError, UserError, collect, raise_all

GROUP_KINDS = ("kabupaten", "kecamatan", "desa", "tag")
ROTATIONS = (0, 90, 180, 270)
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_CANVAS_PX = 7680
DAY_NAMES = {
    "mon": "mon", "tue": "tue", "wed": "wed", "thu": "thu", "fri": "fri", "sat": "sat", "sun": "sun",
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri", "saturday": "sat",
    "sunday": "sun", "sen": "mon", "sel": "tue", "rab": "wed", "kam": "thu", "jum": "fri", "sab": "sat", "min": "sun",
    "senin": "mon", "selasa": "tue", "rabu": "wed", "kamis": "thu", "jumat": "fri", "sabtu": "sat", "minggu": "sun",
}  # fmt: skip
HOURS_RE = re.compile(r"(?:(?P<days>[a-z,\- ]+?)\s+)?(?P<start>\d{1,2}[:.]\d{2})\s*-\s*(?P<end>\d{1,2}[:.]\d{2})")
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DISPLAY_FIELDS = (
    "name", "location", "latitude", "longitude", "width", "height", "rotation", "timezone", "operating_hours",
    "groups", "capture_x", "capture_y", "capture_w", "capture_h", "region_code",
)  # fmt: skip


class FieldError(UserError):
    """A bad value: ``message`` in English (API, CLI); ``message_id`` in Bahasa Indonesia (web)."""

    def __init__(self, field: str, english: str, indonesian: str) -> None:
        super().__init__(english if english.startswith(field) else f"{field}: {english}", field=field)
        self.message_id = f"{FIELD_LABELS_ID.get(field, field)}: {indonesian}"

    def localized(self, language: str) -> str:
        return self.message_id if language == "id" else self.message


FIELD_LABELS_ID = {
    "id": "ID",
    "name": "Nama",
    "kind": "Jenis",
    "location": "Lokasi",
    "latitude": "Lintang",
    "longitude": "Bujur",
    "region_code": "Kode wilayah",
    "width": "Lebar kanvas",
    "height": "Tinggi kanvas",
    "rotation": "Rotasi",
    "timezone": "Zona waktu",
    "operating_hours": "Jam operasional",
    "groups": "Grup",
    "capture_x": "Area tangkap X",
    "capture_y": "Area tangkap Y",
    "capture_w": "Area tangkap lebar",
    "capture_h": "Area tangkap tinggi",
    "display": "Layar",
    "group": "Grup",
}


def localized(error: UserError, language: str) -> str:
    """The message of any user error in ``language`` (only field errors carry Indonesian); several found at once
    are said one after another."""
    if isinstance(error, FieldErrors):
        return " ".join(localized(one, language) for one in error.errors)
    return error.localized(language) if isinstance(error, FieldError) else error.message


@dataclass(frozen=True)
class Removal:
    republished: list[str]  # the member displays (republished in the request, or behind it)
    behind: int = 0  # displays a background publish is still working on (more than publish_inline_max_displays)


# -- parsing helpers (shared with CLI and web forms) -------------------------------------------


def _check_id(value: Any) -> str:
    text = str(value or "").strip()
    if not ID_RE.match(text):
        raise FieldError(
            "id",
            "use 1-64 lowercase letters, digits or '-', starting with a letter or digit (e.g. kec-sungai-pinyuh)",
            "pakai 1-64 huruf kecil, angka atau '-', diawali huruf/angka (mis. kec-sungai-pinyuh)",
        )
    return text


def _text(value: Any, field: str, max_len: int, *, required: bool) -> str:
    text = str(value if value is not None else "").strip()
    if required and not text:
        raise FieldError(field, "required", "wajib diisi")
    if len(text) > max_len:
        raise FieldError(field, f"at most {max_len} characters", f"paling banyak {max_len} karakter")
    return text


def _int(value: Any, field: str, lo: int, hi: int, *, optional: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise FieldError(field, "required", "wajib diisi")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) or isinstance(value, bool) else value
    except ValueError:
        raise FieldError(
            field, f"write a whole number from {lo} to {hi}", f"tulis bilangan bulat {lo} sampai {hi}"
        ) from None
    if isinstance(number, bool) or not lo <= number <= hi:
        raise FieldError(field, f"must be from {lo} to {hi}", f"harus antara {lo} dan {hi}")
    return number


def _coordinate(value: Any, field: str, limit: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise FieldError(
            field, f"write decimal degrees, e.g. {0.36 if limit == 90 else 108.96}",
            f"tulis derajat desimal, mis. {0.36 if limit == 90 else 108.96}",
        ) from None  # fmt: skip
    if not -limit <= number <= limit:
        raise FieldError(field, f"must be from -{limit:g} to {limit:g}", f"harus antara -{limit:g} dan {limit:g}")
    return number


def _timezone(value: Any) -> str:
    name = str(value or "").strip()
    try:
        if not name or "/" not in name:
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError(
            "timezone",
            f"{name!r} is not an IANA time zone; use e.g. Asia/Pontianak (WIB), Asia/Makassar (WITA)",
            f"{name!r} bukan zona waktu IANA; pakai mis. Asia/Pontianak (WIB), Asia/Makassar (WITA)",
        ) from None
    return name


def parse_hours(text: str) -> list[dict[str, Any]]:
    """``"06:00-22:00"`` or ``"sen-jum 06:00-22:00; sab 07:00-12:00"`` -> operating-hours windows.

    Empty text means always on. Day names in English (mon..sun) or Indonesian (sen..min).
    """
    windows: list[dict[str, Any]] = []
    for part in (p.strip() for p in re.split(r"[;\n]", text or "")):
        if not part:
            continue
        match = HOURS_RE.fullmatch(part.lower())
        if match is None:
            raise FieldError(
                "operating_hours",
                f"{part!r}: write e.g. '06:00-22:00' or 'mon-fri 06:00-22:00; sat 07:00-12:00'",
                f"{part!r}: tulis mis. '06:00-22:00' atau 'sen-jum 06:00-22:00; sab 07:00-12:00'",
            )
        window: dict[str, Any] = {
            "start": match["start"].replace(".", ":").zfill(5),
            "end": match["end"].replace(".", ":").zfill(5),
        }
        for moment in (window["start"], window["end"]):
            hour, minute = (int(x) for x in moment.split(":"))
            if hour > 24 or minute > 59 or (hour == 24 and minute):
                raise FieldError(
                    "operating_hours",
                    f"{part!r}: {moment} is not a time of day (00:00 to 24:00)",
                    f"{part!r}: {moment} bukan jam yang ada (00:00 sampai 24:00)",
                )
        if match["days"]:
            window["days"] = _days(match["days"])
        windows.append(window)
    return windows


def _days(text: str) -> list[str]:
    out: list[str] = []
    for chunk in (c.strip() for c in text.split(",")):
        first, _, last = chunk.partition("-")
        names = [DAY_NAMES.get(first.strip()), DAY_NAMES.get(last.strip()) if last else None]
        if names[0] is None or (last and names[1] is None):
            raise FieldError(
                "operating_hours",
                f"unknown day {chunk!r}; use mon..sun or sen..min",
                f"hari {chunk!r} tidak dikenal; pakai sen, sel, rab, kam, jum, sab, min",
            )
        start = WEEK.index(names[0])
        end = WEEK.index(names[1]) if names[1] else start
        out += [WEEK[i % 7] for i in range(start, (end if end >= start else end + 7) + 1)]
    return sorted(set(out), key=WEEK.index)


#: Day names as a form shows them back, per language (parse_hours reads both).
WEEK_WORDS = {"en": WEEK, "id": ("sen", "sel", "rab", "kam", "jum", "sab", "min")}


def format_hours(windows: list[dict[str, Any]], language: str = "en") -> str:
    """The inverse of :func:`parse_hours` for forms, with the day names of ``language`` ("sen-jum 06:00-22:00")."""
    parts = []
    names = WEEK_WORDS.get(language, WEEK)
    for w in windows:
        days = _day_ranges([WEEK.index(d) for d in w.get("days", [])], names)
        parts.append(f"{days} {w['start']}-{w['end']}".strip())
    return "; ".join(parts)


def _day_ranges(indexes: list[int], names: tuple[str, ...] = WEEK) -> str:
    """[0, 1, 2, 3, 4, 6] -> 'mon-fri,sun'."""
    runs: list[list[int]] = []
    for i in sorted(indexes):
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ",".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}-{names[r[-1]]}" for r in runs)


# -- groups -------------------------------------------------------------------------------------


def list_groups(service: Service) -> list[dict[str, Any]]:
    with service.lock:
        groups = list(service.db.table("groups").rows_where(order_by="kind, name"))
        displays = list(service.db.table("displays").rows_where(select="id, groups"))
    for group in groups:
        group["displays"] = sorted(d["id"] for d in displays if group["id"] in loads(d["groups"], []))
    return groups


def get_group(service: Service, group_id: str) -> dict[str, Any]:
    with service.lock:
        rows = list(service.db.table("groups").rows_where("id = ?", [group_id]))
    if not rows:
        raise NotFoundError(f"group: unknown group {group_id!r}", field="group")
    return rows[0]


def _group_values(data: dict[str, Any]) -> dict[str, Any]:
    kind = str(data.get("kind") or "").strip()
    if kind not in GROUP_KINDS:
        raise FieldError(
            "kind", f"choose one of {', '.join(GROUP_KINDS)}", f"pilih salah satu: {', '.join(GROUP_KINDS)}"
        )
    return {"name": _text(data.get("name"), "name", 120, required=True), "kind": kind}


def create_group(service: Service, data: dict[str, Any]) -> dict[str, Any]:
    row = {"id": _check_id(data.get("id")), **_group_values(data)}
    with service.lock:
        if service.db.table("groups").count_where("id = ?", [row["id"]]):
            raise FieldError("id", f"group {row['id']!r} already exists", f"grup {row['id']!r} sudah ada")
        service.db.table("groups").insert(row)
    return row


def edit_group(service: Service, group_id: str, data: dict[str, Any]) -> dict[str, Any]:
    current = get_group(service, group_id)
    merged = {**current, **{k: v for k, v in data.items() if k in ("name", "kind") and v is not None}}
    values = _group_values(merged)
    with service.lock:
        service.db.table("groups").update(group_id, values)
    return {"id": group_id, **values}


def remove_group(service: Service, group_id: str) -> Removal:
    """Remove a group no live announcement targets; its displays leave it (and are republished)."""
    get_group(service, group_id)
    with service.lock:
        users = [
            a["title"]
            for a in service.db.table("announcements").rows_where("status != 'archived'")
            if group_id in loads(a["targets"], {}).get("groups", [])
        ]
        if users:
            raise FieldError(
                "group",
                f"{len(users)} announcement(s) still target it ({', '.join(users[:3])}); change or archive them first",
                f"masih dipakai {len(users)} pengumuman ({', '.join(users[:3])}); ubah atau arsipkan dulu",
            )
        members = []
        with service.db.atomic():
            for d in list(service.db.table("displays").rows_where(select="id, groups")):
                groups = loads(d["groups"], [])
                if group_id in groups:
                    members.append(d["id"])
                    service.db.table("displays").update(
                        d["id"], {"groups": dumps([g for g in groups if g != group_id])}
                    )
            service.db.table("groups").delete(group_id)
    from scheduler.actions import publish_or_defer  # actions imports the announcement use cases

    return Removal(members, behind=publish_or_defer(service, members).behind)


# -- displays -----------------------------------------------------------------------------------


def get_display(service: Service, display_id: str) -> dict[str, Any]:
    with service.lock:
        rows = list(service.db.table("displays").rows_where("id = ?", [display_id]))
    if not rows:
        raise NotFoundError(f"display: unknown display {display_id!r}", field="display")
    return decode_display(rows[0])


def decode_display(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key, default in (("groups", []), ("tags", []), ("operating_hours", []), ("zones", ["main"]), ("fallback", [])):
        out[key] = loads(row.get(key), default)
    return out


def list_displays(service: Service) -> list[dict[str, Any]]:
    with service.lock:
        rows = list(service.db.table("displays").rows_where(order_by="name"))
    return [decode_display(r) for r in rows]


def has_player(service: Service, display_id: str) -> bool:
    with service.lock:
        return bool(
            service.db.table("display_tokens").count_where("display_id = ? and revoked_at is null", [display_id])
        )


def _region_code(value: Any) -> str | None:
    """The village's Kemendagri code (adm4) for its BMKG forecast, or None."""
    from content.sources.bmkg import ADM4_RE

    text = str(value or "").strip()
    if not text:
        return None
    if not ADM4_RE.match(text):
        raise FieldError("region_code", "the village's Kemendagri code (adm4), e.g. 61.04.01.2001, or empty",
                         "kode desa Kemendagri (adm4), mis. 61.04.01.2001, atau kosongkan")  # fmt: skip
    return text


def _display_values(
    service: Service, data: dict[str, Any], problems: list[UserError] | None = None
) -> dict[str, Any]:
    """Validated column values from ``data`` (every field of DISPLAY_FIELDS present or defaulted). Every field is
    checked: the mistakes go to ``problems`` when given, else are raised together (:class:`FieldErrors`)."""
    found: list[UserError] = [] if problems is None else problems
    before = len(found)
    width = collect(found, lambda: _int(data.get("width"), "width", 16, MAX_CANVAS_PX))
    height = collect(found, lambda: _int(data.get("height"), "height", 16, MAX_CANVAS_PX))

    def rotation_value() -> int:
        rotation = _int(data.get("rotation") if data.get("rotation") not in (None, "") else 0, "rotation", 0, 270)
        if rotation not in ROTATIONS:
            raise FieldError("rotation", "must be 0, 90, 180 or 270", "harus 0, 90, 180 atau 270")
        return int(rotation or 0)

    rotation = collect(found, rotation_value, 0)
    hours = data.get("operating_hours") or []
    if isinstance(hours, str):
        hours = collect(found, lambda: parse_hours(str(data.get("operating_hours"))), [])
    groups = data.get("groups") or []
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",") if g.strip()]
    with service.lock:
        known = {g["id"] for g in service.db.table("groups").rows}
    unknown = [g for g in groups if g not in known]
    if unknown:
        found.append(FieldError(
            "groups",
            f"unknown group(s) {', '.join(unknown)}; create them first",
            f"grup {', '.join(unknown)} belum ada; buat dulu",
        ))  # fmt: skip
    def capture_value(key: str) -> int | None:
        return _int(data.get(key), key, 0 if key in ("capture_x", "capture_y") else 1, 16384, optional=True)

    capture_keys = ("capture_x", "capture_y", "capture_w", "capture_h")
    capture = {k: collect(found, partial(capture_value, k)) for k in capture_keys}
    given = [k for k, v in capture.items() if v is not None]
    if given and len(given) != 4:
        missing = next(k for k, v in capture.items() if v is None)
        found.append(FieldError(
            missing,
            "give all four of x, y, width, height (or none)",
            "isi keempatnya: x, y, lebar, tinggi (atau kosongkan semua)",
        ))  # fmt: skip
    values = {
        "name": collect(found, lambda: _text(data.get("name"), "name", 120, required=True), ""),
        "location": collect(found, lambda: _text(data.get("location"), "location", 200, required=False), ""),
        "latitude": collect(found, lambda: _coordinate(data.get("latitude"), "latitude", 90)),
        "longitude": collect(found, lambda: _coordinate(data.get("longitude"), "longitude", 180)),
        "region_code": collect(found, lambda: _region_code(data.get("region_code"))),
        "width": width,
        "height": height,
        "rotation": rotation,
        "timezone": collect(found, lambda: _timezone(data.get("timezone") or service.config.timezone)),
        "operating_hours": dumps(hours),
        "groups": dumps(list(dict.fromkeys(groups))),
        **capture,
    }
    if (values["latitude"] is None) != (values["longitude"] is None) and not any(
        e.field in ("latitude", "longitude") for e in found[before:]
    ):
        missing = "longitude" if values["longitude"] is None else "latitude"
        found.append(FieldError(missing, "give both latitude and longitude (or neither)",
                                "isi Lintang dan Bujur keduanya (atau kosongkan keduanya)"))  # fmt: skip
    if len(found) == before:  # the engine's own check (operating-hours times, canvas): the compiler's rules
        try:
            display_model({"id": "x", "tags": None, "zones": None, "fallback": None, **values})
        except UserError as exc:
            field = "operating_hours" if "operating_hours" in (exc.field or exc.message) else (exc.field or "display")
            found.append(FieldError(field, exc.message, f"nilai tidak valid ({exc.message})"))
    if problems is None:
        raise_all(found)
    return values


def create_display(service: Service, data: dict[str, Any]) -> dict[str, Any]:
    problems: list[UserError] = []
    display_id = collect(problems, lambda: _check_id(data.get("id")), "")
    values = _display_values(service, data, problems)
    raise_all(problems)
    with service.lock:
        if service.db.table("displays").count_where("id = ?", [display_id]):
            raise FieldError("id", f"display {display_id!r} already exists", f"layar {display_id!r} sudah ada")
        service.db.table("displays").insert(
            {"id": display_id, **values, "tags": "[]", "created_at": service.now_iso()}, alter=False
        )
    service.publisher.publish([display_id])
    return get_display(service, display_id)


def edit_display(service: Service, display_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Change the fields given in ``data`` (others keep their value) and republish the display."""
    current = get_display(service, display_id)
    merged = {k: current.get(k) for k in DISPLAY_FIELDS}
    merged.update({k: v for k, v in data.items() if k in DISPLAY_FIELDS})
    values = _display_values(service, merged)
    with service.lock:
        service.db.table("displays").update(display_id, values)
    service.publisher.publish([display_id])
    return get_display(service, display_id)


def remove_display(service: Service, display_id: str) -> None:
    """Remove a display that has no enrolled player (revoke it first); its manifest history stays."""
    get_display(service, display_id)
    if has_player(service, display_id):
        raise FieldError(
            "display",
            f"{display_id!r} still has an enrolled player; revoke it first (signage displays revoke {display_id})",
            f"{display_id!r} masih punya pemutar terdaftar; cabut dulu pemutarnya",
        )
    with service.lock, service.db.atomic():
        service.db.table("displays").delete(display_id)
        for table in ("display_status", "screenshots"):
            service.db.execute(f"delete from {table} where display_id = ?", [display_id])
