"""``signage sources list|add|test|fetch|review``: live data sources from the command line."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import click

from content.sources.config import SourceConfigError, checked
from content.sources.model import Snapshot
from content.sources.numbers import format_count
from content.sources.run import PollResult, SourceState, poll
from content.sources.validate import with_texts_checked
from scheduler.cli import config_option, data_dir_option, service_for
from signage.errors import UserError

MAX_LINES = 14


def summary_lines(source_id: str, url: str, result: PollResult) -> list[str]:
    """A one-screen summary of a poll (Indonesian, like the rest of the operator's tools)."""
    lines = [f"Sumber {source_id}: {url}"]
    if result.error is not None:
        due = result.state.next_due_at
        lines.append(f"GAGAL: {result.error}")
        if due is not None:
            lines.append(f"Dicoba lagi setelah {due:%Y-%m-%d %H:%M} UTC; data terakhir yang baik tetap tayang.")
        return lines
    if result.snapshot is None:
        lines.append("Tidak berubah sejak pengambilan terakhir (HTTP 304); data terakhir tetap tayang.")
        return lines
    snap = result.snapshot
    as_of = f"; data per {snap.as_of:%Y-%m-%d %H:%M} UTC" if snap.as_of else ""
    if snap.kind == "cap":
        lines.append(f"Berhasil: {len(snap.alerts)} peringatan aktif")
        lines += [f"  {a.get('severity')}/{a.get('urgency')} {a.get('headline', '')[:60]} (s.d. {a.get('expires')})"
                  for a in snap.alerts[:6]]  # fmt: skip
    elif snap.forecast is not None:
        steps = snap.forecast.get("steps") or []
        lines.append(f"Berhasil: prakiraan {len(steps)} langkah untuk {snap.forecast.get('place')}{as_of}")
        lines += [f"  {s['local_datetime'][:16]}  {s.get('t')}°C  {s.get('weather_desc')}" for s in steps[:4]]
    else:
        lines.append(f"Berhasil: {len(snap.series)} seri data, {len(snap.articles)} artikel{as_of}")
    lines += [f"  {note}" for note in result.notes if "desa" in note or "baris" in note][:2]
    status = {"ok": "OK — siap tayang", "held": "DITAHAN — perlu persetujuan (signage sources review)",
              "invalid": "TIDAK SAH — tidak ditayangkan"}[snap.validation.status]  # fmt: skip
    lines.append(f"Validasi: {status}")
    lines += [f"  ! {problem}" for problem in snap.validation.problems[:4]]
    shown = list(snap.series.items())
    room = MAX_LINES - len(lines) - 2
    for key, series in shown[:room]:
        total = "-" if series.total is None else format_count(series.total)
        lines.append(f"  {key:<28} {len(series.categories):>3} kategori  total {total:>9}")
    if len(shown) > room:
        lines.append(f"  ... dan {len(shown) - room} seri lain")
    by_reason: dict[str, list[str]] = defaultdict(list)
    for key, why in snap.missing.items():
        by_reason[why].append(key)
    for why, keys in by_reason.items():
        names = ", ".join(keys[:4]) + (f" (+{len(keys) - 4})" if len(keys) > 4 else "")
        lines.append(f"  tidak tersedia ({why}): {names}")
    return lines


def _options(options_json: str | None, categories: tuple[str, ...]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if options_json:
        try:
            options = json.loads(options_json)
        except ValueError as exc:
            raise UserError(f"options: not valid JSON ({exc})", field="options") from None
        if not isinstance(options, dict):
            raise UserError("options: a JSON object", field="options")
    if categories:
        options["categories"] = list(categories)
    return options


@click.group()
def sources() -> None:
    """Live data sources (OpenSID, OpenDK, CKAN, CSV/JSON): list, add, test, fetch and review them."""


@sources.command("list")
@config_option
@data_dir_option
def sources_list(config_path: str | None, data_dir: str | None) -> None:
    """List configured sources with their last good fetch and last error."""
    from scheduler.sources import list_sources, snapshots

    service = service_for(config_path, data_dir)
    with service.lock:
        stored = list_sources(service.db)
        latest = {s.config.id: snapshots(service.db, s.config.id, limit=1) for s in stored}
    if not stored:
        click.echo("Belum ada sumber data. Tambahkan: signage sources add ID --kind opensid --url URL")
        return
    for source in stored:
        rows = latest[source.config.id]
        last = f"snapshot {rows[0]['id']} {rows[0]['status']}" if rows else "belum pernah diambil"
        click.echo(f"{source.config.id:<24} {source.config.kind:<8} {source.config.url}")
        click.echo(f"{'':<24} terakhir baik: {source.last_ok_at or '-'}; {last}")
        if source.last_error:
            click.echo(f"{'':<24} galat: {source.last_error[:100]}")


@sources.command("add")
@click.argument("source_id")
@click.option("--kind", default="opensid", show_default=True, help="opensid, opendk, ckan, csv or json.")
@click.option("--url", required=True, help="Site address, e.g. https://antibar.desa.id")
@click.option("--name", default="", help="Name shown on screen, e.g. 'Desa Antibar'.")
@click.option("--poll-interval-s", type=int, default=3600, show_default=True, help="Seconds between fetches.")
@click.option("--timeout-s", type=float, default=20.0, show_default=True, help="Give up a request after this.")
@click.option("--category", "categories", multiple=True, help="OpenSID slug to fetch (repeat; default: all).")
@click.option(
    "--options",
    "options_json",
    default=None,
    help='Kind options as JSON, e.g. \'{"resource_id": "...", "mapping": {...}}\' (see docs/sources.md).',
)
@click.option("--username", default=None, help="HTTP basic-auth user, if the site needs one.")
@click.option("--password", default=None, help="HTTP basic-auth password.")
@config_option
@data_dir_option
def sources_add(
    source_id: str, kind: str, url: str, name: str, poll_interval_s: int, timeout_s: float,
    categories: tuple[str, ...], options_json: str | None, username: str | None, password: str | None,
    config_path: str | None, data_dir: str | None,
) -> None:  # fmt: skip
    """Add (or change) a data source. It is fetched by the running scheduler at its poll interval."""
    from scheduler.sources import save_source

    try:
        config = checked(id=source_id, kind=kind, url=url, name=name, poll_interval_s=poll_interval_s,
                         timeout_s=timeout_s, username=username, password=password,
                         options=_options(options_json, categories))  # fmt: skip
    except SourceConfigError as exc:
        raise UserError(str(exc), field=exc.field) from None
    service = service_for(config_path, data_dir)
    with service.lock:
        save_source(service.db, config)
    click.echo(f"Sumber {source_id} disimpan. Coba: signage sources test {source_id}")


@sources.command("test")
@click.argument("source_id", required=False)
@click.option("--kind", default="opensid", show_default=True, help="Kind, when testing a URL not yet added.")
@click.option("--url", default=None, help="Test this site without adding it.")
@click.option("--category", "categories", multiple=True, help="OpenSID slug to fetch (repeat; default: all).")
@click.option("--options", "options_json", default=None, help="Kind options as JSON (with --url).")
@config_option
@data_dir_option
def sources_test(
    source_id: str | None, kind: str, url: str | None, categories: tuple[str, ...], options_json: str | None,
    config_path: str | None, data_dir: str | None,
) -> None:  # fmt: skip
    """Fetch once and print what would be stored, without storing anything."""
    good: Snapshot | None = None
    if url:
        options = _options(options_json, categories)
        try:
            config = checked(id=source_id or "uji", kind=kind, url=url, options=options)
        except SourceConfigError as exc:
            raise UserError(str(exc), field=exc.field) from None
    elif source_id:
        from scheduler.sources import get_source, last_good

        service = service_for(config_path, data_dir)
        with service.lock:
            config = get_source(service.db, source_id).config
            stored_good = last_good(service.db, source_id)
            good = stored_good[1] if stored_good else None
    else:
        raise UserError("give a SOURCE_ID from 'signage sources list', or --url to test a site", field="source")
    result = poll(config, SourceState(), good, now=datetime.now(UTC))
    if result.snapshot is not None:  # as the store would record it: held when it shows words no one approved
        checked_validation = with_texts_checked(result.snapshot, good)
        result = replace(result, snapshot=replace(result.snapshot, validation=checked_validation))
    for line in summary_lines(config.id, config.url, result):
        click.echo(line)
    if result.error is not None or (result.snapshot and result.snapshot.validation.status == "invalid"):
        raise SystemExit(1)


@sources.command("fetch")
@click.argument("source_id")
@config_option
@data_dir_option
def sources_fetch(source_id: str, config_path: str | None, data_dir: str | None) -> None:
    """Fetch a stored source now and store the snapshot (held/invalid ones do not air)."""
    from scheduler.sources import get_source, poll_now

    service = service_for(config_path, data_dir)
    with service.lock:
        url = get_source(service.db, source_id).config.url
        result, snapshot_id = poll_now(service.db, source_id, service.clock())
    for line in summary_lines(source_id, url, result):
        click.echo(line)
    if snapshot_id is not None:
        click.echo(f"Disimpan sebagai snapshot {snapshot_id}.")
    if result.error is not None:
        raise SystemExit(1)


@sources.command("review")
@click.argument("snapshot_id", type=int)
@click.option("--approve/--reject", required=True, help="Air the held snapshot, or discard it.")
@config_option
@data_dir_option
def sources_review(snapshot_id: int, approve: bool, config_path: str | None, data_dir: str | None) -> None:
    """An approver's decision on a held snapshot (e.g. a population that jumped x10)."""
    from scheduler.sources import review

    service = service_for(config_path, data_dir)
    with service.lock:
        row = review(service.db, snapshot_id, "approved" if approve else "rejected", None, service.clock())
    click.echo(f"Snapshot {snapshot_id}: {row['status']}.")
