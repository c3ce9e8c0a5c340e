"""``signage player launch [options of signage player run]``: the player under the update launcher.

A drop-in replacement for ``signage player run`` (same options, passed through unchanged) that
adds updates over the air and automatic rollback (:mod:`player.launcher`). Launcher settings are
player tuning variables: ``SIGNAGE_PLAYER_UPDATE_HEALTH_TIMEOUT_S``, ``SIGNAGE_PLAYER_UPDATE_MAX_CRASHES``.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from player.cli import build_config, run, setup_logging
from player.launcher import Launcher, LaunchSettings
from player.tuning import PlayerTuning
from signage import __version__
from signage.errors import UserError


@click.command("launch", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                           "help_option_names": ["--launcher-help"]})
@click.argument("run_args", nargs=-1, type=click.UNPROCESSED)
def launch(run_args: tuple[str, ...]) -> None:
    """Run the player under the update launcher; takes exactly the options of `signage player run`.

    Installs verified releases offered by the scheduler, switches at an item boundary and rolls back
    a release that crashes or does not report healthy in time. `--help` shows the options of run.
    """
    if "--help" in run_args or "-h" in run_args:
        click.echo(click.get_current_context().get_help())
        click.echo("\nOptions passed to `signage player run`:\n")
        click.echo(run.get_help(click.Context(run, info_name="signage player launch")))
        return
    try:
        context = run.make_context("signage player launch", list(run_args))
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    params = context.params
    try:
        config = build_config(params["config_path"], server=params["server"], data_dir=params["data_dir"])
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    setup_logging(bool(params.get("verbose")))
    tuning = PlayerTuning.from_env()
    settings = LaunchSettings(health_timeout_s=tuning.update_health_timeout_s,
                              max_crashes=max(1, tuning.update_max_crashes))
    launcher = Launcher(Path(config.data_dir), run_args, settings, base_version=__version__)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # no SIGHUP on Windows
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), launcher.request_stop)
    sys.exit(launcher.run())
