"""Benchmark: normalising a 60 s 1080p H.264 clip for a 768x432 canvas.

Runs, in the same process and interleaved, (a) the whole ``content.pipeline.ingest``
(probe, store original, transcode, checks, poster, thumbnail, store) and (b) the bare
ffmpeg command line that does the same transcode, printed exactly. Reports medians
over ``--runs`` runs, the ratio pipeline/bare (goal <= 1.05) and throughput in seconds
of video per second. Writes ``benchmarks/results/transcode.json`` (and the detail table
``transcode.md``).

    .venv/bin/python benchmarks/bench_transcode.py [--runs 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from resultfile import Figure, write_result  # noqa: E402
from toolcheck import require_tools  # noqa: E402

from content.canvas import FitMode, Rgb  # noqa: E402
from content.ffrun import ffmpeg_command  # noqa: E402
from content.pipeline import ingest  # noqa: E402
from content.probe import mp4_is_faststart, probe  # noqa: E402
from content.store import MediaStore  # noqa: E402
from content.video import VideoOptions, build_ffmpeg_args, plan_video  # noqa: E402
from signage.canvas import Canvas  # noqa: E402

DURATION_S = 60
CANVAS = Canvas(768, 432)
SOURCE_ARGS = [
    "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={DURATION_S}",
    "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-pix_fmt", "yuv420p",
    "-movflags", "+faststart",
]  # fmt: skip
RESULTS = ROOT / "benchmarks" / "results" / "transcode.md"


def make_source(workdir: Path) -> Path:
    source = workdir / f"testsrc2_1080p30_{DURATION_S}s.mp4"
    if not source.exists():
        print(f"generating {source} ...", flush=True)
        tmp = source.with_suffix(".part.mp4")
        subprocess.run(ffmpeg_command([*SOURCE_ARGS, str(tmp)]), check=True)
        tmp.rename(source)
    return source


def bare_command(source: Path, output: Path) -> list[str]:
    info = probe(source)
    options = VideoOptions()
    plan = plan_video(
        info, CANVAS, FitMode.CONTAIN, keep_audio=False, faststart=mp4_is_faststart(source), options=options
    )
    return ffmpeg_command(build_ffmpeg_args(source, output, info, plan, Rgb(0, 0, 0), options))


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (user + sys)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def time_bare(command: list[str], output: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the bare ffmpeg run."""
    output.unlink(missing_ok=True)
    cpu, start = _cpu_s(), time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start, _cpu_s() - cpu


def time_pipeline(source: Path, workdir: Path, run: int) -> tuple[float, float]:
    store = MediaStore(workdir / f"store-{run}")
    cpu, start = _cpu_s(), time.perf_counter()
    ingest(source, store, [CANVAS])
    elapsed, used = time.perf_counter() - start, _cpu_s() - cpu
    subprocess.run(["rm", "-rf", str(store.root)], check=True)
    return elapsed, used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true", help="do not update results/transcode.md")
    parser.add_argument("--note", action="append", default=[], help="a note for the result file (repeatable)")
    args = parser.parse_args()
    require_tools(["ffmpeg", "ffprobe"])

    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        source = make_source(workdir)
        bare_out = workdir / "bare.mp4"
        command = bare_command(source, bare_out)
        print("bare command:\n  " + shlex.join(command), flush=True)
        bare: list[float] = []
        piped: list[float] = []
        bare_cpu: list[float] = []
        piped_cpu: list[float] = []
        load_before = os.getloadavg()[0]
        for run in range(args.runs):  # interleaved, so both see the same machine state
            wall, cpu = time_bare(command, bare_out)
            bare.append(wall)
            bare_cpu.append(cpu)
            wall, cpu = time_pipeline(source, workdir, run)
            piped.append(wall)
            piped_cpu.append(cpu)
            print(
                f"run {run + 1}: bare {bare[-1]:.2f} s ({bare_cpu[-1]:.1f} s CPU), "
                f"pipeline {piped[-1]:.2f} s ({piped_cpu[-1]:.1f} s CPU)",
                flush=True,
            )
        load_after = os.getloadavg()[0]

    bare_s, pipe_s = statistics.median(bare), statistics.median(piped)
    bare_cpu_s, pipe_cpu_s = statistics.median(bare_cpu), statistics.median(piped_cpu)
    ratio = pipe_s / bare_s
    cpu_ratio = pipe_cpu_s / bare_cpu_s
    lines = [
        "# Transcode benchmark",
        "",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: nproc={os.cpu_count()}, {platform.machine()}, {platform.system()} {platform.release()}",
        f"- ffmpeg: {_ffmpeg_version()}",
        f"- source: {DURATION_S} s 1920x1080 30 fps H.264 (testsrc2, 8 Mbit/s); target canvas {CANVAS} (contain)",
        "- command: `.venv/bin/python benchmarks/bench_transcode.py --runs " + str(args.runs) + "`",
        "",
        "Bare equivalent ffmpeg command (what the pipeline runs, minus `-progress pipe:1 -nostats`):",
        "",
        "```",
        shlex.join(command),
        "```",
        "",
        f"Load average (1 min) before/after: {load_before:.2f} / {load_after:.2f}"
        " (the machine is shared; wall times are noisy when it is busy, CPU times much less).",
        "",
        "| | wall median of " + str(args.runs) + " | wall runs | CPU median | CPU runs | throughput (wall) |",
        "|---|---|---|---|---|---|",
        f"| bare ffmpeg | {bare_s:.2f} s | {_join(bare)} | {bare_cpu_s:.1f} s | {_join(bare_cpu)} | "
        f"{DURATION_S / bare_s:.2f} s of video/s |",
        f"| `content.pipeline.ingest` | {pipe_s:.2f} s | {_join(piped)} | {pipe_cpu_s:.1f} s | "
        f"{_join(piped_cpu)} | {DURATION_S / pipe_s:.2f} s of video/s |",
        "",
        f"Ratio pipeline / bare: **{ratio:.3f}** wall, **{cpu_ratio:.3f}** CPU (goal <= 1.05)."
        " The pipeline also probes the source, copies and hashes the original into the store,"
        " probes and checks the output, and extracts a poster and a thumbnail.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, "utf-8")
        peer = "bare ffmpeg, same command line"
        write_result(
            "transcode",
            "Content pipeline: transcode",
            [
                Figure(
                    "wall_ratio",
                    "pipeline / bare ffmpeg wall time, per interleaved pair",
                    "x",
                    runs=[p / b for p, b in zip(piped, bare, strict=True)],
                    goal=1.05,
                ),
                Figure("wall_s", "pipeline wall time", "s", runs=piped, peer_label=peer, peer_runs=bare),
                Figure("cpu_s", "pipeline CPU time", "s", runs=piped_cpu, peer_label=peer, peer_runs=bare_cpu),
            ],
            command=f".venv/bin/python benchmarks/bench_transcode.py --runs {args.runs}",
            workload=f"{DURATION_S} s 1920x1080 30 fps H.264 (testsrc2, 8 Mbit/s) normalised for a {CANVAS} canvas"
            f" (contain); {_ffmpeg_version()}",
            notes=[
                f"load average (1 min) before/after: {load_before:.2f} / {load_after:.2f}: the machine is shared,"
                " wall times are noisy when it is busy, CPU times much less",
                "the pipeline also probes the source, stores and hashes the original, checks the output and"
                " extracts a poster and a thumbnail",
                *args.note,
            ],
        )
    return 0


def _join(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _ffmpeg_version() -> str:
    done = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0] if done.stdout else "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
