"""Never black during an update switch: the files and the launcher's side of the bridge window.

The handover, all files in ``<data_dir>/releases/``:

1. the old player, at the item boundary where it switches, saves its last painted frame
   (``switch-frame.png``) and its window (``switch-frame.json``: geometry, fullscreen), then keeps
   showing that frame and waits (at most :data:`BRIDGE_WAIT_S`) for the bridge;
2. the launcher sees the frame and starts the bridge (``python -m player.bridge``): a frameless
   window on the same geometry showing that image. After its first paint the bridge writes
   ``bridge-ready.json`` (its pid, when) and a grab of itself (``bridge-shot.png``);
3. the old player sees ``bridge-ready.json`` and exits with ``EXIT_SWITCH``; the launcher starts
   the new version, which writes ``painted.json`` (its pid, when) at its first painted frame;
4. the launcher then stops the bridge. The bridge never outlives :data:`BRIDGE_MAX_S`, nor the
   new player.

Plain Python (no Qt): the launcher imports this. ``switch-events.jsonl`` records each step with
``time.monotonic()`` (one clock for all processes of the machine), so the order can be checked.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from player.release_state import releases_dir
from signage.fsutil import atomic_write_bytes

log = logging.getLogger("player.launcher")

#: Set by a launcher that shows a bridge; a player under an older launcher switches without waiting for one.
BRIDGE_ENV = "SIGNAGE_PLAYER_SWITCH_BRIDGE"
FRAME_PNG = "switch-frame.png"
FRAME_JSON = "switch-frame.json"
READY_JSON = "bridge-ready.json"
SHOT_PNG = "bridge-shot.png"
PAINTED_JSON = "painted.json"
EVENTS_JSONL = "switch-events.jsonl"
#: The old player waits this long for the bridge before it exits anyway (a bridge that cannot start).
BRIDGE_WAIT_S = 10.0
#: The bridge closes itself after this long even if nobody stops it.
BRIDGE_MAX_S = 120.0
BRIDGE_STOP_TIMEOUT_S = 5.0


def path(data_dir: Path, name: str) -> Path:
    return releases_dir(data_dir) / name


def read_json(file: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads(file.read_text())
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


def write_json(file: Path, document: Mapping[str, Any]) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(file, json.dumps(dict(document)).encode() + b"\n", sync=False)


def mark_painted(data_dir: Path) -> None:
    """The player's first frame is on screen (written once per process, under the launcher)."""
    write_json(path(data_dir, PAINTED_JSON), {"pid": os.getpid(), "at_mono_s": time.monotonic()})


def record(data_dir: Path, event: str, at_mono_s: float, **detail: Any) -> None:
    """Append one step of a switch to ``switch-events.jsonl`` (and the log)."""
    line = json.dumps({"event": event, "at_mono_s": round(at_mono_s, 4), **detail})
    log.info("switch: %s", line)
    try:
        with path(data_dir, EVENTS_JSONL).open("a") as out:
            out.write(line + "\n")
    except OSError as exc:
        log.warning("cannot record the switch event %s: %s", event, exc)


def read_events(data_dir: Path) -> list[dict[str, Any]]:
    try:
        lines = path(data_dir, EVENTS_JSONL).read_text().splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


class Bridge:
    """The launcher's handle on the bridge window process of one switch."""

    def __init__(self, data_dir: Path, python: str = sys.executable, env: Mapping[str, str] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.python = python
        self.env = dict(os.environ if env is None else env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.shown = False

    @property
    def active(self) -> bool:
        return self.proc is not None

    def frame_waiting(self) -> bool:
        """The old player saved its frame and waits for a bridge."""
        return not self.active and path(self.data_dir, FRAME_JSON).is_file()

    def start(self) -> None:
        frame = read_json(path(self.data_dir, FRAME_JSON)) or {}
        path(self.data_dir, READY_JSON).unlink(missing_ok=True)
        path(self.data_dir, PAINTED_JSON).unlink(missing_ok=True)
        geometry = frame.get("geometry") or [0, 0, 0, 0]
        command = [self.python, "-P", "-m", "player.bridge", "--image", str(path(self.data_dir, FRAME_PNG)),
                   "--geometry", ",".join(str(int(v)) for v in geometry),
                   "--ready", str(path(self.data_dir, READY_JSON)), "--shot", str(path(self.data_dir, SHOT_PNG)),
                   "--max-s", str(BRIDGE_MAX_S)]
        if frame.get("fullscreen"):
            command.append("--fullscreen")
        self.proc = subprocess.Popen(command, env=self.env)
        self.shown = False
        record(self.data_dir, "bridge_started", time.monotonic(), pid=self.proc.pid)

    def poll(self) -> None:
        """Notice the bridge's first paint (its own time) once, and a bridge that ended by itself."""
        if self.proc is None:
            return
        if not self.shown:
            ready = read_json(path(self.data_dir, READY_JSON))
            if ready is not None and ready.get("pid") == self.proc.pid:
                self.shown = True
                record(self.data_dir, "bridge_shown", float(ready.get("at_mono_s", time.monotonic())),
                       pid=self.proc.pid)
        if self.proc.poll() is None:
            return
        if self.shown:  # its BRIDGE_MAX_S ran out (no new player painted) or it was closed from outside
            record(self.data_dir, "bridge_hidden", time.monotonic(), reason="the bridge ended by itself",
                   status=self.proc.returncode)
        else:
            log.warning("the switch bridge exited (status %s) before it was shown", self.proc.returncode)
        self._forget()

    def child_painted(self, pid: int) -> bool:
        """True once the new player ``pid`` reported its first painted frame (recorded once)."""
        painted = read_json(path(self.data_dir, PAINTED_JSON))
        if painted is None or painted.get("pid") != pid:
            return False
        record(self.data_dir, "new_painted", float(painted.get("at_mono_s", time.monotonic())), pid=pid)
        return True

    def stop(self, reason: str) -> None:
        self.poll()  # record its first paint if not yet seen; let go of one that already ended
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=BRIDGE_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        record(self.data_dir, "bridge_hidden", time.monotonic(), reason=reason, status=proc.returncode)
        self._forget()

    def _forget(self) -> None:
        self.proc = None
        for name in (FRAME_JSON, READY_JSON):  # the PNGs stay until the next switch (what was shown)
            path(self.data_dir, name).unlink(missing_ok=True)

    def clear_stale(self) -> None:
        """At launcher start: a frame left by a switch that never finished must not start a bridge."""
        self._forget()
