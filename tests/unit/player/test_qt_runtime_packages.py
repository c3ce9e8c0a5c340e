"""Item 13: the Debian packages installed for Qt cover every library its X11 (xcb) platform plugin links.

Reads the NEEDED entries of the installed PySide6 wheel's ``libqxcb.so``, ``libQt6XcbQpa.so.6`` and
xcb GL integrations, finds each library's Debian package with ``dpkg -S``, and requires it in
``deploy/qt-runtime-packages.txt`` (read by ``scripts/bootstrap.sh`` and ``deploy/install-player.sh``).
Without ``libxcb-icccm4``/``libxcb-keysyms1`` there, a display PC could not open a window.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import PySide6
import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES_FILE = ROOT / "deploy" / "qt-runtime-packages.txt"
#: Always present on Debian (essential or required by python3 itself).
BASE = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}


def listed_packages() -> set[str]:
    lines = PACKAGES_FILE.read_text().splitlines()
    return {word for line in lines if not line.startswith("#") for word in line.split()}


def test_both_installers_use_the_shared_list():
    assert {"libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libxkbcommon-x11-0"} <= listed_packages()
    for script in (ROOT / "scripts" / "bootstrap.sh", ROOT / "deploy" / "install-player.sh"):
        assert "deploy/qt-runtime-packages.txt" in script.read_text(), script
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    for tool in ("xvfb", "x11-apps"):
        assert tool in bootstrap.split(), tool


@pytest.mark.skipif(not (shutil.which("readelf") and shutil.which("dpkg")), reason="needs readelf and dpkg (Debian)")
def test_every_library_the_xcb_plugin_links_is_installed_by_the_list():
    qt = Path(PySide6.__file__).parent / "Qt"
    binaries = [qt / "plugins" / "platforms" / "libqxcb.so", *sorted((qt / "lib").glob("libQt6XcbQpa.so.6")),
                *sorted((qt / "plugins" / "xcbglintegrations").glob("*.so"))]
    assert binaries[0].exists(), binaries[0]
    needed: set[str] = set()
    for binary in binaries:
        out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
        needed |= {line.split("[")[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line}
    system = sorted(name for name in needed if not name.startswith("libQt6") and not name.startswith("libicu"))
    missing = {}
    for soname in system:
        found = subprocess.run(["dpkg", "-S", f"*/{soname}"], capture_output=True, text=True, check=False)
        packages = {line.split(":")[0] for line in found.stdout.splitlines() if ":" in line}
        if not packages & (listed_packages() | BASE):
            missing[soname] = sorted(packages) or "not installed"
    assert missing == {}, f"add to {PACKAGES_FILE.name}: {missing}"
