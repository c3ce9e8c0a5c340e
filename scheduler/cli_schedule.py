"""``signage timeline`` and ``signage playlists export|import``: the schedule from the store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from playlists.explain import explain_item
from playlists.yamlio import Document, dump_document, load_document
from scheduler.cli import config_option, data_dir_option, service_for
from scheduler.schedule import display_model, horizon_start, item_model, load_playlists, load_rules
from scheduler.store import dumps
from signage.clock import format_utc, parse_utc, zone
from signage.errors import UserError
from signage.timefmt import zone_abbreviation


def _instant(value: str, option: str) -> datetime:
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@click.command()
@click.option("--display", "display_id", default=None, help="Display id whose timeline to print.")
@click.option("--from", "from_", default=None, help="Start instant, ISO with offset (default: now).")
@click.option("--to", "to", default=None, help="End instant, ISO with offset (default: 1 hour after --from).")
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
            _explain(service, explain, as_json)
            return
        if not display_id:
            raise click.UsageError("give --display ID (or --explain ITEM)")
        start = _instant(from_, "--from") if from_ else service.clock()
        end = _instant(to, "--to") if to else start + timedelta(hours=1)
        if end <= start:
            raise click.BadParameter("must be after --from", param_hint="--to")
        compiled, items = service.publisher.compile(display_id)
        with service.lock:
            tz_name = service.db.table("displays").get(display_id)["timezone"]
        rows = [
            {"start": format_utc(e.start), "end": format_utc(e.end), "zone": e.zone, "layer": e.layer,
             "item": e.item_id, "title": (items.get(e.item_id or "") or {}).get("title", ""), "why": e.why}
            for e in compiled.entries
            if e.end > start and e.start < end
        ]  # fmt: skip
        if as_json:
            click.echo(json.dumps({"display": display_id, "entries": rows, "warnings": service.publisher.warnings.get(
                display_id, [])}, indent=2, ensure_ascii=False))  # fmt: skip
            return
        local = zone(tz_name)
        abbreviation = zone_abbreviation(tz_name, start)
        click.echo(f"{'start':<19} {'end':<8} {'zone':<7} {'layer':<9} {'item':<10} title / why  ({abbreviation})")
        for r in rows:
            s, e = parse_utc(r["start"]).astimezone(local), parse_utc(r["end"]).astimezone(local)
            label = r["title"] or ("(layar mati)" if r["layer"] == "off" else "")
            click.echo(
                f"{s:%Y-%m-%d %H:%M:%S} {e:%H:%M:%S} {r['zone']:<7} {r['layer']:<9} {r['item'] or '-':<10} "
                f"{label} — {r['why']}"
            )
        for warning in service.publisher.warnings.get(display_id, []):
            click.echo(f"warning [{warning['code']}]: {warning['message']}")
    finally:
        service.close()


def _explain(service: Any, item: str, as_json: bool) -> None:
    with service.lock:
        display_rows = list(service.db.table("displays").rows_where(order_by="id"))
        rules = load_rules(service.db)
        playlists = {p.id: p for p in load_playlists(service.db)}
        announcements = {f"ann-{a['id']}": a for a in service.db.table("announcements").rows}
    if item not in announcements:
        raise UserError(f"ITEM: unknown item {item!r} (items are ann-<id>, see the admin)", field="item")
    compiled: dict[str, Any] = {}
    items: dict[str, Any] = {}
    for row in display_rows:
        timeline_, display_items = service.publisher.compile(row["id"])
        compiled[row["id"]] = timeline_
        for key, spec in display_items.items():
            items.setdefault(key, item_model(key, spec))
    if item not in items:
        ann = announcements[item]
        why = "it is not approved" if ann["status"] != "approved" else "its media is not ready for any canvas"
        click.echo(f"{item} ({ann['title']}) plays nowhere: {why}.")
        return
    start = horizon_start(service.clock(), service.config.timezone)
    result = explain_item(
        item, rules, [display_model(r) for r in display_rows], items, start,
        service.config.horizon_days * 86400, playlists=playlists, compiled=compiled,
    )  # fmt: skip
    if as_json:
        click.echo(json.dumps({"item": item, "plays": result.plays, "seconds": result.seconds,
                               "warnings": [w.to_dict() for w in result.warnings]}, indent=2))  # fmt: skip
        return
    click.echo(f"{item} ({announcements[item]['title']}) in the next {service.config.horizon_days} days:")
    for display_id in sorted(result.plays):
        click.echo(
            f"  {display_id:<24} {result.plays[display_id]:>6} plays, {result.seconds[display_id]:>8} s on screen"
        )
    for warning in result.warnings:
        click.echo(f"  not on {warning.display_id or 'any display'}: {warning.message}")


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
        text = dump_document(_document(service))
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
    items = [
        item_model(f"ann-{a['id']}", {"type": a["kind"] if a["kind"] != "text" else "image",
                                       "duration_s": a["duration_s"], "title": a["title"]})
        for a in rows
    ]  # fmt: skip
    return Document(items=tuple(items), playlists=tuple(lists), rules=tuple(rules), displays=tuple(displays))


@playlists.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@config_option
@data_dir_option
def import_(file: Path, config_path: str | None, data_dir: str | None) -> None:
    """Replace rules and playlists, and update display schedules, from a YAML FILE (all or nothing)."""
    from playlists.codec import display_to_dict, playlist_to_dict, rule_to_dict

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{file}: cannot read: {exc.strerror}") from None
    service = service_for(config_path, data_dir)
    try:
        with service.lock:
            known = [display_model(r) for r in service.db.table("displays").rows]
            item_ids = [f"ann-{a['id']}" for a in service.db.table("announcements").rows]
        doc = load_document(text, str(file), known_displays=known, known_item_ids=item_ids)
        known_ids = {d.id for d in known}
        for i, display in enumerate(doc.displays):
            if display.id not in known_ids:
                raise UserError(f"{file}: displays[{i}].id: unknown display {display.id!r}; add it first")
        now = service.now_iso()
        with service.lock, service.db.atomic():
            service.db.table("rules").delete_where()
            service.db.table("rules").insert_all(
                [{"id": r.id, "announcement_id": int(r.id[4:]) if r.id.startswith("ann-") and r.id[4:].isdigit()
                  else None, "body": dumps(rule_to_dict(r)), "updated_at": now} for r in doc.rules], pk="id",
            )  # fmt: skip
            service.db.table("playlists").delete_where()
            for p in doc.playlists:
                d = playlist_to_dict(p)
                row = {"id": p.id, "title": d.get("title", ""), "items": dumps(list(p.items)), "updated_at": now}
                service.db.table("playlists").insert(row)
            for display in doc.displays:
                d = display_to_dict(display)
                canvas = d.get("canvas", {})
                service.db.table("displays").update(display.id, {
                    "timezone": display.timezone, "groups": dumps(list(display.groups)),
                    "tags": dumps(list(display.tags)),
                    "zones": dumps(list(display.zones)), "operating_hours": dumps(d.get("operating_hours", [])),
                    "fallback": dumps(list(display.fallback)),
                    **({"width": canvas["width"], "height": canvas["height"], "rotation": canvas.get("rotation", 0)}
                       if canvas else {}),
                })  # fmt: skip
        published = service.publisher.publish_all()
        click.echo(f"imported {len(doc.rules)} rule(s), {len(doc.playlists)} playlist(s), "
                   f"{len(doc.displays)} display schedule(s); {len(published)} manifest(s) changed")  # fmt: skip
    finally:
        service.close()
