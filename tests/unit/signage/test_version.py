"""`signage --version` prints the running code's version (the one heartbeats report and releases bump)."""

from __future__ import annotations

import subprocess
import sys

import signage


def test_version_option_prints_the_package_version() -> None:
    done = subprocess.run([sys.executable, "-m", "signage", "--version"], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == f"signage, version {signage.__version__}"
