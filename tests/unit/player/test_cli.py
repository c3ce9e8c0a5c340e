"""The command line: config errors, option overrides, headless start, clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from player.cli import build_config, choose_platform, parse_geometry, run
from signage.errors import UserError


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path):
    bad = tmp_path / "player.yaml"
    bad.write_text("server_url: ftp://nope\n")
    result = CliRunner().invoke(run, ["--config", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1 and "server_url" in result.stderr
    assert "Traceback" not in result.output


def test_missing_config_and_bad_geometry(tmp_path: Path):
    result = CliRunner().invoke(run, ["--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "file not found" in result.stderr
    result = CliRunner().invoke(run, ["--geometry", "0,0,big,1"])
    assert result.exit_code == 2 and result.stderr.startswith("error: --geometry")


def test_options_override_the_file(tmp_path: Path):
    path = tmp_path / "player.yaml"
    path.write_text("server_url: http://a:1\npoll_interval_s: 9\ndata_dir: /x\n")
    config = build_config(str(path), server="http://b:2", data_dir=str(tmp_path),
                          windowed=True, geometry="0,0,640,360", screenshot="/tmp/s.png")
    assert config.server_url == "http://b:2" and config.data_dir == str(tmp_path)
    assert config.poll_interval_s == 9 and config.fullscreen is False
    assert config.geometry == [0, 0, 640, 360] and config.screenshot_path == "/tmp/s.png"
    with pytest.raises(UserError):
        build_config(None, server="ftp://x")
    with pytest.raises(UserError):
        parse_geometry("1,2,3")


def test_headless_picks_offscreen():
    env: dict[str, str] = {}
    assert choose_platform(env) == "offscreen" and env["QT_QPA_PLATFORM"] == "offscreen"
    assert choose_platform({"DISPLAY": ":0"}) is None
    assert choose_platform({"QT_QPA_PLATFORM": "xcb"}) is None


def read_status(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def test_process_enrols_screen_and_quits_on_sigterm(tmp_path: Path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    data_dir = tmp_path / "player"
    shot = tmp_path / "shot.png"
    proc = subprocess.Popen(
        [sys.executable, "-m", "player.cli", "--server", "http://127.0.0.1:9",
         "--data-dir", str(data_dir), "--screenshot", str(shot), "--geometry", "0,0,480,270"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if read_status(data_dir / "status.json").get("state") == "enrolling" and shot.exists():
                break
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.1)
        status = read_status(data_dir / "status.json")
        assert status["state"] == "enrolling" and len(status["enrol_code"]) == 6
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "using QT_QPA_PLATFORM=offscreen" in err
    assert "received SIGTERM: quitting" in err
    assert "Traceback" not in err
