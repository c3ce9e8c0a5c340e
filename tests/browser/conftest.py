"""Fixtures of the browser tests: a headless Chromium (tests/support/browser_support.py), a screenshot folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import chromium


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<pytest basetemp>/admin-screenshots/``, shared by the tests of one run."""
    folder = tmp_path_factory.getbasetemp() / "admin-screenshots"
    folder.mkdir(exist_ok=True)
    return folder
