"""`signage scheduler serve` publishing many displays on worker processes stops them all on SIGTERM."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest
from procs import alive, cmdline, make_store, signage, spawn, up, wait_for
from tests_support import free_port

from signage.lifecycle import child_pids

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _is_worker(pid: int) -> bool:
    return b"multiprocessing.spawn" in cmdline(pid)


def test_sigterm_stops_the_publish_workers(tmp_path: Path) -> None:
    from bench_compile import make_world
    from world_store import write_world

    from scheduler.service import Service
    from signage.config import SchedulerConfig

    data_dir = tmp_path / "scheduler"
    make_store(data_dir)
    service = Service(SchedulerConfig(data_dir=str(data_dir)))
    write_world(service.db, *make_world(14, 60), service.media)  # 15 displays: the start-up publish uses the pool
    service.close()
    service.db.conn.close()
    port = free_port()
    log = tmp_path / "serve.log"
    proc = spawn(signage("scheduler", "serve", "--data-dir", str(data_dir), "--port", str(port)), log)
    children: list[int] = []
    try:
        wait_for(lambda: up(f"http://127.0.0.1:{port}/api/v1/health"), 60, "the scheduler to listen", proc)
        manifests = data_dir / "manifests"
        wait_for(lambda: len(list(manifests.glob("*/1.json"))) == 15, 240, "the start-up publish", proc)
        children = child_pids(proc.pid)
        assert sum(_is_worker(pid) for pid in children) >= 1, (children, log.read_text())
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        wait_for(lambda: not any(alive(pid) for pid in children), 15, "the publish workers to stop")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log.read_text()
