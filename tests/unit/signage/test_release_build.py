"""`signage release build` builds offline when the venv has the build tools, and says so when it cannot."""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path

import pytest

from signage.release_build import build_wheel, choose_isolation, missing_build_tools


def _tree(root: Path, requires: str) -> Path:
    """A tiny project whose pyproject.toml needs ``requires`` to build (an SPDX license: setuptools >= 77)."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[build-system]\nrequires = [{requires}]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "tiny-release"\nversion = "1.2.3"\nlicense = "GPL-3.0-or-later"\n\n'
        '[tool.setuptools]\npy-modules = ["tiny"]\n'
    )
    (root / "tiny.py").write_text("VALUE = 1\n")
    return root


def test_this_venv_has_the_project_s_build_tools() -> None:
    # scripts/bootstrap.sh installs setuptools (>= 77) and wheel from constraints.txt
    assert missing_build_tools(Path(__file__).resolve().parents[3]) == []


def test_a_missing_build_tool_is_named_and_chooses_the_isolated_build(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "src", '"setuptools>=9999", "wheel", "no-such-build-tool-xyz"')
    missing = missing_build_tools(tree)
    assert missing == [f"setuptools>=9999 (this venv has {version('setuptools')})", "no-such-build-tool-xyz"]
    notes: list[str] = []
    assert choose_isolation(tree, None, notes.append) is True
    assert "setuptools>=9999" in notes[0] and "scripts/bootstrap.sh" in notes[0]
    assert choose_isolation(tree, False, notes.append) is False and len(notes) == 1  # forced: no note


def test_the_wheel_builds_with_no_package_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With no index at all, an isolated build could not fetch setuptools: only the venv's tools can build it.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    tree = _tree(tmp_path / "src", '"setuptools>=77", "wheel"')
    notes: list[str] = []
    wheel = build_wheel(tree, tmp_path / "out", note=notes.append)
    assert wheel.name == "tiny_release-1.2.3-py3-none-any.whl" and wheel.is_file()
    assert notes == [] and os.environ["PIP_NO_INDEX"] == "1"
