"""The scheduler keeps a display's latest manifest once, gzipped, and never a whole batch of plain envelopes.

Real store, real keys, real files (a Service on a temporary data dir) holding the compile
benchmark's world; rendering in-process so the memory measured is this process's.
"""

from __future__ import annotations

import gzip
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

from bench_compile import make_world
from world_store import write_world

import playlists.compiler as compiler_module
from scheduler.publish_pool import RenderPool
from scheduler.service import Service
from signage.config import SchedulerConfig

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
DISPLAYS = 48


@pytest.fixture
def world_service(tmp_path: Path) -> Iterator[Service]:
    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")), clock=lambda: NOW)
    write_world(service.db, *make_world(DISPLAYS, 240))
    service.publisher.pool = RenderPool(workers=1)  # in-process: tracemalloc sees every render
    yield service
    service.close()


def _bytes_held(obj: object) -> int:
    return sum(len(v) for v in vars(obj).values() if isinstance(v, bytes | bytearray))


def test_the_latest_manifest_is_kept_gzipped_only(world_service: Service) -> None:
    published = world_service.publisher.publish_all()
    assert len(published) == DISPLAYS
    folder = world_service.publisher.manifests_dir
    for p in published:
        cached = world_service.publisher.latest(p.display_id)
        assert cached is not None
        plain = (folder / p.display_id / f"{p.version}.json").read_bytes()
        assert cached.body == plain and gzip.decompress(cached.body_gz) == plain  # the signed bytes, served as ever
        assert _bytes_held(cached) == len(cached.body_gz) < len(plain)  # not the plain copy besides


def test_a_large_publish_never_holds_every_plain_manifest_at_once(world_service: Service) -> None:
    # The compiler's loop cache (bounded, shared by every compile in the process) is filled first, from a
    # known empty state: what earlier tests left in it must not decide whether its growth lands in the peak.
    compiler_module._SHARED_LOOPS.clear()
    compiler_module._SHARED_KEYS.clear()
    with world_service.lock:
        display_ids = [row["id"] for row in world_service.db.table("displays").rows]
    for display_id in display_ids:
        world_service.publisher.compile(display_id)
    tracemalloc.start()
    try:
        published = world_service.publisher.publish_all()
        _current, peak_b = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(published) == DISPLAYS
    folder = world_service.publisher.manifests_dir
    plain_total_b = sum((folder / p.display_id / f"{p.version}.json").stat().st_size for p in published)
    # before: every Rendered of the batch (plain + gzip) was kept until the writes, then cached
    assert peak_b < plain_total_b * 0.75, (peak_b, plain_total_b)


def test_worker_chunks_are_submitted_a_few_ahead_not_all_at_once(
    world_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finished chunks (plain envelopes) waited in memory while the first ones were written."""
    from concurrent.futures import ProcessPoolExecutor

    from scheduler.publish import Publisher

    pool = RenderPool(workers=2, min_parallel=2, max_chunk=4)
    world_service.publisher.pool = pool
    submitted: list[int] = []
    at_first_write: list[int] = []
    real_submit, real_write = ProcessPoolExecutor.submit, Publisher._write

    def counting_submit(self: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> Any:
        submitted.append(1)
        return real_submit(self, *args, **kwargs)

    def first_write(self: Publisher, *args: Any) -> Any:
        if not at_first_write:
            at_first_write.append(len(submitted))
        return real_write(self, *args)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", counting_submit)
    monkeypatch.setattr(Publisher, "_write", first_write)
    try:
        published = world_service.publisher.publish_all()
    finally:
        pool.close()
    assert len(published) == DISPLAYS
    assert len(submitted) == DISPLAYS // 4  # chunks of at most max_chunk displays
    assert at_first_write and at_first_write[0] <= 2 * pool.workers, (at_first_write, len(submitted))
