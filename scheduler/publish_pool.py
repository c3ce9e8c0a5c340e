"""Rendering many manifests on every core: worker processes the publisher owns.

A group approval or the start-up publish renders hundreds or thousands of
manifests; compile + serialise + sign + gzip is CPU-bound Python, so one process
uses one core. :class:`RenderPool` splits a large batch into small contiguous chunks
(neighbouring displays share loops, which the compiler caches per process) for a
``spawn`` process pool, submitting only a few ahead of the one handed over (the
caller writes and drops each render: memory stays bounded). A small batch (fewer than
``min_parallel`` displays: an edit, an enrolment) is rendered in the calling thread while no
workers run, which beats starting them; once a large batch has started them, any batch of two or
more is handed over too (a kecamatan's ten displays after an edit: both cores).

Workers never see the store: each chunk carries picklable jobs and a pickled
:class:`RenderContext` (rules, key PEM...), unpickled once per publish per worker.
The pool starts on first use, is rebuilt after a worker dies (that batch is then
rendered in-process), and :meth:`close` stops it (the service closes it on exit).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scheduler.compile_share import SharedCompiles
from scheduler.manifest_render import RenderContext, Rendered, RenderJob, render
from signage.signing import SigningKey

log = logging.getLogger("scheduler.publish_pool")

#: Batches smaller than this are rendered in-process (a display's edit, an enrolment) unless the workers
#: are already running (a large batch started them): then any batch of two or more uses every core.
PARALLEL_MIN_DISPLAYS = 11
CHUNKS_PER_WORKER = 4
#: A chunk's renders come back together (~4 MB each in a large world): chunks stay small...
MAX_CHUNK_DISPLAYS = 16
#: ...and only this many per worker are submitted ahead of the one the caller is taking, so
#: finished chunks never pile up in the scheduler's memory while it writes the earlier ones.
CHUNKS_AHEAD_PER_WORKER = 2

_worker_context: tuple[str, RenderContext, SigningKey, SharedCompiles] | None = None


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides


def _render_chunk(token: str, context_pickle: bytes, jobs: list[RenderJob]) -> list[Rendered]:
    global _worker_context
    if _worker_context is None or _worker_context[0] != token:
        ctx: RenderContext = pickle.loads(context_pickle)
        _worker_context = (token, ctx, SigningKey.from_pem(ctx.key_pem), SharedCompiles())
    _token, ctx, key, shared = _worker_context
    return [render(job, ctx, key, shared) for job in jobs]


def _chunks(jobs: list[RenderJob], count: int) -> list[list[RenderJob]]:
    size, extra = divmod(len(jobs), count)
    out, start = [], 0
    for n in range(count):
        end = start + size + (1 if n < extra else 0)
        out.append(jobs[start:end])
        start = end
    return [chunk for chunk in out if chunk]


class RenderPool:
    def __init__(
        self, workers: int | None = None, min_parallel: int = PARALLEL_MIN_DISPLAYS,
        max_chunk: int = MAX_CHUNK_DISPLAYS,
    ) -> None:  # fmt: skip
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.min_parallel = min_parallel
        self.max_chunk = max_chunk
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def render_all(self, jobs: list[RenderJob], ctx: RenderContext) -> list[Rendered]:
        """Every job rendered, in order; in worker processes when the batch is large."""
        return list(self.render_iter(jobs, ctx))

    def render_iter(self, jobs: list[RenderJob], ctx: RenderContext) -> Iterator[Rendered]:
        """Every job rendered, in order, each handed over as soon as its chunk is done.

        The caller writes and drops each manifest as it comes: a whole batch of plain
        envelopes (~4 MB each in a large world) is never held at once.
        """
        done = 0
        if self.workers > 1 and len(jobs) >= 2 and (len(jobs) >= self.min_parallel or self.running):
            executor = self._start()
            if executor is not None:
                try:
                    for rendered in self._parallel(executor, jobs, ctx):
                        done += 1
                        yield rendered
                    return
                except BrokenProcessPool:  # a worker died (killed, out of memory): the rest in-process
                    log.warning("a publish worker process died; rendering this batch in-process")
                    self._discard(executor)
        key, shared = SigningKey.from_pem(ctx.key_pem), SharedCompiles()
        for job in jobs[done:]:
            yield render(job, ctx, key, shared)

    def _parallel(self, executor: ProcessPoolExecutor, jobs: list[RenderJob], ctx: RenderContext) -> Iterator[Rendered]:
        token = uuid.uuid4().hex
        context_pickle = pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL)
        count = max(self.workers * CHUNKS_PER_WORKER, -(-len(jobs) // max(1, self.max_chunk)))
        chunks = deque(_chunks(jobs, min(len(jobs), count)))
        ahead = self.workers * CHUNKS_AHEAD_PER_WORKER
        futures: deque[Future[list[Rendered]]] = deque()
        try:
            while chunks or futures:
                while chunks and len(futures) < ahead:
                    futures.append(executor.submit(_render_chunk, token, context_pickle, chunks.popleft()))
                chunk_out = futures.popleft().result()  # a chunk handed over is not kept by its future
                chunk_out.reverse()
                while chunk_out:
                    yield chunk_out.pop()
        finally:
            for left in futures:
                left.cancel()

    @property
    def running(self) -> bool:
        """Whether the worker processes are up (a large batch started them): then two displays are
        already worth handing over; starting them for a small batch would cost more than it saves."""
        return self._executor is not None

    def _start(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._closed:
                return None
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
                )
            return self._executor

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers (waits for a chunk being rendered); later batches render in-process."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
