"""Player updates over the air, end to end: `signage scheduler serve` and `signage player launch` as real
processes on loopback, releases built from copies of this tree with `signage release build`.

* a good release is downloaded, verified, installed beside the running version, switched to at an item
  boundary, reports healthy, and the heartbeat carries its version;
* a release that crashes at start is rolled back by the launcher, recorded as failed (not retried) and
  the scheduler sees ``rolled_back``;
* a release whose signature does not verify, or whose wheel does not hash to the signed sha256, is
  refused: never installed, never run.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from procs import DISPLAY_ID, env, make_store, signage, spawn, start_scheduler, stop, wait_for
from release_support import build_release
from tests_support import enrol_player_at, free_port, post_approve

import signage as signage_package

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TIMEOUT_S = 10
BASE = signage_package.__version__
GOOD = f"{BASE}.1" if BASE.count(".") < 3 else BASE + "1"
CRASH = f"{BASE}.2" if BASE.count(".") < 3 else BASE + "2"
GROUP = "uji-pembaruan"


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two releases built once per session: a good one and one that crashes at start."""
    root = tmp_path_factory.mktemp("releases")
    return {GOOD: build_release(root, GOOD), CRASH: build_release(root, CRASH, crash=True)}


@dataclass
class Fleet:
    url: str
    admin: tuple[str, str]
    scheduler_dir: Path
    player_dir: Path
    log_dir: Path

    def status(self) -> dict[str, Any]:
        with sqlite3.connect(self.scheduler_dir / "signage.db") as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute("select * from display_status where display_id = ?", [DISPLAY_ID]).fetchone()
        return dict(row) if row else {}

    def cli(self, *args: str) -> str:
        done = subprocess.run([*signage(*args, "--data-dir", str(self.scheduler_dir))], capture_output=True,
                              text=True, env=env(), timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def offer(self, version: str) -> None:
        r = requests.post(f"{self.url}/api/v1/admin/releases/offers", json={"group": GROUP, "version": version},
                          auth=self.admin, timeout=TIMEOUT_S)
        assert r.status_code == 200, r.text

    def state(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.player_dir / "releases" / "state.json").read_text()))
        except FileNotFoundError:
            return {}

    def launch(self, monkeypatch: pytest.MonkeyPatch, **tuning: str) -> subprocess.Popen[bytes]:
        monkeypatch.setenv("SIGNAGE_PLAYER_HEARTBEAT_INTERVAL_S", "1")
        monkeypatch.setenv("SIGNAGE_PLAYER_VERIFY_INTERVAL_S", "0")
        for name, value in tuning.items():
            monkeypatch.setenv(f"SIGNAGE_PLAYER_{name.upper()}", value)
        config = self.log_dir / "player.yaml"
        config.write_text("poll_interval_s: 2\n")
        return spawn(signage("player", "launch", "--config", str(config), "--server", self.url,
                             "--data-dir", str(self.player_dir), "--geometry", "0,0,640,360"),
                     self.log_dir / "player.log")

    def log(self) -> str:
        return (self.log_dir / "player.log").read_text(errors="replace")


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    """The real scheduler with one display in group GROUP playing 3 s text items, and an enrolled player dir."""
    scheduler_dir = tmp_path / "scheduler"
    passwords = make_store(scheduler_dir)
    port = free_port()
    proc = start_scheduler(scheduler_dir, port, tmp_path / "scheduler.log")
    url = f"http://127.0.0.1:{port}"
    admin, editor = ("admin", passwords["admin"]), ("editor", passwords["editor"])
    try:
        for method, path, body in (
            ("post", "/api/v1/admin/groups", {"id": GROUP, "name": "Uji pembaruan", "kind": "tag"}),
            ("patch", f"/api/v1/admin/displays/{DISPLAY_ID}", {"groups": [GROUP]}),
        ):
            r = requests.request(method, url + path, json=body, auth=admin, timeout=TIMEOUT_S)
            assert r.status_code in (200, 201), r.text
        for title in ("Pengumuman satu", "Pengumuman dua"):
            r = requests.post(f"{url}/api/v1/admin/announcements", auth=editor, timeout=TIMEOUT_S,
                              json={"title": title, "body": "Uji pembaruan pemutar.", "duration_s": 3,
                                    "targets": {"displays": [DISPLAY_ID]}})
            assert r.status_code in (200, 201), r.text
            ann = r.json()["announcement"]["id"]
            post_approve(f"{url}/api/v1/admin/announcements/{ann}/approve", auth=admin,
                          timeout=TIMEOUT_S).raise_for_status()
        player_dir = tmp_path / "player"
        enrol_player_at(url, admin, DISPLAY_ID, "UPD234", player_dir)
        yield Fleet(url, admin, scheduler_dir, player_dir, tmp_path)
    finally:
        stop(proc)


def _child_pids(log: str) -> list[int]:
    """The players the launcher started, from its log ("player VERSION started (pid N)")."""
    return [int(m) for m in re.findall(r"player \S+ started \(pid (\d+)\)", log)]


def _stop_launcher(player: subprocess.Popen[bytes]) -> int | None:
    stop(player)  # SIGTERM to the launcher only, as systemd's KillMode=mixed does
    return player.returncode


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_good_release_is_installed_switched_to_at_an_item_boundary_and_reported(
    fleet: Fleet, releases: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "added release" in fleet.cli("release", "add", str(releases[GOOD]))
    fleet.offer(GOOD)
    player = fleet.launch(monkeypatch)
    try:
        wait_for(lambda: fleet.status().get("app_version") == BASE, 60, "the first heartbeat", player)
        wait_for(lambda: fleet.status().get("app_version") == GOOD and fleet.status().get("update_state")
                 == "healthy", 90, f"the player to run {GOOD} and report it healthy", player)
        assert fleet.status()["update_version"] == GOOD
        state = fleet.state()
        assert state["active"] == GOOD and state["trial"] is None and state["failed"] == {}
        assert (fleet.player_dir / "releases" / GOOD / "installed.json").is_file()
        log = fleet.log()
        assert f"switching to release {GOOD} at this item boundary" in log
        assert f"switching from {BASE} to release {GOOD} (on trial)" in log
        assert f"release {GOOD} reported healthy" in log
        _assert_the_switch_was_never_black(fleet)
        listing = fleet.cli("displays", "list")
        row = next(line for line in listing.splitlines() if line.startswith(DISPLAY_ID))
        assert GOOD in row and "healthy" in row
    finally:
        code = _stop_launcher(player)
    assert code == 0, fleet.log()[-3000:]
    # the launcher passed SIGTERM on: its player stopped too (no orphan left drawing on the screen)
    assert "launcher received SIGTERM: stopping the player" in fleet.log()
    assert all(_gone(pid) for pid in _child_pids(fleet.log())), fleet.log()[-3000:]
    # the launcher starts the active release again after a restart (no switch needed)
    player = fleet.launch(monkeypatch)
    try:
        wait_for(lambda: f"player {GOOD} started" in fleet.log(), 30, "the launcher to start the release", player)
    finally:
        _stop_launcher(player)


def _assert_the_switch_was_never_black(fleet: Fleet) -> None:
    """The launcher's own event log and the bridge window's own grab: a window of ours was always up."""
    from PIL import Image, ImageChops

    releases = fleet.player_dir / "releases"
    events = [json.loads(line) for line in (releases / "switch-events.jsonl").read_text().splitlines()]
    at = {e["event"]: e for e in events}
    assert [e["event"] for e in events] == ["bridge_started", "bridge_shown", "player_exited", "new_painted",
                                            "bridge_hidden"], events
    old_pid, new_pid = _child_pids(fleet.log())[:2]
    assert at["bridge_started"]["pid"] == at["bridge_shown"]["pid"]
    assert at["player_exited"]["pid"] == old_pid and at["player_exited"]["status"] == 86
    assert at["new_painted"]["pid"] == new_pid
    # the bridge was on screen before the old player left, and left only after the new one painted
    assert at["bridge_shown"]["at_mono_s"] < at["player_exited"]["at_mono_s"]
    assert at["new_painted"]["at_mono_s"] <= at["bridge_hidden"]["at_mono_s"]
    assert "the new player painted" in at["bridge_hidden"]["reason"]
    # what the bridge showed is the old player's last frame, pixel for pixel, and that frame is content
    frame = Image.open(releases / "switch-frame.png").convert("RGB")
    shown = Image.open(releases / "bridge-shot.png").convert("RGB")
    assert frame.size == shown.size == (640, 360)
    assert ImageChops.difference(frame, shown).getbbox() is None
    assert len(frame.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 2  # text on a background, not a blank


def test_a_release_that_crashes_at_start_is_rolled_back_and_not_retried(
    fleet: Fleet, releases: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = next(releases[CRASH].parent.glob("*.whl"))
    fleet.cli("release", "add", str(wheel))  # the wheel itself: its release.json beside it is read
    assert CRASH in fleet.cli("release", "list")
    fleet.cli("release", "offer", CRASH, "--group", GROUP)
    player = fleet.launch(monkeypatch, update_max_crashes="2")
    try:
        wait_for(lambda: fleet.status().get("update_state") == "rolled_back", 90,
                 "the scheduler to see the rollback", player)
        status = fleet.status()
        assert status["update_version"] == CRASH and "before reporting healthy" in status["update_detail"]
        assert status["update_code"] == "crash_loop"  # and as a code, for the staff pages' translation
        assert json.loads(status["update_params"])["crashes"] == 2
        assert status["app_version"] == BASE  # the old version runs again
        state = fleet.state()
        assert state["active"] is None and CRASH in state["failed"]
        assert not (fleet.player_dir / "releases" / CRASH).exists()
        log = fleet.log()
        assert "this test release crashes at start" in log
        assert f"rolling back from release {CRASH} to {BASE}" in log
        # not retried: several offer polls (every 2 s) later there was still only the one switch
        seen_s = time.monotonic()
        wait_for(lambda: time.monotonic() - seen_s > 10 and fleet.status().get("update_state") == "rolled_back",
                 30, "more polls and heartbeats", player)
        assert fleet.log().count(f"switching to release {CRASH}") == 1
        assert fleet.status()["app_version"] == BASE
        assert player.poll() is None
    finally:
        code = _stop_launcher(player)
    assert code == 0


def _tamper_signature(scheduler_dir: Path, version: str) -> str:
    with sqlite3.connect(scheduler_dir / "signage.db") as conn:
        envelope = json.loads(conn.execute("select envelope from releases where version = ?", [version]).fetchone()[0])
        genuine = json.dumps(envelope)
        value = envelope["signature"]["value"]
        envelope["signature"]["value"] = ("B" if value[0] == "A" else "A") + value[1:]
        conn.execute("update releases set envelope = ? where version = ?", [json.dumps(envelope), version])
    return genuine


def test_a_release_with_a_bad_signature_or_wrong_wheel_is_refused_never_installed_never_run(
    fleet: Fleet, releases: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet.cli("release", "add", str(releases[GOOD]))
    genuine = _tamper_signature(fleet.scheduler_dir, GOOD)
    fleet.offer(GOOD)
    player = fleet.launch(monkeypatch)
    downloads = fleet.player_dir / "releases" / "downloads"
    try:
        wait_for(lambda: fleet.status().get("update_state") == "refused", 60, "the refusal to be reported", player)
        status = fleet.status()
        assert status["update_version"] == GOOD and "signature does not verify" in status["update_detail"]
        assert status["app_version"] == BASE
        assert not (fleet.player_dir / "releases" / GOOD).exists()
        assert not downloads.exists() or not any(p.is_file() for p in downloads.rglob("*"))  # not even fetched

        # A genuine signature over a wheel the server then swapped: downloaded, refused by its sha256.
        sha256 = json.loads(genuine)["manifest"]["sha256"]
        wheel = fleet.scheduler_dir / "releases" / sha256
        data = bytearray(wheel.read_bytes())
        data[len(data) // 2] ^= 0xFF
        wheel.write_bytes(bytes(data))
        with sqlite3.connect(fleet.scheduler_dir / "signage.db") as conn:
            conn.execute("update releases set envelope = ? where version = ?", [genuine, GOOD])
        wait_for(lambda: "sha256 mismatch" in (fleet.status().get("update_detail") or ""), 60,
                 "the swapped wheel to be refused", player)
        assert fleet.status()["update_state"] == "refused" and fleet.status()["app_version"] == BASE
        assert not (fleet.player_dir / "releases" / GOOD).exists()
        log = fleet.log()
        assert "switching" not in log and "(on trial)" not in log
        assert fleet.state().get("active") is None
    finally:
        code = _stop_launcher(player)
    assert code == 0
