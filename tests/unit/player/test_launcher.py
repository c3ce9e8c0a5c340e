"""The update launcher with stand-in player processes: switch, healthy, crash loop and health timeout.

The stand-in (a few lines of Python, run as a real child process) reads which release it is from
``PYTHONPATH`` exactly as the real player's code is chosen, and behaves as ``behaviour.json`` says.
The real player under the launcher is tested end to end in ``tests/e2e/test_player_update.py``.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from player.launcher import Launcher, LaunchSettings
from player.release_state import EXIT_SWITCH, INSTALLED_MARKER, LauncherState, site_dir
from signage.reason_codes import legacy_reason

STAND_IN = f"""
import json, os, sys, time
from pathlib import Path
data = Path(sys.argv[1])
parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if "/releases/" in p]
version = parts[0].split("/releases/")[1].split("/")[0] if parts else "base"
assert os.environ["SIGNAGE_PLAYER_LAUNCHER"] == "1"
with (data / "runs.log").open("a") as out:
    out.write(version + "\\n")
what = json.loads((data / "behaviour.json").read_text()).get(version, "exit0")
if what.startswith("switch:"):
    (data / "releases" / "next.json").write_text(json.dumps({{"version": what[7:]}}))
    sys.exit({EXIT_SWITCH})
if what == "healthy":
    (data / "health.json").write_text(json.dumps({{"version": version, "pid": os.getpid()}}))
    while json.loads((data / "releases" / "state.json").read_text())["trial"] is not None:
        time.sleep(0.1)
    sys.exit(0)
if what == "crash":
    sys.exit(3)
if what == "hang":
    time.sleep(120)
sys.exit(0)
"""


class StandInLauncher(Launcher):
    def command(self) -> list[str]:
        return [sys.executable, str(self.data_dir / "stand_in.py"), str(self.data_dir)]


def _setup(tmp_path: Path, behaviour: dict[str, str], installed: tuple[str, ...] = ("0.2.0",)) -> Path:
    (tmp_path / "stand_in.py").write_text(STAND_IN)
    (tmp_path / "behaviour.json").write_text(json.dumps(behaviour))
    for version in installed:
        site_dir(tmp_path, version).mkdir(parents=True)
        (tmp_path / "releases" / version / INSTALLED_MARKER).write_text("{}")
    (tmp_path / "releases").mkdir(exist_ok=True)
    return tmp_path


def _run(data_dir: Path, **settings: float) -> int:
    launcher = StandInLauncher(data_dir, [], LaunchSettings(**settings), base_version="0.1.0")  # type: ignore[arg-type]
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(launcher.run()), daemon=True)
    thread.start()
    thread.join(90)
    if thread.is_alive():
        launcher.stopping.set()
        thread.join(30)
        raise AssertionError("the launcher did not finish")
    return result[0]


def _runs(data_dir: Path) -> list[str]:
    return (data_dir / "runs.log").read_text().split()


def test_a_switch_request_starts_the_release_on_trial_and_its_health_keeps_it(tmp_path: Path) -> None:
    data_dir = _setup(tmp_path, {"base": "switch:0.2.0", "0.2.0": "healthy"}, installed=("0.1.5", "0.2.0"))
    assert _run(data_dir) == 0
    state = LauncherState.load(data_dir)
    assert (state.active, state.previous, state.trial) == ("0.2.0", None, None)
    assert not (data_dir / "releases" / "0.1.5").exists()  # neither running nor the way back: removed
    assert state.last == {"state": "healthy", "version": "0.2.0", "detail": None}
    assert _runs(data_dir) == ["base", "0.2.0"]


def test_a_release_that_keeps_crashing_is_rolled_back_and_removed(tmp_path: Path) -> None:
    data_dir = _setup(tmp_path, {"base": "switch:0.2.0", "0.2.0": "crash"})
    assert _run_until_rollback(data_dir, {"max_crashes": 2}) == 0
    state = LauncherState.load(data_dir)
    assert state.active is None and state.trial is None
    assert "exited with status 3 2 times" in state.failed["0.2.0"]
    assert state.last is not None and state.last["state"] == "rolled_back"
    assert (state.last["code"], state.last["params"]) == ("crash_loop", {"status": 3, "crashes": 2})
    assert state.failed_codes["0.2.0"] == {"code": "crash_loop", "params": {"status": 3, "crashes": 2}}
    assert legacy_reason(state.failed["0.2.0"]) == ("crash_loop", {"status": 3, "crashes": 2})  # old launchers
    assert not (data_dir / "releases" / "0.2.0").exists()
    assert _runs(data_dir) == ["base", "0.2.0", "0.2.0", "base"]


def _run_until_rollback(data_dir: Path, settings: dict[str, float]) -> int:
    """Base asks to switch only the first time (the stand-in's behaviour changes after its first run)."""
    script = data_dir / "stand_in.py"
    script.write_text(script.read_text().replace(
        'what = json.loads((data / "behaviour.json").read_text()).get(version, "exit0")',
        'what = json.loads((data / "behaviour.json").read_text()).get(version, "exit0")\n'
        'if version == "base" and (data / "runs.log").read_text().count("base") > 1:\n'
        '    what = "exit0"'))
    return _run(data_dir, **settings)


def test_a_release_that_never_reports_healthy_is_rolled_back_after_the_timeout(tmp_path: Path) -> None:
    data_dir = _setup(tmp_path, {"base": "switch:0.2.0", "0.2.0": "hang"})
    assert _run_until_rollback(data_dir, {"health_timeout_s": 2.0}) == 0
    state = LauncherState.load(data_dir)
    assert state.active is None and "no healthy report within 2 s" in state.failed["0.2.0"]
    assert state.last is not None and (state.last["code"], state.last["params"]) == ("health_timeout",
                                                                                      {"timeout_s": 2})
    assert legacy_reason(state.failed["0.2.0"]) == ("health_timeout", {"timeout_s": 2})
    assert _runs(data_dir) == ["base", "0.2.0", "base"]


def test_a_switch_to_a_release_that_is_not_installed_is_ignored(tmp_path: Path) -> None:
    data_dir = _setup(tmp_path, {"base": "switch:0.3.0"}, installed=())
    assert _run_until_rollback(data_dir, {}) == 0
    assert LauncherState.load(data_dir).active is None
    assert _runs(data_dir) == ["base", "base"]


def test_under_systemd_the_child_takes_over_the_watchdog(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # systemd names the launcher (its main process) in WATCHDOG_PID; the player must not think that means "not me"
    import os

    launcher = Launcher(tmp_path, [], LaunchSettings(), base_version="0.1.0")
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    env = launcher.environment(None)
    assert "WATCHDOG_PID" not in env and env["WATCHDOG_USEC"] == "30000000"
    monkeypatch.setenv("WATCHDOG_PID", "1")  # someone else's watchdog: passed on untouched
    assert launcher.environment(None)["WATCHDOG_PID"] == "1"
