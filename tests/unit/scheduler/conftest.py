"""Fixtures shared by the scheduler's unit tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

from bench_compile import busy_display
from world_store import write_world

from scheduler.service import Service
from signage.config import SchedulerConfig

BUSY_NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


@pytest.fixture
def busy_service(tmp_path: Path) -> Iterator[Service]:
    """A real store (Service on a temporary data dir) holding the compile benchmark's busy display
    (20-item loop, 3 interrupts, 2 overlays), its clock fixed at ``BUSY_NOW``."""
    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")), clock=lambda: BUSY_NOW)
    display, rules, items = busy_display()
    write_world(service.db, [display], rules, items)
    yield service
    service.close()
