"""``signage player run`` / ``signage-player``: start the display player.

Options override the YAML config file. A :class:`signage.errors.UserError`
(bad config, bad option) prints one ``error: ...`` line and exits 2.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import logging
import os
import signal
import sys
from pathlib import Path

import click

from player.tuning import PlayerTuning
from signage.config import PlayerConfig, load_config
from signage.errors import UserError

log = logging.getLogger("player.cli")

#: How often the Qt event loop yields to Python so signal handlers run.
SIGNAL_POLL_MS = 200


def parse_geometry(value: str) -> list[int]:
    try:
        parts = [int(p.strip()) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or parts[2] <= 0 or parts[3] <= 0:
        raise UserError(
            f"--geometry {value!r}: expected X,Y,WIDTH,HEIGHT in pixels, e.g. 0,0,1920,1080",
            field="geometry",
        )
    return parts


def build_config(
    config_path: str | None,
    *,
    server: str | None = None,
    data_dir: str | None = None,
    screenshot: str | None = None,
    windowed: bool = False,
    geometry: str | None = None,
    server_key: str | None = None,
) -> PlayerConfig:
    config = load_config(PlayerConfig, config_path)
    overrides: dict[str, object] = {}
    if server:
        overrides["server_url"] = server
    if data_dir:
        overrides["data_dir"] = data_dir
    if screenshot:
        overrides["screenshot_path"] = screenshot
    if windowed:
        overrides["fullscreen"] = False
    if geometry:
        overrides["geometry"] = parse_geometry(geometry)
    if server_key:
        overrides["server_key_fingerprint"] = server_key
    if overrides:
        config = dataclasses.replace(config, **overrides)  # type: ignore[arg-type]
        config.validate("command line")
    return config


def choose_platform(environ: dict[str, str] | os._Environ[str]) -> str | None:
    """Set QT_QPA_PLATFORM=offscreen when there is no display at all; return it if set."""
    if environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    environ["QT_QPA_PLATFORM"] = "offscreen"
    return "offscreen"


def setup_logging(verbose: bool) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def run_player(config: PlayerConfig, tuning: PlayerTuning | None = None) -> int:
    """Run the Qt event loop until SIGINT/SIGTERM/SIGHUP or the window closes."""
    if choose_platform(os.environ):
        log.info("no DISPLAY or WAYLAND_DISPLAY: using QT_QPA_PLATFORM=offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from player.app import PlayerApp

    qt_app = QApplication.instance() or QApplication([sys.argv[0], "-name", "mempawah-signage"])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("mempawah-signage-player")
    qt_app.setQuitOnLastWindowClosed(True)
    player_app = PlayerApp(config, tuning=tuning or PlayerTuning.from_env())
    qt_app.aboutToQuit.connect(player_app.shutdown)

    def request_quit(signum: int, _frame: object) -> None:
        log.info("received %s: quitting", signal.Signals(signum).name)
        qt_app.quit()

    if hasattr(signal, "SIGUSR1"):  # on-site diagnosis of a hung player: `kill -USR1 PID` prints every thread's stack
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    if hasattr(signal, "SIGXFSZ"):  # past a file-size limit a write fails (EFBIG, handled) instead of killing us
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    previous = {sig: signal.signal(sig, request_quit) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    wakeup = QTimer()
    wakeup.timeout.connect(lambda: None)  # lets Python run its signal handlers
    wakeup.start(SIGNAL_POLL_MS)
    log.info("player starting: server %s, data dir %s", config.server_url,
             Path(config.data_dir).resolve())
    try:
        player_app.start()
        return int(qt_app.exec())
    finally:
        wakeup.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command("run")
@click.option("--config", "config_path", metavar="PATH", default=None,
              help="YAML config file (PlayerConfig); options below override it.")
@click.option("--server", metavar="URL", default=None, help="Scheduler base URL.")
@click.option("--data-dir", metavar="DIR", default=None,
              help="Folder for identity, cache, manifests and status.json.")
@click.option("--screenshot", metavar="PATH", default=None,
              help="Write a PNG of the canvas here periodically.")
@click.option("--server-key", metavar="FINGERPRINT", default=None,
              help="Enrol only with a scheduler holding this signing key (see `signage keys show`).")
@click.option("--windowed", is_flag=True, help="Open a normal window instead of fullscreen.")
@click.option("--geometry", metavar="X,Y,W,H", default=None,
              help="Exact window region in pixels (e.g. the LED capture region).")
@click.option("--screen", "screen", type=int, default=None, metavar="N",
              help="Cover screen N (0-based) in fullscreen; default the primary screen.")
@click.option("--max-bandwidth-kbps", type=click.IntRange(min=0), default=None, metavar="KBPS",
              help="Cap media downloads at this many kbit/s (0: no cap).")
@click.option("--cache-quota-mb", type=click.IntRange(min=0), default=None, metavar="MB",
              help="Evict media no manifest needs above this cache size.")
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def run(
    config_path: str | None,
    server: str | None,
    data_dir: str | None,
    screenshot: str | None,
    server_key: str | None,
    windowed: bool,
    geometry: str | None,
    screen: int | None,
    max_bandwidth_kbps: int | None,
    cache_quota_mb: int | None,
    verbose: bool,
) -> None:
    """Run the display player (enrol, sync, play; offline from the cache)."""
    try:
        config = build_config(
            config_path,
            server=server,
            data_dir=data_dir,
            screenshot=screenshot,
            windowed=windowed,
            geometry=geometry,
            server_key=server_key,
        )
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    setup_logging(verbose)
    tuning = PlayerTuning.from_env(screen=screen, max_bandwidth_kbps=max_bandwidth_kbps,
                                   cache_quota_mb=cache_quota_mb)
    sys.exit(run_player(config, tuning))


def main() -> None:
    """Console script ``signage-player``."""
    run(prog_name="signage-player")


if __name__ == "__main__":
    main()
