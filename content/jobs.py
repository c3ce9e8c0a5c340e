"""A small job runner: at most ``max_jobs`` normalisations at once, each reporting percent.

ffmpeg already uses every core for one job, so the default is one job at a time;
the others wait in order. ``on_update(job)`` is called on every state change and
whenever the percent moves by at least one point (the scheduler stores it).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from content.progress import ProgressCallback


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Job:
    id: int
    name: str
    state: JobState = JobState.QUEUED
    percent: float = 0.0
    result: Any = None
    error: BaseException | None = None
    _future: Future[Any] | None = field(default=None, repr=False)

    def wait(self, timeout_s: float | None = None) -> Any:
        """The job's result; re-raises its exception."""
        assert self._future is not None
        return self._future.result(timeout=timeout_s)


Work = Callable[[ProgressCallback], Any]


class JobRunner:
    def __init__(
        self, max_jobs: int = 1, on_update: Callable[[Job], None] | None = None,
        ids: Iterator[int] | None = None, name: str = "content-job",
    ) -> None:  # fmt: skip
        """``ids``: job numbers shared with other runners (one numbering over several queues)."""
        if max_jobs < 1:
            raise ValueError("max_jobs must be at least 1")
        self.max_jobs = max_jobs
        self._pool = ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix=name)
        self._on_update = on_update or (lambda _job: None)
        self._ids = ids if ids is not None else itertools.count(1)
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}

    def submit(self, name: str, work: Work) -> Job:
        job = Job(next(self._ids), name)
        with self._lock:
            self._jobs[job.id] = job
        job._future = self._pool.submit(self._run, job, work)
        self._on_update(job)
        return job

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def running(self) -> int:
        return sum(1 for job in self.jobs() if job.state is JobState.RUNNING)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.shutdown()

    def _run(self, job: Job, work: Work) -> Any:
        job.state = JobState.RUNNING
        self._on_update(job)
        last = [0.0]

        def progress(percent: float) -> None:
            job.percent = max(job.percent, min(100.0, percent))
            if job.percent - last[0] >= 1.0:
                last[0] = job.percent
                self._on_update(job)

        try:
            job.result = work(progress)
        except BaseException as exc:
            job.state, job.error = JobState.FAILED, exc
            self._on_update(job)
            raise
        job.state, job.percent = JobState.DONE, 100.0
        self._on_update(job)
        return job.result
