"""Emergency fan-out: from the approval request to the LAST of N event streams receiving the signed emergency.

    .venv/bin/python benchmarks/bench_emergency_fanout.py [--quick] [--displays 10000] [--runs 3]

All on 127.0.0.1, with the helpers of ``bench_api_load.py`` and the stream holders of ``sse_holders.py``
(imported, not copied):

1. ``build_world``: the Mempawah demo plus enough extra displays (group ``kabupaten``) for N in all,
   each enrolled with its own token, every manifest published.
2. ``signage scheduler serve`` as a subprocess (pinned to CPU 0 where there are two), and N SSE
   connections held open by child processes (CPU 1), each recording, per connection, when the
   ``emergency`` event arrives and when the first ``manifest`` event behind it arrives.
3. Per run: the editor creates a fleet-wide emergency (every group), the admin approves it; the clock
   starts when the approval request is sent. Figures: time to the last of N signed emergency events
   (goal <= 5 s), and time to the last full-manifest event behind it (no goal: the old path, where each
   display's manifest was recompiled and signed before its event). Then the emergency is withdrawn:
   time to the last of N signed cancel events.

Writes ``benchmarks/results/emergency_fanout.json`` (``--quick``: 1,000 displays,
``emergency_fanout_quick.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_api_load as api
from resultfile import Figure, write_result
from sse_holders import HolderProcess, StreamHolders, serve_holders

GOAL_S = 5.0
FULL_DISPLAYS = 10_000
QUICK_DISPLAYS = 1_000
HOLDER_PROCS = 2
EVENT_TIMEOUT_S = 60.0
MANIFEST_TIMEOUT_S = 600.0


# --------------------------------------------------------------------------- holder child process


class FanoutHolders(StreamHolders):
    """N event streams; per connection the arrival (time.monotonic) of this run's emergency and manifest."""

    def __init__(self, n: int) -> None:
        super().__init__(hello_timeout_s=60)
        self.emergency_at: list[float | None] = [None] * n
        self.manifest_at: list[float | None] = [None] * n
        self.tails = [b""] * n  # the end of each stream's last chunk: an event name split across two reads

    def command(self, line: str) -> None:
        if line == "reset":
            self.emergency_at = [None] * len(self.emergency_at)
            self.manifest_at = [None] * len(self.manifest_at)

    def on_chunk(self, i: int, chunk: bytes, now: float) -> None:
        text = self.tails[i] + chunk
        at = text.find(b"event: emergency")
        if at >= 0 and self.emergency_at[i] is None:
            self.emergency_at[i] = now
        if (self.emergency_at[i] is not None and self.manifest_at[i] is None
                and text.find(b"event: manifest", max(at, 0)) >= 0):
            self.manifest_at[i] = now
        self.tails[i] = text[-32:]

    def status(self) -> dict[str, Any]:
        got_e = [t for t in self.emergency_at if t is not None]
        got_m = [t for t in self.manifest_at if t is not None]
        return {"emergency": len(got_e), "manifest": len(got_m), "last_emergency": max(got_e, default=None),
                "last_manifest": max(got_m, default=None), "failed": self.failed,
                "alive": self.alive_now()}  # fmt: skip


# --------------------------------------------------------------------------- the run


async def wait_all(holders: list[HolderProcess], key: str, n: int, timeout_s: float) -> tuple[int, float | None]:
    """Poll the holders until ``key`` ("emergency"/"manifest") arrived on all n streams; (count, last time)."""
    deadline = time.monotonic() + timeout_s
    while True:
        states = [await h.ask("status") for h in holders]
        count = sum(s[key] for s in states)
        lasts = [s[f"last_{key}"] for s in states if s[f"last_{key}"] is not None]
        if count >= n or time.monotonic() > deadline:
            return count, max(lasts) if lasts else None
        await asyncio.sleep(0.1)


async def one_run(port: int, world: api.World, groups: list[str], holders: list[HolderProcess], n: int, run: int,
                  server_pid: int) -> dict[str, float]:  # fmt: skip
    editor = api.basic("editor", world.editor_password)
    admin = api.basic("admin", world.admin_password)
    for holder in holders:
        await holder.ask("reset")
    until = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, body = await api.admin_post(port, "/api/v1/admin/announcements", editor, {
        "title": f"DARURAT: Uji fan-out {run} {time.time_ns()}", "body": "Latihan peringatan dini seluruh layar.",
        "layer": "emergency", "targets": {"groups": groups}, "ends_at": until}, timeout_s=120)  # fmt: skip
    if status != 201:
        raise RuntimeError(f"create emergency: HTTP {status} {body}")
    ann_id = body["announcement"]["id"]
    clicked, cpu_before = time.monotonic(), api.proc_cpu_s(server_pid)
    seen = {"version": body["announcement"]["version"]}
    approve = asyncio.create_task(api.admin_post(port, f"/api/v1/admin/announcements/{ann_id}/approve", admin, seen,
                                                 timeout_s=MANIFEST_TIMEOUT_S))  # fmt: skip
    answered: list[float] = []  # when the answer came (not when this run looked: after the manifests)
    approve.add_done_callback(lambda _task: answered.append(time.monotonic()))
    got, last_e = await wait_all(holders, "emergency", n, EVENT_TIMEOUT_S)
    push_cpu_s = api.proc_cpu_s(server_pid) - cpu_before  # read when the last arrival is seen: an upper bound
    load1 = os.getloadavg()[0]
    if got < n or last_e is None:
        raise RuntimeError(f"run {run}: only {got} of {n} streams received the emergency")
    got, last_m = await wait_all(holders, "manifest", n, MANIFEST_TIMEOUT_S)
    status, body = await approve
    http_s = answered[0] - clicked
    if status != 200 or got < n or last_m is None:
        raise RuntimeError(f"run {run}: approve HTTP {status}; {got} of {n} manifest events")
    out = {"emergency_s": last_e - clicked, "manifest_s": last_m - clicked, "approve_http_s": http_s,
           "push_cpu_s": push_cpu_s, "load1": load1}  # fmt: skip
    api.log(f"run {run}: last emergency event {out['emergency_s']:.2f} s (server CPU {push_cpu_s:.2f} s, load "
            f"{load1:.1f}), last manifest event {out['manifest_s']:.2f} s, approval answered in {http_s:.2f} s")

    for holder in holders:
        await holder.ask("reset")
    clicked = time.monotonic()
    withdraw = asyncio.create_task(api.admin_post(port, f"/api/v1/admin/announcements/{ann_id}/withdraw", admin,
                                                  {"reason": "Latihan selesai"}, timeout_s=MANIFEST_TIMEOUT_S))
    got, last_c = await wait_all(holders, "emergency", n, EVENT_TIMEOUT_S)
    if got < n or last_c is None:
        raise RuntimeError(f"run {run}: only {got} of {n} streams received the cancel")
    out["cancel_s"] = last_c - clicked
    await wait_all(holders, "manifest", n, MANIFEST_TIMEOUT_S)  # let the republish finish before the next run
    status, body = await withdraw
    if status != 200:
        raise RuntimeError(f"withdraw: HTTP {status} {body}")
    api.log(f"run {run}: last cancel event {out['cancel_s']:.2f} s")
    return out


async def run(n: int, runs: int, world: api.World, tmp: Path) -> tuple[list[dict[str, float]], dict[str, Any]]:
    db = sqlite3.connect(world.data_dir / "signage.db")
    groups = [row[0] for row in db.execute("select id from groups order by id")]
    displays = db.execute("select count(*) from displays").fetchone()[0]
    db.close()
    port = api.free_port()
    two_cpus = (os.cpu_count() or 1) > 1
    server = api.start_scheduler(world.data_dir, port, tmp / "scheduler.log", pin=two_cpus)
    deadline = time.monotonic() + 120
    while True:
        with contextlib.suppress(Exception):
            status, _, _ = await api.one_request(port, api.get_request(port, "/api/v1/health", {}, close=True), 2)
            if status == 200:
                break
        if time.monotonic() > deadline or server.poll() is not None:
            raise RuntimeError("the scheduler did not start; see scheduler.log")
        await asyncio.sleep(0.2)
    tokens = list(world.tokens.values())[:n]
    holders = [HolderProcess(Path(__file__).resolve(), "--holder", api.EXTRA_PIDS) for _ in range(HOLDER_PROCS)]
    t0 = time.perf_counter()
    for k, holder in enumerate(holders):
        await holder.start(port, tokens[k::HOLDER_PROCS], tmp / f"tokens-{k}.txt", api.CLIENT_CPU if two_cpus else None)
    for holder in holders:
        await holder.ready(360)
    connected = sum(h.connected for h in holders)
    api.log(f"{connected} of {len(tokens)} event streams open in {time.perf_counter() - t0:.1f} s")
    if connected < len(tokens):
        raise RuntimeError(f"only {connected} of {len(tokens)} streams connected: {[h.failed for h in holders]}")
    results = []
    try:
        for i in range(runs):
            results.append(await one_run(port, world, groups, holders, len(tokens), i, server.pid))
    finally:
        for holder in holders:
            await holder.stop()
    return results, {"displays": displays, "streams": connected, "groups": len(groups)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DISPLAYS} displays")
    parser.add_argument("--displays", type=int, default=None, help=f"displays in all (default {FULL_DISPLAYS})")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--holder", nargs=2, metavar=("PORT", "TOKEN_FILE"), help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.holder:  # internal: a child process holding event streams
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_holders(FanoutHolders, int(ns.holder[0]), Path(ns.holder[1]), 300))
        return 0
    n = max(len(api.DEMO_DISPLAYS) + 1, ns.displays or (QUICK_DISPLAYS if ns.quick else FULL_DISPLAYS))
    runs = max(3, ns.runs)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    tmp = Path(tempfile.mkdtemp(prefix="bench-emergency-fanout-"))
    try:
        api.log(f"building the world in {tmp}: {n} displays")
        world = api.build_world(tmp / "scheduler", n - len(api.DEMO_DISPLAYS))
        api.log(f"setup done in {world.setup_s:.1f} s (publish of every manifest {world.publish_s:.1f} s)")
        results, info = asyncio.run(run(n, runs, world, tmp))
    except KeyboardInterrupt:
        api.log("interrupted; cleaning up")
        return 130
    finally:
        api.stop_processes()
        shutil.rmtree(tmp, ignore_errors=True)
    name = "emergency_fanout_quick" if n < FULL_DISPLAYS else "emergency_fanout"
    streams = info["streams"]
    figures = [
        Figure("emergency_last_event_s", f"approval request -> last of {streams:,} streams has the signed emergency",
               "s", [r["emergency_s"] for r in results], goal=GOAL_S, goal_op="<=",
               peer_label="last full-manifest event behind it (the old first notice)",
               peer_runs=[r["manifest_s"] for r in results]),
        Figure("emergency_server_cpu_s", "server CPU time from the approval request until the last stream has it "
               "(auth, approve, sign once, fan-out; upper bound)", "s", [r["push_cpu_s"] for r in results],
               goal=GOAL_S, goal_op="<=",
               note="independent of other load on the shared machine: the wall time on an otherwise idle core"),
        Figure("manifest_last_event_s", f"approval request -> last of {streams:,} streams has its new manifest event",
               "s", [r["manifest_s"] for r in results]),
        Figure("cancel_last_event_s", f"withdraw request -> last of {streams:,} streams has the signed cancel", "s",
               [r["cancel_s"] for r in results], goal=GOAL_S, goal_op="<="),
        Figure("approve_http_s", "approval request answered (the push sent; a fleet-wide republish runs behind "
               "the answer, scheduler/publish_behind.py)", "s", [r["approve_http_s"] for r in results]),
    ]  # fmt: skip
    path = write_result(
        name, "Emergency fan-out to every display's event stream", figures,
        workload=(f"{info['displays']:,} enrolled displays (Mempawah demo + group kabupaten at 1920x1080), "
                  f"{streams:,} SSE connections held by {HOLDER_PROCS} client processes, one fleet-wide emergency "
                  f"(all {info['groups']} groups) approved and withdrawn per run, real `signage scheduler serve` "
                  "on 127.0.0.1"),
        notes=[f"median last emergency event {statistics.median(f.runs):.2f} s" for f in figures[:1]]
        + [f"machine load average (1 min) when the last emergency arrived, per run: "
           f"{', '.join(format(r['load1'], '.1f') for r in results)} on {os.cpu_count()} CPUs (shared by other work)",
           "The clock starts when the approval (or withdraw) request is sent; it includes the HTTP Basic check.",
           "Server pinned to CPU 0 and the stream holders to CPU 1 when there are two CPUs (shared machine)."],
    )  # fmt: skip
    api.log(f"written to {path}")
    for figure in figures:
        print(f"{figure.key}: median {figure.median:.2f} {figure.unit} runs {[round(r, 2) for r in figure.runs]}"
              f"{'' if figure.goal is None else f' goal <= {figure.goal} met={figure.met}'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
