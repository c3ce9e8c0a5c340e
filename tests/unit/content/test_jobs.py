from __future__ import annotations

import threading
import time

import pytest

from content.jobs import Job, JobRunner, JobState
from content.progress import ProgressCallback


@pytest.mark.parametrize("max_jobs", [1, 2])
def test_at_most_n_jobs_run_at_once(max_jobs: int) -> None:
    lock = threading.Lock()
    running = [0]
    peak = [0]

    def work(progress: ProgressCallback) -> str:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        for step in range(5):
            time.sleep(0.01)
            progress(20.0 * (step + 1))
        with lock:
            running[0] -= 1
        return "ok"

    updates: list[tuple[int, str, float]] = []

    def record(job: Job) -> None:
        updates.append((job.id, job.state.value, job.percent))

    with JobRunner(max_jobs, on_update=record) as runner:
        jobs = [runner.submit(f"job{i}", work) for i in range(4)]
        assert [job.wait(10) for job in jobs] == ["ok"] * 4
    assert peak[0] == max_jobs
    assert all(job.state is JobState.DONE and job.percent == 100.0 for job in jobs)
    assert (1, "running", 0.0) in updates and (1, "done", 100.0) in updates
    assert any(state == "running" and 0 < pct < 100 for _, state, pct in updates)


def test_a_failing_job_reports_its_error() -> None:
    def work(_progress: ProgressCallback) -> None:
        raise RuntimeError("boom")

    with JobRunner() as runner:
        job = runner.submit("bad", work)
        with pytest.raises(RuntimeError, match="boom"):
            job.wait(10)
    assert job.state is JobState.FAILED and isinstance(job.error, RuntimeError)


def test_max_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError):
        JobRunner(0)
