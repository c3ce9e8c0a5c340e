"""``signage timeline`` and ``signage playlists export|import``: the schedule from the store."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from playlists.budget import CompileRefused
from playlists.codec import display_to_dict, playlist_to_dict, rule_to_dict
from playlists.compiler import CompiledTimeline
from playlists.explain import explain_item, never_warning
from playlists.model import ItemSpec
from playlists.warnings import ScheduleWarning
from playlists.yamlio import Document, dump_document, load_document
from scheduler.announcements import displays_reached
from scheduler.cli import config_option, data_dir_option, service_for
from scheduler.schedule import display_model, horizon_start, item_model, load_playlists, load_rules
from scheduler.store import dumps, loads
from signage.clock import format_utc, parse_utc, zone
from signage.errors import NotFoundError, UserError
from signage.timefmt import zone_abbreviation

_UTC_IN_TEXT = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2})(:\d{2})? UTC")


def parse_instant(value: str, option: str, tz_name: str) -> datetime:
    """An ISO instant with offset, or a local wall time (``2026-12-04 11:50``) in ``tz_name``."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a time: write 2026-12-04 11:50 (the display's local time) or 2026-12-04T04:50:00Z",
            param_hint=option,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz_name), fold=0)
    return moment.astimezone(UTC)


def localize_text(text: str, tz_name: str) -> str:
    """``2026-12-04 15:00 UTC`` inside a message -> ``2026-12-04 22:00 WIB`` in the display's zone."""

    def local(match: re.Match[str]) -> str:
        moment = datetime.fromisoformat(match.group(1) + (match.group(2) or "")).replace(tzinfo=UTC)
        shown = moment.astimezone(zone(tz_name))
        fmt = "%Y-%m-%d %H:%M:%S" if match.group(2) else "%Y-%m-%d %H:%M"
        return f"{shown:{fmt}} {zone_abbreviation(tz_name, moment)}"

    return _UTC_IN_TEXT.sub(local, text)


@click.command()
@click.option("--display", "display_id", default=None, help="Display id whose timeline to print.")
@click.option(
    "--from",
    "from_",
    default=None,
    help="Start: the display's local time (2026-12-04 11:50) or an ISO instant with offset (default: now).",
)
@click.option("--to", "to", default=None, help="End, written like --from (default: 1 hour after --from).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON entries instead of a table.")
@click.option("--explain", "explain", default=None, metavar="ITEM", help="Say where and when ITEM (e.g. ann-3) plays.")
@config_option
@data_dir_option
def timeline(
    display_id: str | None,
    from_: str | None,
    to: str | None,
    as_json: bool,
    explain: str | None,
    config_path: str | None,
    data_dir: str | None,
) -> None:
    """Print the compiled timeline of a display, or explain where an item plays and why not elsewhere."""
    service = service_for(config_path, data_dir)
    try:
        if explain:
            _print_explanation(explain_announcement(service, explain), as_json)
            return
        if not display_id:
            raise click.UsageError("give --display ID (or --explain ITEM)")
        with service.lock:
            row = service.db.table("displays").get(display_id) if _exists(service, display_id) else None
        if row is None:
            raise NotFoundError(f"--display: unknown display {display_id!r}", field="display")
        tz_name = row["timezone"]
        start = parse_instant(from_, "--from", tz_name) if from_ else service.clock()
        end = parse_instant(to, "--to", tz_name) if to else start + timedelta(hours=1)
        if end <= start:
            raise click.BadParameter("must be after --from", param_hint="--to")
        compiled, items = service.publisher.compile(display_id)
        _print_timeline(service, display_id, tz_name, compiled, items, start, end, as_json)
    finally:
        service.close()


def _exists(service: Any, display_id: str) -> bool:
    return bool(service.db.table("displays").count_where("id = ?", [display_id]))


def _print_timeline(
    service: Any,
    display_id: str,
    tz_name: str,
    compiled: CompiledTimeline,
    items: dict[str, Any],
    start: datetime,
    end: datetime,
    as_json: bool,
) -> None:
    rows = [
        {"start": format_utc(e.start), "end": format_utc(e.end), "zone": e.zone, "layer": e.layer,
         "item": e.item_id, "title": (items.get(e.item_id or "") or {}).get("title", ""), "why": e.why}
        for e in compiled.entries
        if e.end > start and e.start < end
    ]  # fmt: skip
    warnings = service.publisher.warnings.get(display_id, [])
    horizon_end = compiled.horizon_end
    past = end > horizon_end
    if as_json:
        click.echo(json.dumps({"display": display_id, "entries": rows, "warnings": warnings,
                               "horizon_end": format_utc(horizon_end), "past_horizon": past},
                              indent=2, ensure_ascii=False))  # fmt: skip
        return
    local = zone(tz_name)
    abbreviation = zone_abbreviation(tz_name, start)
    click.echo(f"{'start':<19} {'end':<19} {'zone':<7} {'layer':<9} {'item':<10} title / why  ({abbreviation})")
    for r in rows:
        s, e = parse_utc(r["start"]).astimezone(local), parse_utc(r["end"]).astimezone(local)
        end_text = f"{e:%H:%M:%S}" if e.date() == s.date() else f"{e:%Y-%m-%d %H:%M:%S}"  # overnight: its date
        label = r["title"] or ("(layar mati)" if r["layer"] == "off" else "")
        click.echo(
            f"{s:%Y-%m-%d %H:%M:%S} {end_text:<19} {r['zone']:<7} {r['layer']:<9} {r['item'] or '-':<10} "
            f"{label} — {r['why']}"
        )
    if past:
        click.echo(
            f"note: the compiled horizon ends {horizon_end.astimezone(local):%Y-%m-%d %H:%M} {abbreviation}; "
            "nothing is scheduled after it yet (it rolls forward every day)."
        )
    for warning in warnings:
        click.echo(f"warning [{warning['code']}]: {localize_text(warning['message'], tz_name)}")


# -- explain --------------------------------------------------------------------------------------


def explain_announcement(service: Any, item: str) -> dict[str, Any]:
    """Where announcement ``item`` (``ann-<id>``) plays in the horizon, and for each display where it
    does not, the true reason (a ``playlists.warnings.REASONS`` code)."""
    with service.lock:
        display_rows = list(service.db.table("displays").rows_where(order_by="id"))
        rules = load_rules(service.db)
        playlists = {p.id: p for p in load_playlists(service.db)}
        announcements = {f"ann-{a['id']}": a for a in service.db.table("announcements").rows}
    if item not in announcements:
        raise UserError(f"ITEM: unknown item {item!r} (items are ann-<id>, see the admin)", field="item")
    ann = announcements[item]
    out: dict[str, Any] = {"item": item, "title": ann["title"], "plays": {}, "seconds": {}, "warnings": []}
    if ann["status"] != "approved":
        out["warnings"] = [never_warning(item, "not_approved").to_dict()]
        return out
    with service.lock:
        reached = displays_reached(service.db, loads(ann["targets"], {}))
    if not reached:
        warning = never_warning(item, "no_display")
        groups = loads(ann["targets"], {}).get("groups") or []
        message = f"Item {item} never plays: its targets reach no display" + (
            f" (group(s) {', '.join(groups)} have no displays)." if groups else "."
        )
        out["warnings"] = [ScheduleWarning(warning.code, message, item_id=item, detail=warning.detail).to_dict()]
        return out
    compiled: dict[str, CompiledTimeline] = {}
    specs: dict[str, ItemSpec] = {}
    unavailable: dict[str, str] = {}
    for row in display_rows:
        try:
            timeline_, display_items = service.publisher.compile(row["id"])
        except CompileRefused:
            unavailable[row["id"]] = "display_not_compiled"
            continue
        compiled[row["id"]] = timeline_
        for key, spec in display_items.items():
            specs.setdefault(key, item_model(key, spec))
        if item not in display_items:
            unavailable[row["id"]] = "media_not_ready" if row["id"] in reached else "not_in_targets"
    if item not in specs:  # on no display at all: describe it from the store
        specs[item] = item_model(item, {"type": "image", "duration_s": ann["duration_s"] or 10})
    start = horizon_start(service.clock(), service.config.timezone)
    result = explain_item(
        item, rules, [display_model(r) for r in display_rows], specs, start,
        service.config.horizon_days * 86400, playlists=playlists, compiled=compiled, unavailable=unavailable,
    )  # fmt: skip
    out.update(
        plays=result.plays,
        seconds=result.seconds,
        warnings=[w.to_dict() for w in result.warnings],
        horizon_days=service.config.horizon_days,
    )
    return out


def _print_explanation(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    item, title = result["item"], result["title"]
    if not result["plays"]:
        reasons = "; ".join(w["message"] for w in result["warnings"]) or "no rule reaches a display"
        click.echo(f"{item} ({title}) plays nowhere: {reasons}")
        return
    click.echo(f"{item} ({title}) in the next {result['horizon_days']} days:")
    for display_id in sorted(result["plays"]):
        click.echo(
            f"  {display_id:<24} {result['plays'][display_id]:>6} plays, {result['seconds'][display_id]:>8} s on screen"
        )
    for warning in result["warnings"]:
        click.echo(f"  not on {warning.get('display_id') or 'any display'}: {warning['message']}")


# -- export / import ------------------------------------------------------------------------------


@click.group()
def playlists() -> None:
    """Export and import schedule rules, playlists and display schedules as YAML."""


@playlists.command("export")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File (default: stdout)."
)
@config_option
@data_dir_option
def export(output: Path | None, config_path: str | None, data_dir: str | None) -> None:
    """Write every rule, playlist, display schedule and item as YAML (import gives the same back)."""
    service = service_for(config_path, data_dir)
    try:
        text = dump_document(_document(service), all_sections=True)
    finally:
        service.close()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def _document(service: Any) -> Document:
    with service.lock:
        rows = list(service.db.table("announcements").rows_where(order_by="id"))
        displays = [display_model(r) for r in service.db.table("displays").rows_where(order_by="id")]
        rules = load_rules(service.db)
        lists = load_playlists(service.db)
        shas = sorted({a["media_sha256"] for a in rows if a["kind"] == "video" and a["media_sha256"]})
        media = {
            m["sha256"]: m
            for m in service.db.table("media").rows_where(f"sha256 in ({','.join('?' * len(shas))})", shas)
        } if shas else {}  # fmt: skip
    items = []
    for a in rows:
        duration_s = a["duration_s"]
        real_s = (media.get(a["media_sha256"]) or {}).get("duration_s") if a["kind"] == "video" else None
        if real_s:
            duration_s = round(float(real_s), 3)  # a video plays its own length, whatever was typed
        kind = a["kind"] if a["kind"] != "text" else "image"
        items.append(item_model(f"ann-{a['id']}", {"type": kind, "duration_s": duration_s, "title": a["title"]}))
    return Document(items=tuple(items), playlists=tuple(lists), rules=tuple(rules), displays=tuple(displays))


def _diff(stored: dict[str, Any], incoming: dict[str, Any]) -> tuple[list[str], list[str], list[str], int]:
    added = sorted(set(incoming) - set(stored))
    removed = sorted(set(stored) - set(incoming))
    changed = sorted(k for k in set(stored) & set(incoming) if stored[k] != incoming[k])
    return added, changed, removed, len(set(stored) & set(incoming)) - len(changed)


def import_plan(service: Any, doc: Document) -> list[str]:
    """What importing ``doc`` adds (+), changes (~) and removes (-), section by section, as text lines."""
    with service.lock:
        stored_rules = {r["id"]: json.loads(r["body"]) for r in service.db.table("rules").rows}
        stored_lists = {p.id: playlist_to_dict(p) for p in load_playlists(service.db)}
        stored_displays = {
            r["id"]: display_to_dict(display_model(r)) for r in service.db.table("displays").rows_where(order_by="id")
        }
    lines: list[str] = []
    sections = (
        ("rules", stored_rules, {r.id: rule_to_dict(r) for r in doc.rules}),
        ("playlists", stored_lists, {p.id: playlist_to_dict(p) for p in doc.playlists}),
        ("displays", stored_displays, {d.id: display_to_dict(d) for d in doc.displays}),
    )
    for name, stored, incoming in sections:
        if name not in doc.sections:
            lines.append(f"{name}: not in the file, left as they are ({len(stored)})")
            continue
        if name == "displays":  # a display schedule is updated, never added or removed by an import
            stored = {k: v for k, v in stored.items() if k in incoming}
        added, changed, removed, same = _diff(stored, incoming)
        lines.append(f"{name}: {len(added)} added, {len(changed)} changed, {len(removed)} removed, {same} unchanged")
        lines.extend([f"  + {k}" for k in added] + [f"  ~ {k}" for k in changed] + [f"  - {k}" for k in removed])
    return lines


@playlists.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be added, changed and removed; change nothing.")
@config_option
@data_dir_option
def import_(file: Path, dry_run: bool, config_path: str | None, data_dir: str | None) -> None:
    """Import rules, playlists and display schedules from a YAML FILE (all or nothing).

    Each section in the file (rules, playlists, displays) replaces what is stored
    for it (``rules: []`` removes every rule); a section the file leaves out is
    not touched. ``items`` only lists the stored announcements and changes nothing.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{file}: cannot read: {exc.strerror}") from None
    service = service_for(config_path, data_dir)
    try:
        with service.lock:
            known = [display_model(r) for r in service.db.table("displays").rows]
            item_ids = [f"ann-{a['id']}" for a in service.db.table("announcements").rows]
            groups = [g["id"] for g in service.db.table("groups").rows]
        doc = load_document(text, str(file), known_displays=known, known_item_ids=item_ids, known_groups=groups)
        known_ids = {d.id for d in known}
        for i, display in enumerate(doc.displays):
            if display.id not in known_ids:
                raise UserError(f"{file}: displays[{i}].id: unknown display {display.id!r}; add it first")
        for line in import_plan(service, doc):
            click.echo(line)
        if dry_run:
            click.echo("dry run: nothing was changed")
            return
        _apply(service, doc)
        published = service.publisher.publish_all()
        click.echo(f"imported; {len(published)} manifest(s) changed")
    finally:
        service.close()


def _apply(service: Any, doc: Document) -> None:
    now = service.now_iso()
    with service.lock, service.db.atomic():
        if "rules" in doc.sections:
            service.db.table("rules").delete_where()
            service.db.table("rules").insert_all(
                [{"id": r.id, "announcement_id": int(r.id[4:]) if r.id.startswith("ann-") and r.id[4:].isdigit()
                  else None, "body": dumps(rule_to_dict(r)), "updated_at": now} for r in doc.rules], pk="id",
            )  # fmt: skip
        if "playlists" in doc.sections:
            service.db.table("playlists").delete_where()
            for p in doc.playlists:
                d = playlist_to_dict(p)
                row = {"id": p.id, "title": d.get("title", ""), "items": dumps(list(p.items)), "updated_at": now}
                service.db.table("playlists").insert(row)
        for display in doc.displays:  # what the file says, defaults included (a left-out canvas is 1920x1080)
            d = display_to_dict(display)
            service.db.table("displays").update(display.id, {
                "timezone": display.timezone, "groups": dumps(list(display.groups)),
                "tags": dumps(list(display.tags)),
                "zones": dumps(list(display.zones)), "operating_hours": dumps(d.get("operating_hours", [])),
                "fallback": dumps(list(display.fallback)),
                "width": display.width_px, "height": display.height_px, "rotation": display.rotation_deg,
            })  # fmt: skip
