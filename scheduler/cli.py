"""``signage scheduler|users|displays|keys`` commands: thin wrappers over the service."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scheduler.auth import ROLES
from signage.config import SchedulerConfig, load_config

if TYPE_CHECKING:
    from scheduler.service import Service
from signage.errors import UserError

log = logging.getLogger("scheduler.cli")

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Scheduler YAML config file (defaults apply to missing keys).",
)
data_dir_option = click.option("--data-dir", default=None, help="Override data_dir from the config.")


def load_scheduler_config(config_path: str | None, **overrides: Any) -> SchedulerConfig:
    config = load_config(SchedulerConfig, config_path)
    changes = {k: v for k, v in overrides.items() if v is not None}
    if changes:
        config = dataclasses.replace(config, **changes)
        config.validate(config_path or "<command line>")
    return config


def service_for(config_path: str | None, data_dir: str | None) -> Service:
    """The service over the store named by the config/--data-dir (no HTTP server)."""
    from scheduler.service import Service

    return Service(load_scheduler_config(config_path, data_dir=data_dir))


@click.group()
def scheduler() -> None:
    """Run and manage the central scheduler."""


@scheduler.command()
@config_option
@data_dir_option
@click.option("--host", default=None, help="Listen address (default from config: 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Listen port (default from config: 8470).")
def serve(config_path: str | None, data_dir: str | None, host: str | None, port: int | None) -> None:
    """Serve the player API and the web admin."""
    import uvicorn

    from scheduler.app import create_app
    from scheduler.first_run import NOT_INITIALISED, user_count
    from scheduler.service import Service
    from signage.lifecycle import exit_on_signals, terminate_children

    exit_on_signals()  # SIGTERM/SIGHUP: graceful stop, children (ffmpeg) included
    config = load_scheduler_config(config_path, data_dir=data_dir, host=host, port=port)
    if not user_count(Path(config.data_dir)):
        raise click.ClickException(NOT_INITIALISED.format(data_dir=config.data_dir))
    service = Service(config)
    try:
        click.echo(f"scheduler listening on http://{config.host}:{config.port}/admin/", err=True)
        # publishes what changed in the background once listening (never blocks start-up);
        # proxy_headers=False: X-Forwarded-For counts only from config.trusted_proxies (scheduler/clientaddr.py)
        uvicorn.run(
            create_app(service, publish_on_start=True),
            host=config.host,
            port=config.port,
            log_level="warning",
            timeout_graceful_shutdown=3,
            proxy_headers=False,
        )
    finally:
        service.close()
        terminate_children()


@scheduler.command()
@config_option
@data_dir_option
def publish(config_path: str | None, data_dir: str | None) -> None:
    """Recompile and sign every display's manifest now."""
    service = service_for(config_path, data_dir)
    published = service.publisher.publish_all()
    for p in published:
        click.echo(f"{p.display_id}: version {p.version}")
    if not published:
        click.echo("no manifest changed")


@click.group()
def users() -> None:
    """Manage admin users."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="editor",
    show_default=True,
    help="viewer: read-only; editor: writes; approver: also approves (never own work); admin: everything.",
)
@click.option("--password", default=None, help="Password (generated and printed when omitted).")
@config_option
@data_dir_option
def users_create(username: str, role: str, password: str | None, config_path: str | None, data_dir: str | None) -> None:
    """Create a user."""
    from scheduler.auth import create_user

    service = service_for(config_path, data_dir)
    with service.lock:
        secret = create_user(service.db, username, role, password, service.now_iso())
    click.echo(f"created {role} {username}" + ("" if password else f" with password {secret}"))


@users.command("list")
@config_option
@data_dir_option
def users_list(config_path: str | None, data_dir: str | None) -> None:
    """List users."""
    service = service_for(config_path, data_dir)
    for row in service.db.table("users").rows_where(order_by="username"):
        click.echo(f"{row['username']:<20} {row['role']:<9} {'disabled' if row['disabled'] else 'active'}")


@click.group()
def displays() -> None:
    """Add, edit, list displays and approve enrolments."""


@displays.command("list")
@config_option
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def displays_list(config_path: str | None, data_dir: str | None, as_json: bool) -> None:
    """Fleet health: online/offline, last seen, version lag, missing media, offline coverage, player version/update."""
    from scheduler.fleet import fleet_health
    from scheduler.release_status import update_text

    service = service_for(config_path, data_dir)
    with service.lock:
        health = fleet_health(service.db, service.publisher, service.clock())
        players = {r["display_id"]: r for r in service.db.table("display_status").rows_where(
            select="display_id, app_version, update_state, update_version, update_detail")}
    if as_json:
        rows = [{**h.to_dict(), **{k: v for k, v in players.get(h.display_id, {}).items() if k != "display_id"}}
                for h in health]
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'display':<24} {'state':<8} {'last seen':<21} {'version':<9} {'missing':<8} {'covered until':<21} "
               f"{'player':<9} update")
    for h in health:
        version = f"{h.reported_version if h.reported_version is not None else '-'}/{h.latest_version or '-'}"
        player = players.get(h.display_id) or {}
        click.echo(
            f"{h.display_id:<24} {'online' if h.online else 'offline':<8} {h.last_seen or 'never':<21} "
            f"{version:<9} {len(h.missing_media):<8} {h.offline_coverage_until or '-':<21} "
            f"{player.get('app_version') or '-':<9} {update_text(player)}"
        )


@displays.command("revoke")
@click.argument("display_id")
@config_option
@data_dir_option
def displays_revoke(display_id: str, config_path: str | None, data_dir: str | None) -> None:
    """Revoke every token of DISPLAY_ID (its player gets 401 and must enrol again)."""
    from scheduler.announcements import audit

    service = service_for(config_path, data_dir)
    count = service.revoke_display(display_id)
    with service.lock:
        audit(service.db, service.clock(), None, "display.revoke", f"display:{display_id}", f"{count} token(s), CLI")
    click.echo(
        f"revoked {count} token(s) of {display_id}; a running scheduler refuses them and ends their streams within 1 s"
    )


@displays.command("pending")
@config_option
@data_dir_option
def displays_pending(config_path: str | None, data_dir: str | None) -> None:
    """List players waiting for enrolment (their on-screen codes)."""
    from scheduler import enrolment

    service = service_for(config_path, data_dir)
    for row in enrolment.pending(service.db, service.clock()):
        click.echo(f"{row['code'][:3]}-{row['code'][3:]}  {row['requested_at']}  {row['name']}")


@displays.command("approve")
@click.argument("code")
@click.option("--as", "display_id", required=True, help="Display id this player becomes.")
@config_option
@data_dir_option
def displays_approve(code: str, display_id: str, config_path: str | None, data_dir: str | None) -> None:
    """Approve the enrolment CODE shown on a player's screen as display ID."""
    from scheduler import enrolment

    service = service_for(config_path, data_dir)
    with service.lock:
        enrolment.approve(service.db, code, display_id, service.clock())
    click.echo(f"enrolled {code.upper()} as {display_id}")


@click.group()
def announcements() -> None:
    """The approval workflow from the shell, acting as a named user (same rules as the web admin and API)."""


as_option = click.option(
    "--as", "username", required=True, help="The user acting (their role decides what is allowed)."
)


def _acting_user(service: Service, username: str) -> dict[str, Any]:
    with service.lock:
        rows = list(service.db.table("users").rows_where("username = ? and disabled = 0", [username]))
    if not rows:
        raise UserError(f"--as: no active user {username!r} (see 'signage users list')", field="as")
    return dict(rows[0])


def _report(row: dict[str, Any], published: list[Any] | None = None) -> None:
    line = f"announcement {row['id']} ({row['title']}): {row['status']}"
    if published is not None:
        line += f"; republished {len(published)} manifest(s)"
    click.echo(line)


@announcements.command("list")
@config_option
@data_dir_option
def announcements_list(config_path: str | None, data_dir: str | None) -> None:
    """Every announcement: id, workflow status, layer, title."""
    from scheduler.announcements import decode_row, display_status

    service = service_for(config_path, data_dir)
    with service.lock:
        rows = [decode_row(r) for r in service.db.table("announcements").rows_where(order_by="id")]
    for row in rows:
        reason = f"  ({row['status_reason']})" if row.get("status_reason") else ""
        click.echo(
            f"{row['id']:>5} {display_status(row, service.clock()):<10} {row['layer']:<9} {row['title']}{reason}"
        )


@announcements.command("check")
@click.argument("announcement_id", type=click.IntRange(1, 2**62))
@config_option
@data_dir_option
def announcements_check(announcement_id: int, config_path: str | None, data_dir: str | None) -> None:
    """Legibility on every target screen size: smallest text drawn vs the readable minimum (docs/content.md)."""
    from scheduler.announcements import get_announcement
    from scheduler.legibility import check_announcement

    service = service_for(config_path, data_dir)
    with service.lock:
        row = get_announcement(service.db, announcement_id)
        canvases = check_announcement(service.db, row)
    if not canvases:
        click.echo(f"announcement {announcement_id}: no target screen to check (or drawn natively in a strip)")
        return
    for check in canvases:
        how = "measured" if check["measured"] else "estimated from the picture's scale"
        verdict = "ok" if not check["warnings"] else "WARNING"
        click.echo(f"{check['canvas']:>9}  {verdict:<7} smallest text {check['min_text_px']:.0f} px ({how}), "
                   f"readable from {check['required_px']} px  [{', '.join(check['displays'])}]")
        for warning in check["warnings"]:
            click.echo(f"           - {warning}")


@announcements.command("submit")
@click.argument("announcement_id", type=click.IntRange(1, 2**62))
@as_option
@config_option
@data_dir_option
def announcements_submit(announcement_id: int, username: str, config_path: str | None, data_dir: str | None) -> None:
    """Ask for approval."""
    from scheduler.actions import submit

    service = service_for(config_path, data_dir)
    _report(submit(service, announcement_id, _acting_user(service, username)))


@announcements.command("approve")
@click.argument("announcement_id", type=click.IntRange(1, 2**62))
@as_option
@config_option
@data_dir_option
def announcements_approve(announcement_id: int, username: str, config_path: str | None, data_dir: str | None) -> None:
    """Approve and publish (never your own work, nor one you changed since its last approval)."""
    from scheduler.actions import approve_and_publish

    service = service_for(config_path, data_dir)
    _report(*approve_and_publish(service, announcement_id, _acting_user(service, username)))


@announcements.command("reject")
@click.argument("announcement_id", type=click.IntRange(1, 2**62))
@as_option
@click.option("--reason", required=True, help="Why (shown to the author).")
@config_option
@data_dir_option
def announcements_reject(
    announcement_id: int, username: str, reason: str, config_path: str | None, data_dir: str | None
) -> None:
    """Send back to the author with a reason."""
    from scheduler.actions import reject

    service = service_for(config_path, data_dir)
    _report(reject(service, announcement_id, _acting_user(service, username), reason))


@announcements.command("withdraw")
@click.argument("announcement_id", type=click.IntRange(1, 2**62))
@as_option
@click.option("--reason", required=True, help="Why (kept in the audit log, shown to the authors).")
@config_option
@data_dir_option
def announcements_withdraw(
    announcement_id: int, username: str, reason: str, config_path: str | None, data_dir: str | None
) -> None:
    """Take off air at once (its authors/editors, approvers and admins only)."""
    from scheduler.actions import withdraw_and_publish

    service = service_for(config_path, data_dir)
    _report(*withdraw_and_publish(service, announcement_id, _acting_user(service, username), reason))


@announcements.command("archive")
@click.argument("announcement_id", type=click.IntRange(1, 2**62))
@as_option
@config_option
@data_dir_option
def announcements_archive(announcement_id: int, username: str, config_path: str | None, data_dir: str | None) -> None:
    """Archive: kept for the record, off every screen (its authors/editors, approvers and admins only)."""
    from scheduler.actions import archive_and_publish

    service = service_for(config_path, data_dir)
    _report(*archive_and_publish(service, announcement_id, _acting_user(service, username)))


@click.group()
def keys() -> None:
    """Show the scheduler's signing keys."""


@keys.command("show")
@config_option
@data_dir_option
def keys_show(config_path: str | None, data_dir: str | None) -> None:
    """Print the public signing keys: key id, base64, and the active key's fingerprint (for --server-key)."""
    from signage.enrolproof import fingerprint

    service = service_for(config_path, data_dir)
    active = service.keyring.active
    for key_id, public in service.keyring.public_keys().items():
        click.echo(f"{key_id} {public}{' (active)' if key_id == active.key_id else ''}")
    click.echo(f"fingerprint {fingerprint(active.public_key)}")


@keys.command("rotate")
@config_option
@data_dir_option
def keys_rotate(config_path: str | None, data_dir: str | None) -> None:
    """Issue a new signing key (introduced by the old one) and re-sign every manifest."""
    service = service_for(config_path, data_dir)
    with service.lock:
        old = service.keyring.active.key_id
        new = service.keyring.rotate(service.now_iso())
    published = service.publisher.publish_all()
    click.echo(f"rotated {old} -> {new.key_id}; re-signed {len(published)} manifest(s)")
    click.echo("a running scheduler follows: it serves these manifests and signs with the new key from now on")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--group", "-g", default=None, help="Display group the draft targets (default: every display).")
@click.option("--title", default=None, help="Announcement title (default: from the file name).")
@click.option(
    "--fit",
    type=click.Choice(["contain", "cover", "stretch"]),
    default="contain",
    show_default=True,
    help="contain: bars in the background colour; cover: crop; stretch: distort.",
)
@click.option("--background", default="#000000", show_default=True, help="Bar colour for 'contain'.")
@click.option("--keep-audio", is_flag=True, help="Keep the sound (removed by default: videotrons are silent).")
@config_option
@data_dir_option
def ingest(
    files: tuple[Path, ...],
    group: str | None,
    title: str | None,
    fit: str,
    background: str,
    keep_audio: bool,
    config_path: str | None,
    data_dir: str | None,
) -> None:
    """Normalise FILE... for every target screen and create draft announcements (never published)."""
    from content.cli import run_ingest
    from scheduler.drafts import canvases_for_group, create_draft

    service = service_for(config_path, data_dir)
    canvases = canvases_for_group(service, group)
    if not canvases:
        raise click.ClickException("no displays yet: add a display before ingesting media")
    refused = run_ingest(
        list(files), store=service.media, canvases=canvases, create_draft=lambda req: create_draft(service, req),
        group=group, title=title, fit=fit, background=background, keep_audio=keep_audio,
    )  # fmt: skip
    service.close()
    if refused:
        raise SystemExit(1)


__all__ = ["UserError", "announcements", "displays", "ingest", "keys", "scheduler", "users"]
