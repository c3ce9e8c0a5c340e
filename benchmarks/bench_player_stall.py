"""Benchmark: the player's frame intervals through many item changes, idle and under `stress-ng --cpu 2`.

Each run is a child process (``--child``): the real :class:`player.app.PlayerApp`, offscreen, plays a signed
manifest from its cache (images, text slides and H.264 clips made by ffmpeg, items of 0.4 s: every frame is
part of a 400 ms crossfade or a clip, so the canvas repaints continuously) for ``--changes`` item changes,
with its real play log, status file and disk writer. The renderer's own frame clock
(``CanvasWidget.painted_at_s``, read on every ``painted``) gives the intervals between painted frames; a GUI
thread that stalls (a commit or an fsync waiting for the disk, a relayout) shows as a long interval. The GUI
thread's stalls are measured directly too: a 10 ms heartbeat timer on it fires late by however long the
thread was held up, and the thread's run-queue time (``/proc/thread-self/schedstat``: runnable, waiting for a
core) over the same stretch tells a busy machine from the player's own work or waits (a commit, an fsync,
a relayout, the GIL) - the stalls the player can fix.

The peer is the same player with the play log committed on the GUI thread, as before the disk writer
(``PlayLog.writer = None``). Idle and loaded runs alternate with the peer's in the same session. Goals: p99
frame interval <= 50 ms idle (one and a half frames at 30 fps); the GUI thread held up by the player itself
(stall minus the time it waited for a core) <= 66 ms, idle and loaded.

    .venv/bin/python benchmarks/bench_player_stall.py [--runs 3] [--changes 75] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from resultfile import Figure, write_result  # noqa: E402

ITEM_S = 0.4
SIZE = (320, 180)
COLOURS = [(208, 32, 32), (40, 70, 230), (40, 200, 60), (30, 190, 220), (230, 40, 220), (240, 150, 30)]
STRESS_CPUS = 2
GOAL_P99_IDLE_MS = 50.0
#: The GUI thread held up by the player itself (not by a busy machine) at most this long: two 30 fps frames.
GOAL_HELD_MS = 66.0
BEAT_MS = 10


def make_clips(folder: Path) -> list[Path]:
    clips = []
    for n, rgb in enumerate(COLOURS[:3]):
        out = folder / f"clip{n}.mp4"
        colour = "0x{:02x}{:02x}{:02x}".format(*rgb)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"color=c={colour}:size={SIZE[0]}x{SIZE[1]}:rate=25:duration=1",
                        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], check=True, timeout=120)
        clips.append(out)
    return clips


def child(data_dir: Path, clips: list[Path], changes: int, sync_playlog: bool) -> dict[str, Any]:
    """Play ``changes`` item changes; the frame intervals (ms) by the renderer's clock."""
    import hashlib
    import io
    from datetime import UTC, datetime, timedelta

    from PIL import Image
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from player.app import PlayerApp
    from player.identity import Identity, save_identity
    from player.tuning import PlayerTuning
    from signage.config import PlayerConfig
    from signage.manifest import build_manifest
    from signage.signing import SigningKey, envelope_bytes

    qt = QApplication.instance() or QApplication([])
    key = SigningKey.generate()
    save_identity(data_dir, Identity("bench-stall", "token", "http://127.0.0.1:9/api/v1/player/manifest",
                                     {key.key_id: key.public_text}, "http://127.0.0.1:9"))
    (data_dir / "cache").mkdir()
    (data_dir / "manifest").mkdir()

    def media(data: bytes, mime: str) -> dict[str, Any]:
        sha = hashlib.sha256(data).hexdigest()
        (data_dir / "cache" / sha).write_bytes(data)
        return {"sha256": sha, "size": len(data), "mime": mime, "url": f"../media/{sha}"}

    items: dict[str, dict[str, Any]] = {}
    for n, rgb in enumerate(COLOURS[3:]):
        out = io.BytesIO()
        Image.new("RGB", SIZE, rgb).save(out, "PNG")
        items[f"img-{n}"] = {"type": "image", "duration_s": ITEM_S, "title": f"img-{n}",
                             "media": media(out.getvalue(), "image/png")}
    for n, clip in enumerate(clips):
        items[f"vid-{n}"] = {"type": "video", "duration_s": ITEM_S, "title": f"vid-{n}",
                             "media": media(clip.read_bytes(), "video/mp4")}
    for n in range(2):
        items[f"txt-{n}"] = {"type": "text", "duration_s": ITEM_S, "title": f"Pengumuman {n}",
                             "text": {"title": f"Pengumuman {n}", "body": "Isi pengumuman untuk warga"}}
    loop = ["img-0", "vid-0", "txt-0", "vid-1", "img-1", "txt-1", "vid-2", "img-2"]
    now = datetime.now(UTC).replace(microsecond=0)
    start = now + timedelta(seconds=3)
    end = start + timedelta(seconds=ITEM_S * (changes + 20))
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    manifest = build_manifest(
        display_id="bench-stall", version=1, generated_at=now - timedelta(hours=1),
        valid_until=now + timedelta(days=1), timezone="Asia/Pontianak",
        canvas={"width": SIZE[0], "height": SIZE[1], "rotation": 0},
        layouts={"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1, "z": 0}]}, layout="full", items=items,
        timeline=[{"start": start.strftime(fmt), "end": end.strftime(fmt), "zone": "main", "layer": "normal",
                   "loop": loop, "why": "bench"}],
        fallback=[], operating_hours=[], key_id=key.key_id)
    (data_dir / "manifest" / "current.json").write_bytes(envelope_bytes(manifest, key))

    config = PlayerConfig(server_url="http://127.0.0.1:9", data_dir=str(data_dir), fullscreen=False,
                          geometry=[0, 0, *SIZE])
    app = PlayerApp(config, tuning=PlayerTuning(use_events=False, verify_interval_s=0, prevent_blanking=False))
    # (paint time by the renderer's clock, GUI thread CPU seconds, GUI thread seconds runnable but not running)
    paints: list[tuple[float, float, float]] = []
    cues: list[float] = []
    app.canvas.painted.connect(lambda: paints.append((app.canvas.painted_at_s, time.thread_time(), run_queue_s())),
                               Qt.ConnectionType.DirectConnection)
    app.runner.cueChanged.connect(lambda cue: cues.append(time.monotonic()) if cue.item is not None else None)
    # the GUI thread's own stalls: a 10 ms heartbeat timer on it, late by however long the thread was held up;
    # the part of that spent runnable but without a core (schedstat) is the machine's load, the rest is ours
    beats: list[tuple[float, float, float]] = []  # (monotonic s, late ms, of which waiting for a core ms)
    previous = [time.monotonic(), run_queue_s()]

    def beat() -> None:
        now_s, queue_s = time.monotonic(), run_queue_s()
        beats.append((now_s, (now_s - previous[0]) * 1000 - BEAT_MS, (queue_s - previous[1]) * 1000))
        previous[:] = [now_s, queue_s]

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)
    heartbeat.start(BEAT_MS)
    app.start()
    if sync_playlog:
        assert app.playlog is not None
        app.playlog.writer = None  # the peer: every commit on the GUI thread, as before the disk writer
    deadline = time.monotonic() + ITEM_S * changes + 60
    done = QTimer()
    done.timeout.connect(lambda: qt.quit() if len(cues) > changes or time.monotonic() > deadline else None)
    done.start(100)
    qt.exec()
    app.shutdown()
    first, last = cues[1], cues[-1]  # from the first change between items (the first fades in from the slate)
    window = [p for p in paints if first <= p[0] <= last]
    intervals = [(b[0] - a[0]) * 1000 for a, b in itertools.pairwise(window)]
    work = [(b[1] - a[1]) * 1000 for a, b in itertools.pairwise(window)]
    held = [(late, queue) for t, late, queue in beats if first <= t <= last]
    return {"changes": len(cues) - 1, "frames": len(window), "intervals_ms": intervals, "gui_cpu_ms": work,
            "beats": held}


def run_queue_s() -> float:
    """Seconds the calling thread has spent runnable, waiting for a core (Linux schedstat; 0 elsewhere)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def run_child(clips: list[Path], changes: int, sync_playlog: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-stall-") as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
        command = [sys.executable, __file__, "--child", tmp, "--changes", str(changes),
                   *(["--sync-playlog"] if sync_playlog else []), *[str(c) for c in clips]]
        out = subprocess.run(command, check=True, capture_output=True, text=True, env=env,
                             timeout=ITEM_S * changes + 180)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    intervals, work, beats = result["intervals_ms"], result["gui_cpu_ms"], result["beats"]
    return {"p50": statistics.median(intervals), "p99": percentile(intervals, 0.99), "max": max(intervals),
            "cpu_max": max(work), "stall_max": max(late for late, _ in beats),
            "held_max": max(late - queue for late, queue in beats), "frames": result["frames"],
            "changes": result["changes"]}


class Stress:
    """`stress-ng --cpu N` for the duration of a ``with`` block."""

    def __enter__(self) -> Stress:
        self.process = subprocess.Popen(["stress-ng", "--cpu", str(STRESS_CPUS), "--timeout", "3600s", "--quiet"])
        time.sleep(1.0)  # let the workers start
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--changes", type=int, default=75, help="item changes per run")
    parser.add_argument("--quick", action="store_true", help="25 item changes per run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sync-playlog", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("clips", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.clips, args.changes, args.sync_playlog)))
        return
    if shutil.which("stress-ng") is None:
        raise SystemExit("stress-ng is not installed (scripts/bootstrap.sh installs it)")
    changes = 25 if args.quick else args.changes
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-stall-clips-") as tmp:
        clips = make_clips(Path(tmp))
        for _ in range(args.runs):
            for load in ("idle", "loaded"):
                for mode in ("writer", "gui"):  # alternate, so both see the same machine
                    if load == "loaded":
                        with Stress():
                            result = run_child(clips, changes, sync_playlog=mode == "gui")
                    else:
                        result = run_child(clips, changes, sync_playlog=mode == "gui")
                    runs.setdefault((load, mode), []).append(result)
                    print(f"{load:6} {mode:6} p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
                          f"max {result['max']:.1f} ms; GUI thread stalled up to {result['stall_max']:.1f} ms, "
                          f"{result['held_max']:.1f} ms of it not waiting for a core; most GUI CPU between two "
                          f"frames {result['cpu_max']:.1f} ms; {result['frames']} frames, {result['changes']} changes",
                          flush=True)

    def values(load: str, mode: str, stat: str) -> list[float]:
        return [round(r[stat], 2) for r in runs[(load, mode)]]

    peer = "play log committed on the GUI thread (before)"
    figures = []
    for load, label in (("idle", "idle"), ("loaded", f"under stress-ng --cpu {STRESS_CPUS}")):
        for stat, what in (("p50", "median"), ("p99", "99th percentile"), ("max", "longest")):
            goal = None
            if load == "idle" and stat == "p99":
                goal = GOAL_P99_IDLE_MS
            figures.append(Figure(f"frame_interval_{stat}_{load}_ms", f"{what} frame interval, {label}", "ms",
                                  runs=values(load, "writer", stat), goal=goal, goal_op="<=",
                                  peer_label=peer, peer_runs=values(load, "gui", stat)))
        figures.append(Figure(f"gui_cpu_between_frames_max_{load}_ms",
                              f"most GUI-thread CPU time between two frames (work, not waiting), {label}", "ms",
                              runs=values(load, "writer", "cpu_max"), peer_label=peer,
                              peer_runs=values(load, "gui", "cpu_max")))
        figures.append(Figure(f"gui_stall_max_{load}_ms",
                              f"longest GUI-thread stall (10 ms heartbeat lateness), {label}", "ms",
                              runs=values(load, "writer", "stall_max"), peer_label=peer,
                              peer_runs=values(load, "gui", "stall_max")))
        figures.append(Figure(f"gui_held_max_{load}_ms",
                              f"longest GUI-thread stall not spent waiting for a core (held up by the player's own "
                              f"work or waits), {label}", "ms",
                              runs=values(load, "writer", "held_max"), goal=GOAL_HELD_MS, goal_op="<=",
                              peer_label=peer, peer_runs=values(load, "gui", "held_max")))
    path = write_result(
        "player_stall" + ("_quick" if args.quick else ""),
        "Player frame intervals through item changes (GUI thread stalls)",
        figures,
        workload=(f"{changes} item changes of {ITEM_S} s (images, text slides, 320x180 H.264 clips; every frame "
                  f"part of a crossfade or a clip), real PlayerApp offscreen with its play log and status file; "
                  f"intervals between painted frames by CanvasWidget.painted_at_s, from the first change between "
                  f"items to the last; {args.runs} runs each, idle and under stress-ng --cpu {STRESS_CPUS}"),
        notes=["peer: the same player with PlayLog.writer = None (commits on the GUI thread, as before)",
               "the machine is shared: other work runs beside the benchmark, idle runs included"],
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
