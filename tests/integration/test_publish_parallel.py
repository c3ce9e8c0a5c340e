"""Issue 13: publishing many displays uses every core, and gives the same bytes as one process would."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_compile import make_world
from procs import alive, cmdline
from world_store import write_world

from scheduler.publish_pool import RenderPool
from scheduler.service import Service
from signage.config import SchedulerConfig
from signage.lifecycle import child_pids

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _service(data_dir: Path, static_dir: Path) -> Service:
    return Service(SchedulerConfig(data_dir=str(data_dir), static_dir=str(static_dir)), clock=lambda: NOW)


def test_parallel_publish_is_byte_identical_to_serial_and_leaves_no_process(tmp_path: Path) -> None:
    displays, rules, items = make_world(24, 200, caps_percent=5)
    template = tmp_path / "template"
    seed = _service(template, tmp_path / "unused")
    write_world(seed.db, displays, rules, items, seed.media)
    seed.close()
    seed.db.conn.close()
    shutil.copytree(template, tmp_path / "serial")
    shutil.copytree(template, tmp_path / "parallel")  # the same store and signing key
    serial = _service(tmp_path / "serial", tmp_path / "serial-static")
    parallel = _service(tmp_path / "parallel", tmp_path / "parallel-static")
    serial.publisher.pool = RenderPool(workers=1)
    parallel.publisher.pool = RenderPool(workers=2, min_parallel=2)
    before = set(child_pids())
    try:
        one = serial.publisher.publish_all()
        many = parallel.publisher.publish_all()
        workers = [p for p in set(child_pids()) - before if b"resource_tracker" not in cmdline(p)]
        assert len(workers) == 2, "the large batch ran in two worker processes"
        assert len(one) == len(many) == 24
        assert [(p.display_id, p.version, p.etag, p.body, p.body_gz) for p in one] == [
            (p.display_id, p.version, p.etag, p.body, p.body_gz) for p in many
        ]
        serial_files = _files(tmp_path / "serial" / "manifests")
        assert serial_files == _files(tmp_path / "parallel" / "manifests") and len(serial_files) == 48
        assert _files(tmp_path / "serial-static") == _files(tmp_path / "parallel-static")
        assert serial.publisher.warnings == parallel.publisher.warnings
        assert any(serial.publisher.warnings.values())  # the world's capped and never-shown rules warn
        rows = "select display_id, version, etag, body_sha256, generated_at, valid_until, key_id from manifests"
        assert list(serial.db.query(rows)) == list(parallel.db.query(rows))
        # no change: nothing new, whichever way it runs
        assert serial.publisher.publish_all() == [] and parallel.publisher.publish_all() == []
        # an edit: the displays it reaches change the same way
        for service in (serial, parallel):
            with service.lock:
                row = next(service.db.table("rules").rows_where("id = 'ann-1'"))
                body = json.loads(row["body"])
                body["dayparts"] = [{"start": "17:00", "end": "21:00"}]
                service.db.table("rules").update("ann-1", {"body": json.dumps(body)})
        changed = serial.publisher.publish_all()
        assert changed and [p.body for p in changed] == [p.body for p in parallel.publisher.publish_all()]
    finally:
        serial.close()
        parallel.close()
    assert not any(alive(pid) for pid in workers), "closing the service stops its workers"


def test_a_dead_worker_only_costs_speed(tmp_path: Path) -> None:
    """A worker killed mid-publish (out of memory...): the batch is rendered in-process, the next one in a new pool."""
    import os
    import signal

    displays, rules, items = make_world(12, 100)
    service = _service(tmp_path / "scheduler", tmp_path / "static")
    write_world(service.db, displays, rules, items, service.media)
    pool = service.publisher.pool = RenderPool(workers=2, min_parallel=2)
    before = set(child_pids())
    try:
        executor = pool._start()
        assert executor is not None
        executor.submit(os.getpid).result()  # a worker exists
        killed = [p for p in set(child_pids()) - before if b"resource_tracker" not in cmdline(p)]
        assert killed
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        published = service.publisher.publish_all()
        assert len(published) == 12
        with service.lock:
            service.db.execute("update announcements set title = 'baru'")
        assert len(service.publisher.publish_all()) == 12 and pool._executor is not None
    finally:
        service.close()


def test_small_batches_go_to_the_workers_once_they_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A three-display edit renders in-process while no workers run; once a large batch started them, on them."""
    import scheduler.publish_pool as pool_module

    displays, rules, items = make_world(14, 100)
    service = _service(tmp_path / "scheduler", tmp_path / "static")
    write_world(service.db, displays, rules, items, service.media)
    service.publisher.pool = RenderPool(workers=2)  # the default threshold (11 displays)
    in_process: list[str] = []
    real_render = pool_module.render

    def counting(job: Any, *args: Any, **kwargs: Any) -> Any:
        in_process.append(job.display["id"])
        return real_render(job, *args, **kwargs)

    monkeypatch.setattr(pool_module, "render", counting)  # the workers (spawned) keep the real one
    three = [d.id for d in displays[:3]]
    try:
        assert len(service.publisher.publish(three)) == 3
        assert sorted(in_process) == three and not service.publisher.pool.running
        in_process.clear()
        assert len(service.publisher.publish_all()) == 11  # the other eleven: a large batch starts the workers
        assert in_process == [] and service.publisher.pool.running
        with service.lock:  # new operating hours for the first three displays
            hours = json.dumps([{"start": "06:00", "end": "21:00"}])
            for display_id in three:
                service.db.table("displays").update(display_id, {"operating_hours": hours})
        changed = service.publisher.publish(three)
        assert {p.display_id for p in changed} == set(three)
        assert in_process == [], "with the workers up, a three-display batch is handed over"
    finally:
        service.close()
