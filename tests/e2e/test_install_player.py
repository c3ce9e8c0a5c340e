"""deploy/install-player.sh into a throwaway root (--root): files, modes, venv, unit, kiosk session.

The installer really creates the venv and installs the project with the
versions from constraints.txt, offline: pip gets ``--no-index --find-links``
the wheelhouse scripts/bootstrap.sh fills (scripts/wheelhouse.py; or the pip
arguments in SIGNAGE_TEST_PIP_ARGS), so the test touches no network; only what would
change the host (packages, the user, systemctl start, update-grub) is skipped,
and the unit is enabled with ``systemctl --root``. The unit passes
``systemd-analyze verify`` with its ExecStart pointed at the installed venv,
and the kiosk X session switches blanking and DPMS off and then holds on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from procs import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "deploy" / "install-player.sh"
WHEELHOUSE = REPO / "scripts" / "wheelhouse.py"
SERVER = "http://127.0.0.1:8470"
INSTALL_TIMEOUT_S = 900


def offline_pip_args() -> str:
    """pip arguments that install from the local wheelhouse only (never the package index)."""
    if os.environ.get("SIGNAGE_TEST_PIP_ARGS"):
        return os.environ["SIGNAGE_TEST_PIP_ARGS"]
    check = subprocess.run([sys.executable, str(WHEELHOUSE), "--check"], capture_output=True, text=True, timeout=60)
    if check.returncode != 0:
        pytest.fail(check.stderr.strip())
    where = subprocess.run([sys.executable, str(WHEELHOUSE), "--path"], capture_output=True, text=True,
                           timeout=60, check=True).stdout.strip()  # fmt: skip
    return f"--no-index --find-links {where}"


def install(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALLER), "--root", str(root), "--server", SERVER, *extra, "--pip-args", offline_pip_args()],
        capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
    )  # fmt: skip


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, subprocess.CompletedProcess[str]]]:
    root = tmp_path_factory.mktemp("display-pc") / "root"
    result = install(root, "--kiosk")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    yield root, result


def test_installs_venv_config_data_dir_and_unit_under_the_root(installed) -> None:  # type: ignore[no-untyped-def]
    root, result = installed
    for skipped in ("apt-get install", "useradd", "systemctl daemon-reload", "update-grub",
                    "systemctl set-default graphical.target"):
        assert f"skipped (--root): {skipped}" in result.stdout, result.stdout
    signage = root / "opt/signage/venv/bin/signage"
    probe = subprocess.run([str(signage), "--version"], capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == f"signage, version {version('mempawah-signage')}"
    assert os.access(root / "opt/signage/venv/bin/signage-player", os.X_OK)
    assert (root / "opt/signage/src/constraints.txt").is_file() and not (root / "opt/signage/src/.venv").exists()

    config = root / "etc/signage/player.yaml"
    assert mode(root / "etc/signage") == 0o755 and mode(config) == 0o644
    assert f'server_url: "{SERVER}"' in config.read_text()
    assert 'data_dir: "/var/lib/signage-player"' in config.read_text()
    assert mode(root / "var/lib/signage-player") == 0o750

    unit = root / "etc/systemd/system/signage-player.service"
    assert mode(unit) == 0o644 and unit.read_text() == (REPO / "deploy/signage-player.service").read_text()
    wants = root / "etc/systemd/system/graphical.target.wants/signage-player.service"
    assert wants.is_symlink() and os.readlink(wants) == "/etc/systemd/system/signage-player.service"
    journald = (root / "etc/systemd/journald.conf.d/signage.conf").read_text()
    assert "SystemMaxUse=" in journald and "MaxRetentionSec=" in journald


def test_the_unit_passes_systemd_analyze_verify(installed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, _ = installed
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing (package systemd)"
    unit = (root / "etc/systemd/system/signage-player.service").read_text()
    # the update launcher from the installed venv, with the player's own arguments; the player (its child) notifies
    assert "\nExecStart=/opt/signage/venv/bin/signage player launch --config /etc/signage/player.yaml\n" in unit
    assert "\nNotifyAccess=all\n" in unit and "\nType=notify\n" in unit and "\nKillMode=mixed\n" in unit
    launch = subprocess.run([str(root / "opt/signage/venv/bin/signage"), "player", "launch", "--launcher-help"],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert launch.returncode == 0 and "update launcher" in launch.stdout, launch.stderr
    # verify checks that ExecStart exists: point it at the installed venv
    check = tmp_path / "signage-player.service"
    check.write_text(unit.replace("ExecStart=/opt/signage/", f"ExecStart={root}/opt/signage/"))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", check.name], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    # and it can fail: a unit whose binary is missing is reported
    check.write_text(unit.replace("ExecStart=/opt/signage/", f"ExecStart={tmp_path}/missing/"))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", check.name], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode != 0 and "not executable" in result.stderr


def test_kiosk_session_autologs_in_starts_x_and_keeps_the_screen_awake(installed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, _ = installed
    getty = (root / "etc/systemd/system/getty@tty1.service.d/signage-autologin.conf").read_text()
    assert "--autologin signage" in getty and "\nExecStart=\n" in getty
    assert "consoleblank=0" in (root / "etc/default/grub.d/signage-consoleblank.cfg").read_text()
    assert "startx" in (root / "home/signage/.bash_profile").read_text()
    xinitrc = root / "home/signage/.xinitrc"
    assert mode(xinitrc) == 0o755

    # Xvfb ignores screen-saver settings and has no DPMS, so the session runs against a recording xset
    # (an external tool) on PATH; sleep stays the real one: the session must hold on.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "xset-calls"
    (bin_dir / "xset").write_text(f'#!/bin/sh\necho "$DISPLAY $*" >> {calls}\n')
    (bin_dir / "xset").chmod(0o755)
    env = {**os.environ, "DISPLAY": ":0", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    session = subprocess.Popen(["sh", str(xinitrc)], env=env)
    try:
        wait_for(lambda: calls.exists() and len(calls.read_text().splitlines()) >= 3, 30, "the xset calls")
        time.sleep(0.5)
        assert calls.read_text().splitlines() == [":0 s off", ":0 s noblank", ":0 -dpms"]
        assert session.poll() is None, "the session must stay alive (it holds the X server)"
    finally:
        session.terminate()
        session.wait(timeout=10)


def test_a_second_run_keeps_the_operator_s_config(installed) -> None:  # type: ignore[no-untyped-def]
    root, _ = installed
    config = root / "etc/signage/player.yaml"
    edited = config.read_text() + "rotation: 90\n"
    config.write_text(edited)
    result = install(root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert config.read_text() == edited


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "ftp://x"], "--server must start with http:// or https://"),
        (["--bogus"], "unknown option --bogus"),
        (["--source", "/nonexistent"], "is not a checkout of the signage project"),
        (["--root"], "--root needs a value"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(tmp_path: Path, args: list[str], message: str) -> None:
    root = tmp_path / "root"
    result = subprocess.run(["bash", str(INSTALLER), *args, "--root", str(root)] if args != ["--root"]
                            else ["bash", str(INSTALLER), "--root"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not root.exists() or not any(root.iterdir())
