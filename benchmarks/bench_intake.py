"""Intake benchmark: heartbeat and proof-of-play req/s and p99 against a real ``serve``, before and after.

    .venv/bin/python benchmarks/bench_intake.py [--quick] [--before REF] [--rows 2000000]
                                                [--duration 10] [--connections 32] [--runs 3]

All on 127.0.0.1. "Before" is the code at git ``REF`` (default: the commit this
branch started from), unpacked with ``git archive`` into a temporary folder; "after"
is this tree. For each tree:

1. a fresh data dir (an admin, ``--displays`` displays, each enrolled with its own
   token) is built by *that* tree's code (its own migrations);
2. ``python -m signage scheduler serve`` runs pinned to CPU 0; wrk (pinned to CPU 1,
   one thread, ``--connections`` keep-alive connections, closed loop) posts
   heartbeats, then play-event batches (``--batch`` events with fresh UUIDs, so
   every event is new), ``--runs`` times each, after a short warm-up;
3. ``--rows`` play events are added to the store (the server stopped), the server
   is started again and the play-event runs are repeated: the GOAL is that the
   per-request cost does not grow with the table (after: the server's CPU time
   per request with the rows within 20% of that without; CPU time, read from
   /proc, is not skewed by other load on a shared machine as req/s are).

Writes ``benchmarks/results/intake.json`` (``--quick``: ``intake_quick.json``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api_load import free_port, log  # noqa: E402  (benchmarks/ is not a package)
from rawhttp import HOST  # noqa: E402
from resultfile import Figure, write_result  # noqa: E402

SERVER_CPU = "0"
CLIENT_CPU = "1"
BASE_REF = "52aa61e"  # the main commit this branch started from (before the intake writer)
GOAL_GROWTH_X = 1.2  # after: server CPU per play-event POST with the rows / without


SETUP = textwrap.dedent(
    """
    import json, sys
    from scheduler import enrolment
    from scheduler.auth import create_user
    from scheduler.service import Service
    from scheduler.store import dumps
    from signage.config import SchedulerConfig

    data_dir, n = sys.argv[1], int(sys.argv[2])
    service = Service(SchedulerConfig(data_dir=data_dir))
    db, now, now_iso = service.db, service.clock(), service.now_iso()
    create_user(db, "admin", "admin", None, now_iso)
    tokens = []
    db.execute("BEGIN")
    for i in range(n):
        display_id = f"bench-{i:04d}"
        db["displays"].insert({"id": display_id, "name": display_id, "location": "", "width": 640, "height": 360,
            "rotation": 0, "timezone": "Asia/Pontianak", "groups": dumps([]), "tags": dumps([]),
            "operating_hours": dumps([]), "created_at": now_iso})
        code = "".join(enrolment.CODE_ALPHABET[(i // 32 ** k) % 32] for k in range(6))
        secret = f"bench-secret-{code}-" + "x" * 32
        enrolment.request_enrolment(db, code, display_id, enrolment.secret_digest(secret), "127.0.0.1", now)
        enrolment.approve(db, code, display_id, now)
        tokens.append(enrolment.collect(db, code, secret, now)["token"])
    db.execute("COMMIT")
    service.close()
    print(json.dumps(tokens))
    """
)

LUA = textwrap.dedent(
    """
    local tokens = {@TOKENS@}
    local mode = "@MODE@"
    local batch = @BATCH@
    local started, ended = "@STARTED@", "@ENDED@"
    local prefix = "@PREFIX@"
    local counter = 0
    local function event()
      counter = counter + 1
      local id = string.format("%s-%04x-4000-8000-%012x", prefix, math.floor(counter / 4294967296) % 65536, counter)
      return '{"id":"' .. id .. '","item_id":"ann-1","started_at":"' .. started .. '","ended_at":"' .. ended ..
             '","duration_ms":10000}'
    end
    request = function()
      local token = tokens[(counter % #tokens) + 1]
      local body, path
      if mode == "play" then
        local parts = {}
        for i = 1, batch do parts[i] = event() end
        body = '{"events":[' .. table.concat(parts, ",") .. ']}'
        path = "/api/v1/player/play-events"
      else
        counter = counter + 1
        body = '{"status":"playing","current_item":"ann-1","free_disk_bytes":10000000000,"warnings":[]}'
        path = "/api/v1/player/heartbeat"
      end
      return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token,
                                       ["Content-Type"] = "application/json"}, body)
    end
    done = function(summary, latency, requests)
      local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.timeout
      io.write(string.format("BENCH rps=%f p99_us=%f p50_us=%f errors=%d requests=%d\\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(99), latency:percentile(50), errors,
        summary.requests))
    end
    """
)


@dataclass
class Tree:
    label: str
    path: Path
    tokens: list[str] = field(default_factory=list)
    data_dir: Path | None = None


def unpack(ref: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def check_code(tree: Tree) -> None:
    """Fail loudly unless the tree's own code is what its processes import."""
    out = subprocess.run([sys.executable, "-c", "import scheduler; print(scheduler.__file__)"], env=env_for(tree),
                         cwd=tree.path, capture_output=True, text=True, check=True)  # fmt: skip
    if not Path(out.stdout.strip()).resolve().is_relative_to(tree.path.resolve()):
        raise SystemExit(f"{tree.label}: imports {out.stdout.strip()}, not the code in {tree.path}")


def env_for(tree: Tree) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree.path)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def setup(tree: Tree, data_dir: Path, displays: int) -> None:
    import json

    out = subprocess.run([sys.executable, "-c", SETUP, str(data_dir), str(displays)], env=env_for(tree),
                         cwd=tree.path, capture_output=True, text=True, check=True)  # fmt: skip
    tree.tokens = json.loads(out.stdout.strip().splitlines()[-1])
    tree.data_dir = data_dir


def add_rows(data_dir: Path, rows: int, tokens_displays: int) -> None:
    """``rows`` received-just-now play events spread over the displays and the last 60 days."""
    conn = sqlite3.connect(data_dir / "signage.db", isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    now = datetime.now(UTC)
    chunk = 50_000
    for first in range(0, rows, chunk):
        batch = []
        for i in range(first, min(rows, first + chunk)):
            started = now - timedelta(seconds=(i * 2593) % (60 * 86400))
            batch.append((str(uuid.UUID(int=i + 1)), f"bench-{i % tokens_displays:04d}", f"ann-{i % 40}",
                          started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          (started + timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ"), 10000, "played", "",
                          now.strftime("%Y-%m-%dT%H:%M:%SZ")))  # fmt: skip
        conn.execute("BEGIN")
        conn.executemany(
            "insert into play_events (id, display_id, item_id, started_at, ended_at, duration_ms, result, reason, "
            "received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def start_server(tree: Tree, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    assert tree.data_dir is not None
    command = ["taskset", "-c", SERVER_CPU, sys.executable, "-m", "signage", "scheduler", "serve",
               "--data-dir", str(tree.data_dir), "--port", str(port)]  # fmt: skip
    with log_path.open("ab") as out:
        # cwd too: `python -m` puts the working directory first on sys.path
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env_for(tree), cwd=tree.path)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{tree.label} server exited; see {log_path}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{tree.label} server did not listen; see {log_path}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Run:
    rps: float
    p99_ms: float
    p50_ms: float
    errors: int
    requests: int = 0
    cpu_ms_per_request: float = 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, tree: Tree, mode: str, duration_s: int, connections: int, batch: int, script_dir: Path,
        server_pid: int) -> Run:  # fmt: skip
    started = datetime.now(UTC) - timedelta(hours=1)
    script = LUA
    for key, value in {
        "@TOKENS@": ", ".join(f'"{t}"' for t in tree.tokens),
        "@MODE@": mode,
        "@BATCH@": str(batch),
        "@STARTED@": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "@ENDED@": (started + timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "@PREFIX@": uuid.uuid4().hex[:8],
    }.items():
        script = script.replace(key, value)
    path = script_dir / f"{mode}.lua"
    path.write_text(script)
    cpu_before = cpu_s(server_pid)
    out = subprocess.run(
        ["taskset", "-c", CLIENT_CPU, "wrk", "-t", "1", "-c", str(connections), "-d", f"{duration_s}s",
         "--timeout", "30s", "-s", str(path), f"http://{HOST}:{port}/"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    cpu_used_s = cpu_s(server_pid) - cpu_before
    match = re.search(r"BENCH rps=([\d.]+) p99_us=([\d.]+) p50_us=([\d.]+) errors=(\d+) requests=(\d+)", out.stdout)
    if not match:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    requests = int(match[5])
    p99_ms, p50_ms = float(match[2]) / 1000, float(match[3]) / 1000
    if requests == 0:  # nothing came back within the run: its latency is at least the run's length
        p99_ms = p50_ms = duration_s * 1000.0
    run = Run(float(match[1]), p99_ms, p50_ms, int(match[4]), requests,
              cpu_used_s * 1000 / max(requests, 1))  # fmt: skip
    if run.errors:
        log(f"  {tree.label} {mode}: {run.errors} error(s) (non-2xx, timeouts)")
    return run


def measure(tree: Tree, proc: subprocess.Popen[bytes], port: int, mode: str, args: argparse.Namespace,
            work: Path) -> list[Run]:  # fmt: skip
    wrk(port, tree, mode, 2, args.connections, args.batch, work, proc.pid)  # warm-up
    runs = []
    for i in range(args.runs):
        run = wrk(port, tree, mode, args.duration, args.connections, args.batch, work, proc.pid)
        log(f"  {tree.label} {mode} run {i + 1}: {run.rps:.0f} req/s, p50 {run.p50_ms:.1f} ms, "
            f"p99 {run.p99_ms:.1f} ms, server CPU {run.cpu_ms_per_request:.2f} ms/request")  # fmt: skip
        runs.append(run)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: 200k rows, 5 s runs")
    parser.add_argument("--before", default=BASE_REF, help="git ref of the code to compare with")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--displays", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--batch", type=int, default=10, help="play events per POST")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.quick:
        args.rows, args.duration = min(args.rows, 200_000), min(args.duration, 5)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped: still stop the servers and remove the data
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    results: dict[str, dict[str, list[Run]]] = {}
    try:
        trees = [Tree("before", unpack(args.before, work / "before-code")), Tree("after", ROOT)]
        for tree in trees:
            check_code(tree)
            log(f"{tree.label}: building a store with {args.displays} enrolled displays")
            setup(tree, work / f"{tree.label}-data", args.displays)
            port = free_port()
            proc = start_server(tree, port, work / f"{tree.label}.log")
            try:
                results[tree.label] = {
                    "heartbeat": measure(tree, proc, port, "heartbeat", args, work),
                    "play": measure(tree, proc, port, "play", args, work),
                }
            finally:
                stop_server(proc)
            log(f"{tree.label}: adding {args.rows} play rows")
            assert tree.data_dir is not None
            add_rows(tree.data_dir, args.rows, args.displays)
            proc = start_server(tree, port, work / f"{tree.label}.log")
            try:
                results[tree.label]["play_rows"] = measure(tree, proc, port, "play", args, work)
            finally:
                stop_server(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write(results, args)


def write(results: dict[str, dict[str, list[Run]]], args: argparse.Namespace) -> None:
    before, after = results["before"], results["after"]
    rows_k = f"{args.rows / 1e6:g}M" if args.rows >= 1_000_000 else f"{args.rows // 1000}k"

    def rps(runs: list[Run]) -> list[float]:
        return [round(r.rps, 1) for r in runs]

    def p99(runs: list[Run]) -> list[float]:
        return [round(r.p99_ms, 2) for r in runs]

    def cpu(runs: list[Run]) -> list[float]:
        return [round(r.cpu_ms_per_request, 3) for r in runs]

    def growth(tree: dict[str, list[Run]]) -> list[float]:
        """Server CPU per request with the rows / without (CPU, not req/s: the machine's load does not enter)."""
        empty = statistics.median(r.cpu_ms_per_request for r in tree["play"])
        return [round(r.cpu_ms_per_request / empty, 3) for r in tree["play_rows"]]

    peer = f"before ({args.before}: synchronous writes under the lock)"
    figures = [
        Figure("heartbeat_rps", "heartbeats, closed loop", "req/s", rps(after["heartbeat"]),
               peer_label=peer, peer_runs=rps(before["heartbeat"])),
        Figure("heartbeat_p99_ms", "heartbeat p99 latency, closed loop", "ms", p99(after["heartbeat"]),
               peer_label=peer, peer_runs=p99(before["heartbeat"])),
        Figure("play_rps", f"play-event POSTs ({args.batch} events each), closed loop, empty table", "req/s",
               rps(after["play"]), peer_label=peer, peer_runs=rps(before["play"])),
        Figure("play_p99_ms", "play-event POST p99 latency, empty table", "ms", p99(after["play"]),
               peer_label=peer, peer_runs=p99(before["play"])),
        Figure("play_rows_rps", f"play-event POSTs with {rows_k} rows in the table", "req/s",
               rps(after["play_rows"]), peer_label=peer, peer_runs=rps(before["play_rows"])),
        Figure("play_rows_p99_ms", f"play-event POST p99 latency with {rows_k} rows", "ms", p99(after["play_rows"]),
               peer_label=peer, peer_runs=p99(before["play_rows"])),
        Figure("heartbeat_cpu_ms", "server CPU per heartbeat (all threads)", "ms", cpu(after["heartbeat"]),
               peer_label=peer, peer_runs=cpu(before["heartbeat"])),
        Figure("play_cpu_ms", "server CPU per play-event POST, empty table", "ms", cpu(after["play"]),
               peer_label=peer, peer_runs=cpu(before["play"])),
        Figure("play_rows_cpu_ms", f"server CPU per play-event POST with {rows_k} rows", "ms",
               cpu(after["play_rows"]), peer_label=peer, peer_runs=cpu(before["play_rows"])),
        Figure("play_rows_growth_x", f"cost growth: server CPU per play POST, {rows_k} rows / empty", "x",
               growth(after), goal=GOAL_GROWTH_X, goal_op="<=", peer_label=peer, peer_runs=growth(before)),
    ]  # fmt: skip
    errors = sum(r.errors for tree in results.values() for runs in tree.values() for r in runs)
    notes = [
        "Server pinned to CPU 0, wrk (1 thread, keep-alive) to CPU 1; the machine is shared, so absolute "
        "figures vary with its load (see machine.load_at_start); before and after ran back to back.",
        "After = group commit: a reply is sent once its batch is committed (durable), as before.",
        f"non-2xx answers or socket errors over all runs: {errors}",
        "A run in which no request completed records its p50/p99 as the run's length (a lower bound); server CPU "
        "per request divides the CPU of the run by the requests completed in it (work on requests still waiting "
        "counts too).",
    ]
    name = "intake_quick" if args.quick else "intake"
    path = write_result(
        name, "Proof-of-play and heartbeat intake", figures,
        workload=f"{args.displays} enrolled displays, {args.connections} connections, {args.duration} s per run, "
                 f"{args.runs} runs, {args.batch} events per play POST, {rows_k} play rows for the growth figures",
        notes=notes,
    )  # fmt: skip
    log(f"wrote {path}")
    for f in figures:
        log(f"{f.key}: after {f.median:g} {f.unit} | before {f.peer_median:g}")


if __name__ == "__main__":
    main()
