"""Long-running commands stop on SIGTERM/SIGHUP and leave no child process behind."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from procs import alive, make_store, read_status, signage, spawn, start_player, start_scheduler, stop, wait_for
from tests_support import free_port

from signage.lifecycle import child_pids

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_sigterm_on_demo_stops_its_scheduler_and_player(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    log = tmp_path / "demo.log"
    demo = spawn(signage("demo", "--data-dir", str(root), "--port", str(free_port())), log)
    children: list[int] = []
    try:
        wait_for(lambda: "Tekan Ctrl-C" in log.read_text(errors="replace"), 300, "the demo to be up", demo)
        # the player was pinned to the demo scheduler's key and still enrolled
        wait_for(lambda: (root / "player" / "identity.json").exists(), 60, "the player to enrol", demo)
        children = child_pids(demo.pid)
        assert len(children) >= 2, children  # scheduler and player
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
        wait_for(lambda: not any(alive(pid) for pid in children), 10, "the demo's children to stop")
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for pid in children:  # never leave strays from a failed run
            if alive(pid):
                subprocess.run(["kill", "-KILL", str(pid)], check=False)


def test_sighup_stops_the_player_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "scheduler"
    make_store(data_dir)
    port = free_port()
    scheduler = start_scheduler(data_dir, port, tmp_path / "scheduler.log")
    player_dir = tmp_path / "player"
    player = start_player(f"http://127.0.0.1:{port}", player_dir, tmp_path / "player.log")
    try:
        wait_for(lambda: read_status(player_dir).get("enrol_code"), 60, "the player to show a code", player)
        player.send_signal(signal.SIGHUP)
        assert player.wait(timeout=30) == 0  # quit through Qt, not killed by the signal
        assert "received SIGHUP: quitting" in (tmp_path / "player.log").read_text(errors="replace")
        # the scheduler treats SIGHUP as SIGTERM: graceful shutdown, then exit status 128 + 15
        scheduler.send_signal(signal.SIGHUP)
        assert scheduler.wait(timeout=30) == 143
    finally:
        stop(player)
        stop(scheduler)
