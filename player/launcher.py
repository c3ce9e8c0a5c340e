"""``signage player launch``: run the active player version, switch to new releases, roll back bad ones.

Plain Python (no Qt). The launcher runs ``python -m signage player run ARGS`` with the active
release's ``site`` folder first on ``PYTHONPATH`` (no release: the venv's own version) and
watches it:

* exit :data:`EXIT_SWITCH` — the player installed a verified release and reached an item
  boundary: the release named in ``next.json`` becomes active *on trial* and starts at once;
* a version on trial that writes ``health.json`` (its own version and pid) is kept (``healthy``);
* a version on trial that exits abnormally ``max_crashes`` times, or is not healthy within
  ``health_timeout_s``, is rolled back: the previous version becomes active again and the failed
  one is recorded in ``state.json`` (never retried; the player reports ``rolled_back``);
* exit 0 (SIGTERM to the player, window closed) ends the launcher with 0; any other exit
  restarts the player after a short backoff. SIGTERM/SIGINT/SIGHUP to the launcher are passed on
  (SIGTERM to the child, wait up to :data:`STOP_TIMEOUT_S`, then SIGKILL) and the launcher exits 0.

A switch never shows the desktop: the old player saves its last frame and the launcher shows it in a
bridge window until the new version has painted (:mod:`player.switch_bridge`, :mod:`player.bridge`).

Under systemd (deploy/signage-player.service) the launcher is the main process and the player its
child sends ``READY=1``/``WATCHDOG=1`` (``NotifyAccess=all``); ``WATCHDOG_PID`` is not passed on.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from player.release_state import (
    EXIT_SWITCH,
    LAUNCHER_ENV,
    LauncherState,
    is_installed,
    read_health,
    releases_dir,
    remove_release,
    site_dir,
    take_switch_request,
)
from player.switch_bridge import BRIDGE_ENV, Bridge, record

log = logging.getLogger("player.launcher")

POLL_S = 0.2
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class LaunchSettings:
    health_timeout_s: float = 600.0
    max_crashes: int = 3


class Launcher:
    def __init__(
        self,
        data_dir: Path,
        run_args: Sequence[str],
        settings: LaunchSettings,
        *,
        base_version: str,
        python: str = sys.executable,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.run_args = list(run_args)
        self.settings = settings
        self.base_version = base_version
        self.python = python
        self.monotonic = monotonic
        self.stopping = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None
        # the window that shows the old player's last frame during a switch (player/switch_bridge.py)
        self.bridge = Bridge(self.data_dir, python, env=self.environment(None))

    # -- environment -------------------------------------------------------

    def command(self) -> list[str]:
        # -P: the working directory is not put first on sys.path, so only PYTHONPATH decides which code runs
        return [self.python, "-P", "-m", "signage", "player", "run", *self.run_args]

    def environment(self, version: str | None) -> dict[str, str]:
        env = dict(os.environ)
        env[LAUNCHER_ENV] = "1"
        env[BRIDGE_ENV] = "1"  # this launcher covers a switch with the bridge window
        # Under systemd (Type=notify, NotifyAccess=all) the player, our child, sends READY/WATCHDOG for the
        # service: a WATCHDOG_PID naming the launcher would make it think the watchdog is not its job.
        if env.get("WATCHDOG_PID") == str(os.getpid()):
            del env["WATCHDOG_PID"]
        if version is not None:
            paths = [str(site_dir(self.data_dir, version)), env.get("PYTHONPATH", "")]
            env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        return env

    # -- state changes -----------------------------------------------------

    def begin_trial(self, state: LauncherState, version: str) -> None:
        if not is_installed(self.data_dir, version):
            log.error("switch to release %s requested but it is not installed; staying on %s",
                      version, state.active or self.base_version)
            return
        log.info("switching from %s to release %s (on trial)", state.active or self.base_version, version)
        state.previous, state.active = state.active, version
        state.trial = {"version": version, "crashes": 0}
        state.last = {"state": "installed", "version": version, "detail": None}
        state.save(self.data_dir)

    def mark_healthy(self, state: LauncherState, version: str) -> None:
        log.info("release %s reported healthy; keeping it", version)
        state.trial = None
        state.last = {"state": "healthy", "version": version, "detail": None}
        state.save(self.data_dir)
        keep = {state.active, state.previous, "downloads"}
        for folder in releases_dir(self.data_dir).iterdir():  # older releases: only one step back is kept
            if folder.is_dir() and folder.name not in keep and not folder.name.startswith("."):
                remove_release(self.data_dir, folder.name)

    def roll_back(self, state: LauncherState, reason: str, code: str, params: dict[str, int | float | str]) -> None:
        """``reason`` in English for the log and old schedulers; ``code``/``params`` as signage.reason_codes."""
        failed = str((state.trial or {}).get("version") or state.active)
        back_to = state.previous
        log.error("rolling back from release %s to %s: %s", failed, back_to or self.base_version, reason)
        state.failed[failed] = reason
        state.failed_codes[failed] = {"code": code, "params": params}
        state.active, state.previous, state.trial = back_to, None, None
        state.last = {"state": "rolled_back", "version": failed, "detail": reason, "code": code, "params": params}
        state.save(self.data_dir)
        remove_release(self.data_dir, failed)

    def healthy(self, version: str, pid: int) -> bool:
        health = read_health(self.data_dir) or {}
        return health.get("version") == version and health.get("pid") == pid

    # -- the loop ----------------------------------------------------------

    def run(self) -> int:
        try:
            return self._run()
        finally:
            self.bridge.stop("launcher stopping")

    def _run(self) -> int:
        crashes_in_a_row = 0
        self.bridge.clear_stale()
        while not self.stopping.is_set():
            state = LauncherState.load(self.data_dir)
            if state.active is not None and not is_installed(self.data_dir, state.active):
                state.trial = {"version": state.active, "crashes": 0}
                self.roll_back(state, f"release {state.active} is not installed any more", "not_installed",
                               {"version": state.active})
                continue
            version = state.active
            self.child = subprocess.Popen(self.command(), env=self.environment(version))
            log.info("player %s started (pid %d)", version or self.base_version, self.child.pid)
            code = self._watch(state, self.child)
            if self.stopping.is_set():
                return 0
            if code == EXIT_SWITCH:
                requested = take_switch_request(self.data_dir)
                if requested is not None:
                    self.begin_trial(LauncherState.load(self.data_dir), requested)
                crashes_in_a_row = 0
                continue
            if code == 0:
                log.info("player exited normally; launcher stopping")
                return 0
            if code is None:  # rolled back while it ran (health timeout): start the previous version now
                continue
            state = LauncherState.load(self.data_dir)
            if state.trial is not None:
                state.trial["crashes"] = int(state.trial.get("crashes", 0)) + 1
                crashes = state.trial["crashes"]
                if crashes >= self.settings.max_crashes:
                    self.roll_back(state, f"exited with status {code} {crashes} times before reporting healthy",
                                   "crash_loop", {"status": code, "crashes": crashes})
                    crashes_in_a_row = 0
                    continue
                state.save(self.data_dir)
            wait_s = RESTART_BACKOFF_S[min(crashes_in_a_row, len(RESTART_BACKOFF_S) - 1)]
            crashes_in_a_row += 1
            log.warning("player exited with status %s; restarting in %.0f s", code, wait_s)
            self.stopping.wait(wait_s)
        return 0

    def _watch(self, state: LauncherState, child: subprocess.Popen[bytes]) -> int | None:
        """Wait for the child; None if it was stopped because its trial ran out."""
        trial = state.trial
        started_s = self.monotonic()
        while True:
            try:
                code = child.wait(timeout=POLL_S)
            except subprocess.TimeoutExpired:
                pass
            else:
                self._tend_bridge(child)
                if self.bridge.active:
                    record(self.data_dir, "player_exited", time.monotonic(), pid=child.pid, status=code)
                return code
            self._tend_bridge(child)
            if self.stopping.is_set():
                self._stop_child(child)
                return child.returncode
            if trial is None:
                continue
            version = str(trial.get("version"))
            if self.healthy(version, child.pid):
                self.mark_healthy(state, version)
                trial = None
            elif self.monotonic() - started_s > self.settings.health_timeout_s:
                self._stop_child(child)
                timeout_s = round(self.settings.health_timeout_s)
                self.roll_back(state, f"no healthy report within {timeout_s} s", "health_timeout",
                               {"timeout_s": timeout_s})
                return None

    def _tend_bridge(self, child: subprocess.Popen[bytes]) -> None:
        """Start the bridge when the player saved its last frame; close it once a new player painted."""
        bridge = self.bridge
        if bridge.frame_waiting():
            bridge.start()
        bridge.poll()
        if bridge.active and bridge.shown and child.poll() is None and bridge.child_painted(child.pid):
            bridge.stop("the new player painted its first frame")

    def _stop_child(self, child: subprocess.Popen[bytes]) -> None:
        if child.poll() is not None:
            return
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def request_stop(self, signum: int, _frame: object) -> None:
        log.info("launcher received %s: stopping the player", signal.Signals(signum).name)
        self.stopping.set()
