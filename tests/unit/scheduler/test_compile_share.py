"""Displays alike (same settings, rules reaching them and items) compile once per publish, with the same bytes.

Real store, real keys, real files (a Service on a temporary data dir) holding the compile
benchmark's world, where the displays of a kecamatan share their settings.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

from bench_compile import make_world
from tests_support import count_compiles
from world_store import write_world

import playlists.compiler as compiler_module
from playlists.compiler import compile_display, rules_targeting
from playlists.model import Display
from playlists.warnings import ScheduleWarning
from scheduler.compile_share import PLACEHOLDER_ID, SharedCompiles
from scheduler.publish import Publisher
from scheduler.publish_pool import RenderPool
from scheduler.schedule import compile_for_display
from scheduler.service import Service
from signage.config import SchedulerConfig

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
DISPLAYS = 40


@pytest.fixture
def world_service(tmp_path: Path) -> Iterator[Service]:
    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")), clock=lambda: NOW)
    displays, rules, items = make_world(DISPLAYS, 120)
    write_world(service.db, displays, rules, items)
    service.publisher.pool = RenderPool(workers=1)
    yield service
    service.close()


def _fresh_publisher(service: Service) -> Publisher:
    p = service.publisher
    return Publisher(
        service.db, service.keyring, service.media, p.manifests_dir, p.clock, db_lock=service.lock,
        pool=RenderPool(workers=1),
    )  # fmt: skip


def test_displays_alike_compile_once(world_service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    displays, rules, _items = make_world(DISPLAYS, 120)
    classes = {(replace(d, id=""), tuple(r.id for r in rules_targeting(d, rules))) for d in displays}
    assert len(classes) < DISPLAYS  # the world has displays alike
    compiled = count_compiles(monkeypatch)
    published = world_service.publisher.publish_all()
    assert len(published) == DISPLAYS
    assert len(compiled) == len(classes)  # before: one compile per display
    assert set(compiled) == {PLACEHOLDER_ID}


def test_shared_compiles_give_the_same_bytes_and_warnings(
    world_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:  # the reference: every display compiled on its own

        def alone(self: SharedCompiles, model: Display, specs: Any, ctx: Any) -> Any:
            return compile_for_display(
                model, ctx.rules, specs, ctx.playlists, ctx.now, ctx.horizon_days, budget_s=ctx.compile_budget_s
            )

        m.setattr(SharedCompiles, "compile", alone)
        reference = {p.display_id: p.body for p in world_service.publisher.publish_all()}
        reference_warnings = dict(world_service.publisher.warnings)
    assert len(reference) == DISPLAYS
    with world_service.lock:
        world_service.db.execute("delete from manifests")
        world_service.db.conn.commit()
    shutil.rmtree(world_service.publisher.manifests_dir)
    shared = _fresh_publisher(world_service)
    try:
        again = {p.display_id: p.body for p in shared.publish_all()}
    finally:
        shared.close()
    assert again == reference  # byte for byte (same key, same clock, version 1 again)
    assert shared.warnings == reference_warnings
    assert any(w for w in reference_warnings.values())  # warnings (which name their display) were compared


def test_a_shared_timeline_names_its_display_in_every_warning() -> None:
    display = Display(id="d-alike", groups=("g",), operating_hours=())
    timeline = compile_display(display, [], {}, NOW, 86_400, budget_s=None)
    placeholder = replace(display, id=PLACEHOLDER_ID)
    shared = compile_display(placeholder, [], {}, NOW, 86_400, budget_s=None)
    copy = shared.as_display("d-alike", PLACEHOLDER_ID)
    assert copy.warnings == timeline.warnings and copy.display_id == "d-alike"
    assert copy.segments_json() == timeline.segments_json() and copy.segments_digest() == timeline.segments_digest()
    warning = ScheduleWarning("x", f"on {PLACEHOLDER_ID}", PLACEHOLDER_ID, detail={"ids": [PLACEHOLDER_ID]})
    swapped = compiler_module._warning_as(warning, "d9", PLACEHOLDER_ID)
    assert swapped == ScheduleWarning("x", "on d9", "d9", detail={"ids": ["d9"]})
