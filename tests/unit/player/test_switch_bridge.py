"""The never-black switch: the real bridge window process, and the launcher's handover with stand-in players.

The stand-ins are real child processes that play the old and the new player's part of the file protocol
(player/switch_bridge.py); the bridge is the real ``python -m player.bridge`` (Qt, offscreen).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw
from procs import env, wait_for

from player import switch_bridge
from player.launcher import Launcher, LaunchSettings
from player.release_state import EXIT_SWITCH, INSTALLED_MARKER, site_dir


def _frame(path: Path, size: tuple[int, int] = (320, 180)) -> Image.Image:
    image = Image.new("RGB", size, (10, 20, 120))
    ImageDraw.Draw(image).rectangle((40, 30, 200, 120), fill=(250, 210, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return image


def test_the_bridge_window_shows_the_image_reports_and_closes_on_sigterm(tmp_path: Path) -> None:
    frame = _frame(tmp_path / "frame.png")
    ready, shot = tmp_path / "ready.json", tmp_path / "shot.png"
    proc = subprocess.Popen([sys.executable, "-P", "-m", "player.bridge", "--image", str(tmp_path / "frame.png"),
                             "--geometry", "0,0,320,180", "--ready", str(ready), "--shot", str(shot)],
                            env=env())  # fmt: skip
    try:
        wait_for(ready.exists, 60, "the bridge to report its first paint", proc)
        assert json.loads(ready.read_text())["pid"] == proc.pid
        shown = Image.open(shot).convert("RGB")
        assert shown.size == (320, 180) and ImageChops.difference(frame, shown).getbbox() is None
        assert proc.poll() is None  # it stays up until told
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


STAND_IN = f"""
import json, os, sys, time
from pathlib import Path
data = Path(sys.argv[1])
releases = data / "releases"
parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if "/releases/" in p]
version = parts[0].split("/releases/")[1].split("/")[0] if parts else "base"
if version == "base":  # the old player: save the frame, wait for the bridge, then leave for 0.2.0
    assert os.environ["SIGNAGE_PLAYER_SWITCH_BRIDGE"] == "1"
    (releases / "next.json").write_text(json.dumps({{"version": "0.2.0"}}))
    (releases / "switch-frame.png").write_bytes((data / "frame.png").read_bytes())
    (releases / "switch-frame.json").write_text(json.dumps({{"geometry": [0, 0, 320, 180], "fullscreen": False}}))
    deadline = time.monotonic() + 60
    while not (releases / "bridge-ready.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    sys.exit({EXIT_SWITCH})
# the new player: first paint after a while, then healthy, then runs until stopped
time.sleep(1.0)
(releases / "painted.json").write_text(json.dumps({{"pid": os.getpid(), "at_mono_s": time.monotonic()}}))
(data / "health.json").write_text(json.dumps({{"version": version, "pid": os.getpid()}}))
time.sleep(120)
"""


class StandInLauncher(Launcher):
    def command(self) -> list[str]:
        return [sys.executable, str(self.data_dir / "stand_in.py"), str(self.data_dir)]


def test_the_launcher_covers_the_switch_with_the_bridge_until_the_new_player_painted(tmp_path: Path,
                                                                                       monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    (tmp_path / "stand_in.py").write_text(STAND_IN)
    frame = _frame(tmp_path / "frame.png")
    site_dir(tmp_path, "0.2.0").mkdir(parents=True)
    (tmp_path / "releases" / "0.2.0" / INSTALLED_MARKER).write_text("{}")
    launcher = StandInLauncher(tmp_path, [], LaunchSettings(), base_version="0.1.0")
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(launcher.run()), daemon=True)
    thread.start()
    try:
        wait_for(lambda: any(e["event"] == "bridge_hidden" for e in switch_bridge.read_events(tmp_path)), 90,
                 "the bridge to close after the new player painted")
    finally:
        launcher.stopping.set()
        thread.join(60)
    assert result == [0]
    events = switch_bridge.read_events(tmp_path)
    assert [e["event"] for e in events] == ["bridge_started", "bridge_shown", "player_exited", "new_painted",
                                            "bridge_hidden"], events
    at = {e["event"]: e["at_mono_s"] for e in events}
    assert at["bridge_shown"] < at["player_exited"] and at["new_painted"] <= at["bridge_hidden"]
    assert events[2]["status"] == EXIT_SWITCH
    shown = Image.open(tmp_path / "releases" / switch_bridge.SHOT_PNG).convert("RGB")
    assert ImageChops.difference(frame, shown).getbbox() is None
    assert not (tmp_path / "releases" / switch_bridge.FRAME_JSON).exists()  # no bridge at the next start


def test_a_frame_left_by_an_unfinished_switch_starts_no_bridge(tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    releases.mkdir()
    (releases / switch_bridge.FRAME_JSON).write_text("{}")
    bridge = switch_bridge.Bridge(tmp_path)
    assert bridge.frame_waiting()
    bridge.clear_stale()
    assert not bridge.frame_waiting() and not bridge.active


def test_a_bridge_that_ends_by_itself_is_let_go_so_the_next_switch_gets_one(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    releases = tmp_path / "releases"
    _frame(releases / switch_bridge.FRAME_PNG)
    switch_bridge.write_json(releases / switch_bridge.FRAME_JSON, {"geometry": [0, 0, 320, 180]})
    monkeypatch.setattr(switch_bridge, "BRIDGE_MAX_S", 1.0)  # no new player ever paints: it closes itself
    bridge = switch_bridge.Bridge(tmp_path, env=env())
    assert bridge.frame_waiting()
    bridge.start()

    def let_go() -> bool:
        bridge.poll()
        return not bridge.active

    wait_for(let_go, 60, "the bridge to end by itself and be let go")
    assert [e["event"] for e in switch_bridge.read_events(tmp_path)] == ["bridge_started", "bridge_shown",
                                                                         "bridge_hidden"]
    assert switch_bridge.read_events(tmp_path)[-1]["reason"] == "the bridge ended by itself"
    switch_bridge.write_json(releases / switch_bridge.FRAME_JSON, {"geometry": [0, 0, 320, 180]})
    assert bridge.frame_waiting()  # the next switch starts a new one
