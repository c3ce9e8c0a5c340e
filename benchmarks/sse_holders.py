"""Players' event streams (``GET /api/v1/player/events``) held open in a child process, for the API benchmarks.

A benchmark subclasses ``StreamHolders`` with what it records from each chunk a stream receives and what its
``status()`` reports, runs it in a child process with ``serve_holders`` (so the streams' traffic never stalls the
parent's own measuring loop), and drives that child from the parent with ``HolderProcess``: one JSON line when the
streams are open, then one JSON line (``status()``) for each command line it sends, until ``quit``.

Used by bench_api_load.py (idle players: keep-alives, manifest events) and bench_emergency_fanout.py (when each
stream receives the emergency).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rawhttp import get_request, open_conn

EVENTS_PATH = "/api/v1/player/events"
OPEN_CONCURRENCY = 64  # connections being opened at once


class StreamHolders:
    """N event streams, one asyncio task each: waits for the catch-up ``manifest`` event on connect, then hands
    every chunk to ``on_chunk`` until the stream ends or the task is cancelled."""

    def __init__(self, hello_timeout_s: float) -> None:
        self.hello_timeout_s = hello_timeout_s
        self.connected = 0
        self.closed = 0
        self.failed: dict[str, int] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def on_chunk(self, i: int, chunk: bytes, now: float) -> None:
        """Stream ``i`` received ``chunk`` at ``now`` (time.monotonic)."""
        raise NotImplementedError

    def status(self) -> dict[str, Any]:
        """What the child reports to the parent for each command (JSON-serialisable)."""
        raise NotImplementedError

    def command(self, line: str) -> None:
        """A command from the parent other than ``quit``, handled before the status is reported."""

    async def _hold(self, i: int, port: int, token: str, sem: asyncio.Semaphore) -> None:
        writer = None
        try:
            async with sem:
                reader, writer = await open_conn(port)
                headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
                writer.write(get_request(port, EVENTS_PATH, headers))
                buf = b""
                async with asyncio.timeout(self.hello_timeout_s):
                    while b"event: manifest" not in buf:  # the catch-up hello on connect
                        chunk = await reader.read(4096)
                        if not chunk:
                            raise ConnectionResetError("closed before the first event")
                        buf += chunk
                self.connected += 1
            for _ in range(10_000_000):  # bounded; cancelled at the end of the run
                chunk = await reader.read(65536)
                if not chunk:
                    self.closed += 1
                    return
                self.on_chunk(i, chunk, time.monotonic())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            key = type(exc).__name__
            self.failed[key] = self.failed.get(key, 0) + 1
        finally:
            if writer is not None:
                writer.close()

    async def open(self, port: int, tokens: list[str], timeout_s: float) -> float:
        """Open one stream per token; seconds until all are connected or failed (or ``timeout_s`` passed)."""
        sem = asyncio.Semaphore(OPEN_CONCURRENCY)
        t0 = time.perf_counter()
        self.tasks = [asyncio.create_task(self._hold(i, port, tok, sem)) for i, tok in enumerate(tokens)]
        while time.perf_counter() - t0 < timeout_s and self.connected + sum(self.failed.values()) < len(tokens):
            await asyncio.sleep(0.05)
        return time.perf_counter() - t0

    def alive_now(self) -> int:
        return sum(1 for t in self.tasks if not t.done())

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=10)


async def serve_holders(
    make: Callable[[int], StreamHolders],
    port: int,
    token_file: Path,
    open_timeout_s: float,
    lifetime_s: float | None = None,
) -> None:
    """The child process: open a stream per token of ``token_file`` (one a line), print the opening figures as
    one JSON line, then answer each command on stdin with ``status()`` until ``quit``, end of input or
    ``lifetime_s``."""
    tokens = token_file.read_text().split()
    holders = make(len(tokens))
    open_s = await holders.open(port, tokens, open_timeout_s)
    print(json.dumps({"connected": holders.connected, "failed": holders.failed, "open_s": open_s}), flush=True)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(lifetime_s):
            for _ in range(100_000):
                line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
                if not line or line == "quit":
                    break
                holders.command(line)
                print(json.dumps(holders.status()), flush=True)
    finally:
        await holders.close()


class HolderProcess:
    """The parent's handle on one child process (``<script> <flag> PORT TOKEN_FILE``) running ``serve_holders``."""

    def __init__(self, script: Path, flag: str, pids: list[int]) -> None:
        self.script, self.flag = script, flag
        self.pids = pids  # the child's pid is added, for the benchmark's clean-up
        self.proc: asyncio.subprocess.Process | None = None
        self.connected = 0
        self.failed: dict[str, int] = {}
        self.open_s = 0.0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, port: int, tokens: list[str], token_file: Path, cpu: int | None = None) -> None:
        """Start the child on ``tokens`` (pinned to ``cpu`` when given); ``ready`` waits for its streams."""
        token_file.write_text("\n".join(tokens))
        cpus = set() if cpu is None else {cpu}

        def pin() -> None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, cpus)

        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(self.script), self.flag, str(port), str(token_file),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, start_new_session=True,
            preexec_fn=pin if cpus else None,
            limit=1 << 24,  # a status line with 10,000 connections exceeds asyncio's 64 KiB default
        )  # fmt: skip
        self.pids.append(self.proc.pid)

    async def ready(self, timeout_s: float) -> None:
        """Wait for the child's opening line: how many streams connected, which failed, in how many seconds."""
        assert self.proc is not None and self.proc.stdout is not None
        async with asyncio.timeout(timeout_s):
            first = json.loads(await self.proc.stdout.readline())
        self.connected, self.failed, self.open_s = first["connected"], first["failed"], first["open_s"]

    async def ask(self, command: str) -> dict[str, Any]:
        """Send one command line; the child's status after it."""
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        async with asyncio.timeout(30):
            reply: dict[str, Any] = json.loads(await self.proc.stdout.readline())
        return reply

    async def stop(self) -> None:
        if not self.running:
            return
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(b"quit\n")
            await self.proc.stdin.drain()
            async with asyncio.timeout(15):
                await self.proc.wait()
        except (TimeoutError, OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()
