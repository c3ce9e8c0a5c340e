"""Benchmark: CPU time per second of 1080p30 H.264 playback, player vs bare ffmpeg decoding.

The player side runs in a child process (``--child``): QApplication offscreen, a
1920x1080 :class:`player.render.canvas.CanvasWidget` and a
:class:`player.render.presenter.ZonePresenter` playing the clip exactly as the
player does (QMediaPlayer/FFmpeg -> QVideoSink -> QImage -> QPainter on the
canvas, every frame painted). Its user+system CPU time (``getrusage``) after
setup, divided by the seconds of video played, is compared with ``ffmpeg
-i clip -f null -`` decoding the same file. Goal: ratio <= 1.5. Medians of
``--runs``. Writes ``benchmarks/results/player_video_cpu.md``.

    .venv/bin/python benchmarks/bench_player_video_cpu.py [--runs 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 1.5
RESULTS = ROOT / "benchmarks" / "results" / "player_video_cpu.md"


def machine() -> str:
    return f"nproc={os.cpu_count()}, {platform.machine()}, {platform.system()} {platform.release()}"


def make_clip(path: Path, seconds: int) -> None:
    if path.exists():
        return
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={seconds}",
                    "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(path)], check=True)


def cpu_s(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def ffmpeg_cpu(clip: Path) -> float:
    before = cpu_s(resource.getrusage(resource.RUSAGE_CHILDREN))
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(clip), "-f", "null", "-"], check=True)
    return cpu_s(resource.getrusage(resource.RUSAGE_CHILDREN)) - before


def child(clip: Path, seconds: float) -> None:
    """Play ``clip`` like the player; print JSON {cpu_s, video_s, frames, paints}."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from datetime import timedelta

    from PySide6.QtWidgets import QApplication

    from player.render.canvas import MAIN_ZONE, CanvasWidget
    from player.render.presenter import ZonePresenter
    from player.runner import Cue
    from signage.manifest import Item, MediaRef

    app = QApplication([])
    canvas = CanvasWidget()
    canvas.setGeometry(0, 0, 1920, 1080)
    now = datetime.now(UTC)
    presenter = ZonePresenter("main", lambda _m: clip, lambda: datetime.now(UTC), "Asia/Pontianak",
                              transition_ms=0)
    presenter.changed.connect(canvas.update)
    canvas.set_zones([(MAIN_ZONE, presenter)])
    canvas.show()
    app.processEvents()
    item = Item("clip", "video", seconds, "clip", MediaRef("0" * 64, clip.stat().st_size, "video/mp4", "x"))
    cue = Cue("main", "playing", item, now, now + timedelta(seconds=seconds), "manifest")
    start_cpu = cpu_s(resource.getrusage(resource.RUSAGE_SELF))
    start_wall = time.monotonic()
    presenter.show_cue(cue)
    video = presenter.video
    assert video is not None
    while time.monotonic() - start_wall < seconds + 5 and not video.ended:
        app.processEvents()
        time.sleep(0.002)
    wall = time.monotonic() - start_wall
    used = cpu_s(resource.getrusage(resource.RUSAGE_SELF)) - start_cpu
    print(json.dumps({"cpu_s": used, "video_s": min(wall, seconds), "frames": video.frames_seen,
                      "paints": canvas.paint_count, "wall_s": wall}))
    presenter.shutdown()


def player_cpu(clip: Path, seconds: float) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(clip), "--seconds", str(seconds)], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--child", metavar="CLIP", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), float(args.seconds))
        return
    workdir = Path(tempfile.gettempdir()) / "benchwork"
    workdir.mkdir(exist_ok=True)
    clip = workdir / f"testsrc2_1080p30_{args.seconds}s_8M.mp4"
    make_clip(clip, args.seconds)
    players, bares = [], []
    for _ in range(args.runs):
        players.append(player_cpu(clip, args.seconds))
        bares.append(ffmpeg_cpu(clip))
    per_s = [p["cpu_s"] / p["video_s"] for p in players]
    bare_per_s = [b / args.seconds for b in bares]
    ratio = statistics.median(per_s) / statistics.median(bare_per_s)
    fps = [p["frames"] / p["video_s"] for p in players]
    print(f"player: {statistics.median(per_s):.3f} CPU s per s of 1080p30 video ({statistics.median(fps):.1f} "
          f"frames/s decoded, runs {', '.join(f'{x:.3f}' for x in per_s)}); ffmpeg -f null: "
          f"{statistics.median(bare_per_s):.3f} CPU s/s; ratio {ratio:.2f} (goal <= {GOAL})")
    command = f".venv/bin/python benchmarks/bench_player_video_cpu.py --runs {args.runs} --seconds {args.seconds}"
    RESULTS.write_text(
        "# Player video CPU benchmark (1080p30 H.264)\n\n"
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- clip: {args.seconds} s testsrc2 1920x1080 30 fps H.264 8 Mbit/s\n"
        "- player: child process, QT_QPA_PLATFORM=offscreen, 1920x1080 CanvasWidget + ZonePresenter (QMediaPlayer "
        "FFmpeg backend -> QVideoSink -> QImage -> QPainter), every frame painted; CPU = getrusage(SELF) user+sys "
        "after setup\n"
        "- bare: `ffmpeg -v error -nostdin -i CLIP -f null -` (decode only), CPU = getrusage(CHILDREN)\n\n"
        f"| | CPU s per s of video (median of {args.runs}) | runs | frames/s |\n|---|---|---|---|\n"
        f"| player | {statistics.median(per_s):.3f} | {', '.join(f'{x:.3f}' for x in per_s)} | "
        f"{', '.join(f'{x:.1f}' for x in fps)} |\n"
        f"| ffmpeg -f null | {statistics.median(bare_per_s):.3f} | {', '.join(f'{x:.3f}' for x in bare_per_s)} "
        "| (as fast as possible) |\n\n"
        f"Ratio player / ffmpeg: **{ratio:.2f}** (goal <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}).\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
