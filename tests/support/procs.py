"""Real `signage` processes for tests: a store on disk, the scheduler and the player as subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

DISPLAY_ID = "layar-uji"


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["QT_QPA_PLATFORM"] = "offscreen"
    out.pop("DISPLAY", None)
    out.pop("WAYLAND_DISPLAY", None)
    return out


def make_store(data_dir: Path, display_id: str = DISPLAY_ID) -> dict[str, str]:
    """A store with an admin, an editor and one 640x360 display and no content; their passwords."""
    from scheduler.auth import create_user
    from scheduler.service import Service
    from scheduler.store import dumps
    from signage.config import SchedulerConfig

    service = Service(SchedulerConfig(data_dir=str(data_dir)))
    now = service.now_iso()
    passwords = {role: create_user(service.db, role, role, None, now) for role in ("admin", "editor")}
    service.db["displays"].insert(
        {
            "id": display_id,
            "name": "Layar uji",
            "location": "",
            "width": 640,
            "height": 360,
            "rotation": 0,
            "timezone": "Asia/Pontianak",
            "groups": dumps([]),
            "tags": dumps([]),
            "operating_hours": dumps([]),
            "created_at": now,
        }
    )
    service.close()
    service.db.conn.close()
    return passwords


def spawn(command: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env(), **kwargs)


def signage(*args: str) -> list[str]:
    return [sys.executable, "-m", "signage", *args]


def up(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def start_scheduler(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = spawn(signage("scheduler", "serve", "--data-dir", str(data_dir), "--port", str(port)), log)
    wait_for(lambda: up(f"http://127.0.0.1:{port}/api/v1/health"), 60, "scheduler to listen", proc)
    return proc


def start_player(
    server: str, data_dir: Path, log: Path, *extra: str, config_yaml: str = "poll_interval_s: 2\n"
) -> subprocess.Popen[bytes]:
    """`signage player run` offscreen at 640x360 with ``config_yaml`` as its config file (next to ``data_dir``)."""
    config = data_dir.parent / f"{data_dir.name}.yaml"
    config.write_text(config_yaml)
    command = signage("player", "run", "--config", str(config), "--server", server, "--data-dir", str(data_dir))
    return spawn([*command, "--geometry", "0,0,640,360", *extra], log)


def wait_for(
    predicate: Callable[[], Any],
    timeout_s: float,
    what: str,
    proc: subprocess.Popen[bytes] | None = None,
    *,
    log: Path | None = None,
    poll_s: float = 0.2,
) -> Any:
    """The first truthy value of ``predicate``, asked every ``poll_s``; fails when ``proc`` exits or time runs out
    (with the tail of ``log``, when given)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) while waiting for {what}{_tail(log)}")
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}{_tail(log)}")


def _tail(log: Path | None) -> str:
    return "" if log is None else f":\n{log.read_text(errors='replace')[-3000:]}"


def show_logs(folder: Path) -> None:
    """Print the tail of each ``*.log`` in ``folder`` when E2E_SHOW_LOGS is set (pytest shows it for a failure)."""
    if os.environ.get("E2E_SHOW_LOGS"):
        for log in sorted(folder.glob("*.log")):
            print(log.read_text(errors="replace")[-4000:])


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (read from /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] != b"Z"


def cmdline(pid: int) -> bytes:
    """The process's command line as /proc has it (NUL-separated); empty once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def read_status(data_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((data_dir / "status.json").read_text()))
    except (FileNotFoundError, ValueError):
        return {}


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout_s``."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
