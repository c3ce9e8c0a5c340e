"""``signage init``, ``signage groups ...`` and the display set-up commands of ``signage displays``."""

from __future__ import annotations

import json
from typing import Any

import click

from scheduler.cli import config_option, data_dir_option, displays, load_scheduler_config, service_for
from scheduler.fleet_admin import GROUP_KINDS, ROTATIONS, format_hours

__all__ = ["displays", "groups", "init"]


@click.command()
@config_option
@data_dir_option
@click.option("--admin", "admin_username", default="admin", show_default=True, help="Username of the first admin.")
def init(config_path: str | None, data_dir: str | None, admin_username: str) -> None:
    """Set up a new installation: store, signing key and the first admin.

    The admin's password is generated and printed once; it must be changed at the
    first login. On an existing installation nothing is changed.
    """
    from scheduler.first_run import initialise

    config = load_scheduler_config(config_path, data_dir=data_dir)
    result = initialise(config, admin_username)
    if not result.created:
        click.echo(f"{result.data_dir} is already set up (it has users); nothing changed.")
        return
    click.echo(f"initialised {result.data_dir} (signing key {result.key_id})")
    click.echo(f"first admin: {result.admin_username}")
    click.echo(f"password:    {result.admin_password}")
    click.echo("This password is shown only once: write it down; it must be changed at the first login.")
    click.echo(f"next: signage scheduler serve --data-dir {result.data_dir}")


@click.group()
def groups() -> None:
    """Create and manage display groups (kabupaten, kecamatan, desa, tags)."""


@groups.command("list")
@config_option
@data_dir_option
def groups_list(config_path: str | None, data_dir: str | None) -> None:
    """List groups with their kind and member displays."""
    from scheduler.fleet_admin import list_groups

    for g in list_groups(service_for(config_path, data_dir)):
        click.echo(f"{g['id']:<24} {g['kind'] or '-':<10} {g['name']:<40} {', '.join(g['displays']) or '-'}")


@groups.command("add")
@click.argument("group_id")
@click.option("--name", required=True, help="Name shown to staff, e.g. 'Kecamatan Sungai Pinyuh'.")
@click.option("--kind", type=click.Choice(GROUP_KINDS), required=True, help="What the group is.")
@config_option
@data_dir_option
def groups_add(group_id: str, name: str, kind: str, config_path: str | None, data_dir: str | None) -> None:
    """Create group GROUP_ID (lowercase letters, digits, '-')."""
    from scheduler.fleet_admin import create_group

    row = create_group(service_for(config_path, data_dir), {"id": group_id, "name": name, "kind": kind})
    click.echo(f"created group {row['id']} ({row['kind']}): {row['name']}")


@groups.command("edit")
@click.argument("group_id")
@click.option("--name", default=None, help="New name.")
@click.option("--kind", type=click.Choice(GROUP_KINDS), default=None, help="New kind.")
@config_option
@data_dir_option
def groups_edit(
    group_id: str, name: str | None, kind: str | None, config_path: str | None, data_dir: str | None
) -> None:
    """Rename GROUP_ID or change its kind."""
    from scheduler.fleet_admin import edit_group

    row = edit_group(service_for(config_path, data_dir), group_id, {"name": name, "kind": kind})
    click.echo(f"group {row['id']} ({row['kind']}): {row['name']}")


@groups.command("remove")
@click.argument("group_id")
@config_option
@data_dir_option
def groups_remove(group_id: str, config_path: str | None, data_dir: str | None) -> None:
    """Remove GROUP_ID (refused while announcements target it); its displays leave it."""
    from scheduler.fleet_admin import remove_group

    removal = remove_group(service_for(config_path, data_dir), group_id)
    click.echo(
        f"removed group {group_id}" + (f"; republished {', '.join(removal.republished)}" if removal.republished else "")
    )


def display_options(required: bool) -> Any:
    """The options shared by ``displays add`` and ``displays edit`` (edit: only what is given changes)."""
    options = [
        click.option("--name", required=required, default=None, help="Name shown to staff."),
        click.option("--location", default=None, help="Address or place, e.g. 'Jl. GM Taufik, Mempawah Hilir'."),
        click.option("--lat", "latitude", default=None, help="Latitude in decimal degrees (prayer times), e.g. 0.36."),
        click.option("--lon", "longitude", default=None, help="Longitude in decimal degrees, e.g. 108.96."),
        click.option("--region-code", "region_code", default=None,
                     help="Village code (kode wilayah adm4) for its BMKG weather, e.g. 61.04.01.2001."),
        click.option("--width", type=int, required=required, default=None, help="Canvas width in pixels."),
        click.option("--height", type=int, required=required, default=None, help="Canvas height in pixels."),
        click.option("--rotation", type=click.Choice([str(r) for r in ROTATIONS]), default=None, help="Degrees."),
        click.option("--timezone", default=None, help="IANA time zone (default from config: Asia/Pontianak)."),
        click.option("--hours", "operating_hours", default=None,
                     help="Operating hours, e.g. 'mon-fri 06:00-22:00; sat 07:00-12:00' (empty: always on)."),
        click.option("--group", "-g", "groups", multiple=True, help="Group id (repeat for several)."),
        click.option("--capture", default=None, help="LED capture region on the player PC: X,Y,W,H in pixels."),
    ]  # fmt: skip

    def decorate(f: Any) -> Any:
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def _display_data(values: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in values.items() if v is not None and k not in ("capture", "groups")}
    if values.get("groups"):
        data["groups"] = list(values["groups"])
    if values.get("capture"):
        parts = [p.strip() for p in str(values["capture"]).split(",")]
        if len(parts) != 4:
            raise click.BadParameter("write X,Y,W,H, e.g. 0,0,768,432", param_hint="--capture")
        data.update(zip(("capture_x", "capture_y", "capture_w", "capture_h"), parts, strict=True))
    return data


@displays.command("add")
@click.argument("display_id")
@display_options(required=True)
@config_option
@data_dir_option
def displays_add(display_id: str, config_path: str | None, data_dir: str | None, **values: Any) -> None:
    """Create display DISPLAY_ID (then enrol a player into it: signage displays approve CODE --as ID)."""
    from scheduler.fleet_admin import create_display

    row = create_display(service_for(config_path, data_dir), {"id": display_id, **_display_data(values)})
    click.echo(f"created display {row['id']} ({row['width']}x{row['height']}, {row['timezone']}): {row['name']}")


@displays.command("edit")
@click.argument("display_id")
@display_options(required=False)
@config_option
@data_dir_option
def displays_edit(display_id: str, config_path: str | None, data_dir: str | None, **values: Any) -> None:
    """Change DISPLAY_ID's settings (only the options given) and republish its manifest."""
    from scheduler.fleet_admin import edit_display

    row = edit_display(service_for(config_path, data_dir), display_id, _display_data(values))
    click.echo(f"display {row['id']} ({row['width']}x{row['height']}, {row['timezone']}): {row['name']}")


@displays.command("show")
@click.argument("display_id")
@config_option
@data_dir_option
def displays_show(display_id: str, config_path: str | None, data_dir: str | None) -> None:
    """Print DISPLAY_ID's settings as JSON (operating hours also as text)."""
    from scheduler.fleet_admin import get_display

    row = get_display(service_for(config_path, data_dir), display_id)
    row["operating_hours_text"] = format_hours(row["operating_hours"])
    click.echo(json.dumps(row, indent=2, ensure_ascii=False))


@displays.command("remove")
@click.argument("display_id")
@config_option
@data_dir_option
def displays_remove(display_id: str, config_path: str | None, data_dir: str | None) -> None:
    """Remove DISPLAY_ID (refused while a player is enrolled: revoke it first)."""
    from scheduler.fleet_admin import remove_display

    remove_display(service_for(config_path, data_dir), display_id)
    click.echo(f"removed display {display_id}")
