"""The ``signage`` command.

Subcommands live with the component that owns them and are imported only when
run (``name -> "module:attribute"``), so ``signage --help`` never loads Qt or
FastAPI and the core package stays free of both.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from signage import __version__
from signage.errors import UserError, all_errors

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("scheduler.demo:demo", "Run the Mempawah demo: scheduler + one player on this machine."),
    "init": ("scheduler.cli_fleet:init", "Set up a new installation: store, signing key, first admin."),
    "groups": ("scheduler.cli_fleet:groups", "Create and manage display groups."),
    "scheduler": ("scheduler.cli:scheduler", "Run and manage the central scheduler."),
    "player": ("signage.cli:player", "Run the display player."),
    "users": ("scheduler.cli:users", "Manage admin users."),
    "displays": ("scheduler.cli_fleet:displays", "Add, edit, list displays and approve enrolments."),
    "announcements": ("scheduler.cli:announcements", "List, submit, approve, reject, withdraw, archive (--as USER)."),
    "keys": ("scheduler.cli:keys", "Show, rotate the scheduler's signing keys."),
    "timeline": ("scheduler.cli_schedule:timeline", "Print a display's compiled timeline, or explain an item."),
    "playlists": ("scheduler.cli_schedule:playlists", "Export/import schedule rules and playlists as YAML."),
    "preview": ("player.preview.cli:preview", "Show what a display shows: frame, day sheet, clip, window."),
    "ingest": ("scheduler.cli:ingest", "Normalise media files for the screens and create draft announcements."),
    "sources": ("scheduler.cli_sources:sources", "Live data sources (OpenSID, OpenDK, CKAN, CSV/JSON)."),
    "backup": ("scheduler.cli_backup:backup", "Back up the scheduler (store, keys, config; media optional), live."),
    "restore": ("scheduler.cli_backup:restore", "Restore a backup into a new data folder; players keep working."),
    "release": ("scheduler.cli_release:release", "Player updates: build, add, offer a release to display groups."),
    "alerts": ("scheduler.cli_alerts:alerts", "Fleet alerts: list open alerts, send a test message."),
}


PLAYER_SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("player.cli:run", "Run the player: sync, cache and show this display's manifest."),
    "launch": ("player.launcher_cli:launch", "Run the player under the update launcher (same options as run)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = SUBCOMMANDS if lazy is None else lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, _, attribute = self.lazy[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy)]
        rows += [(name, cmd.get_short_help_str()) for name, cmd in sorted(self.commands.items())]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="signage")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """Digital signage for the LED videotron screens of Kabupaten Mempawah."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@click.group(cls=LazyGroup, lazy=PLAYER_SUBCOMMANDS)
def player() -> None:
    """Run the display player."""


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        for one in all_errors(exc):  # several bad fields found at once: one line each
            click.echo(f"error: {one}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
