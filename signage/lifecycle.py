"""Long-running commands stop cleanly on SIGTERM and SIGHUP, and take their child processes with them.

``kill -TERM`` (systemd, a terminal closing with SIGHUP, ``docker stop``)
must not leave a scheduler's ffmpeg or the demo's scheduler and player
running. :func:`exit_on_signals` turns SIGTERM into ``SystemExit`` (so
``finally`` blocks run) and SIGHUP into SIGTERM; a server that installs its own
SIGTERM handler while it runs (uvicorn) still gets SIGHUP as a SIGTERM.
:func:`terminate_children` stops whatever this process started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from types import FrameType

EXIT_STATUS_TERM = 128 + signal.SIGTERM


def _exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _hup_as_term(_signum: int, _frame: FrameType | None) -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def exit_on_signals() -> None:
    """SIGTERM -> SystemExit(143); SIGHUP -> SIGTERM. Call from the main thread."""
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _hup_as_term)


def child_pids(pid: int | None = None) -> list[int]:
    """Direct children of ``pid`` (default: this process), from /proc (Linux)."""
    pid = os.getpid() if pid is None else pid
    out: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] != b"Z"  # a zombie has already stopped


def terminate_children(timeout_s: float = 5.0) -> None:
    """SIGTERM every child of this process, SIGKILL those still running after ``timeout_s``."""
    pids = child_pids()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
