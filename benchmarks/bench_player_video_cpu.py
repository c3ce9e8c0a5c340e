"""Benchmark: CPU time per second of 1080p30 H.264 playback in a real X window, per canvas size.

The path of a display PC: Xvfb (its own display, ``-displayfd``) and Qt's
``xcb`` platform, a frameless window of the canvas size at the top left. Each
player variant runs in a child process (``--child MODE``) that plays the clip
for ``--seconds`` and reports its own user+system CPU (``getrusage(SELF)``,
from play to stop; the X server's share is not counted: on a display PC that
copy is the GPU's) and how many frames it decoded and painted:

* ``new``: the player's canvas and presenter as shipped (QVideoSink -> frame
  kept as decoded -> libswscale to the zone size when painted -> QPainter).
* ``old``: the previous path, reproduced here: ``QVideoFrame.toImage()`` on
  every frame (on xcb Qt does that on an llvmpipe GL pipeline with a read-back),
  a smooth scale to the zone, QPainter.
* ``qvideowidget``: Qt's own video output (``QVideoWidget``, QRhi: the colour
  conversion in a GL shader, i.e. Mesa llvmpipe without a GPU).
* ``qt_decode``: QMediaPlayer into a QVideoSink whose frames nobody converts or
  paints (an empty window): the floor of any path built on Qt Multimedia.

Peers in the same run, per second of video: ``ffmpeg -f null`` (decode only)
and ``ffmpeg -vf scale=W:H,format=rgb32 -f null`` (decode and convert to RGB
at the canvas size: what a CPU renderer cannot go below). Goal: new / the
second peer <= 1.5. Writes ``benchmarks/results/player_video_cpu.json``
(``player_video_cpu_quick.json`` with ``--quick``: 8 s per run).

    .venv/bin/python benchmarks/bench_player_video_cpu.py [--runs 3] [--seconds 20] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from resultfile import Figure, write_result  # noqa: E402

GOAL_RATIO = 1.5
SIZES = [(1920, 1080), (768, 432), (400, 300)]
MODES = ["new", "old", "qvideowidget", "qt_decode"]
FPS = 30


def make_clip(path: Path, seconds: int) -> None:
    if path.exists():
        return
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r={FPS}:d={seconds}",
                    "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(path)], check=True)


@contextmanager
def xvfb(width: int, height: int) -> Iterator[str]:
    """A private Xvfb screen; its DISPLAY string."""
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is not installed (scripts/bootstrap.sh installs xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 30)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number.isdigit():
            raise SystemExit("Xvfb did not report a display number")
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()
        proc.wait(timeout=10)


def cpu_s(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def ffmpeg_cpu_per_s(clip: Path, seconds: float, vf: str | None) -> float:
    before = cpu_s(resource.getrusage(resource.RUSAGE_CHILDREN))
    filters = ["-vf", vf] if vf else []
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(clip), *filters, "-f", "null", "-"], check=True)
    return (cpu_s(resource.getrusage(resource.RUSAGE_CHILDREN)) - before) / seconds


# -- the child: one player variant in a window ------------------------------------------------------------------


def child(mode: str, clip: Path, width: int, height: int, seconds: float) -> None:
    """Play ``clip`` for ``seconds`` in a ``width`` x ``height`` window; print JSON figures."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    window, start, counts = _variant(mode, clip, seconds)
    window.setWindowFlag(Qt.WindowType.FramelessWindowHint)
    window.setGeometry(0, 0, width, height)
    window.show()
    before: dict[str, float] = {}

    def begin() -> None:  # the window is mapped and painted once: start the clock and the clip
        before.update(cpu=cpu_s(resource.getrusage(resource.RUSAGE_SELF)), wall=time.monotonic())
        start()
        # a thread, not a QTimer: the old path can flood the event loop until a timer never fires
        threading.Timer(seconds, finish).start()

    def finish() -> None:
        wall = time.monotonic() - before["wall"]
        used = cpu_s(resource.getrusage(resource.RUSAGE_SELF)) - before["cpu"]
        frames, paints = counts()
        print(json.dumps({"cpu_per_s": used / wall, "frames_per_s": frames / wall, "paints_per_s": paints / wall}))
        sys.stdout.flush()
        os._exit(0)  # skip teardown: not measured, and the decoder threads need not be joined

    QTimer.singleShot(1000, begin)
    app.exec()  # the player's own event loop: no polling in the measurement


def _variant(mode: str, clip: Path, seconds: float) -> tuple[Any, Any, Any]:
    if mode == "new":
        return _new_variant(clip, seconds)
    if mode == "old":
        return _old_variant(clip)
    if mode == "qvideowidget":
        return _qvideowidget_variant(clip)
    if mode == "qt_decode":
        return _qt_decode_variant(clip)
    raise SystemExit(f"unknown mode {mode}")


def _new_variant(clip: Path, seconds: float) -> tuple[Any, Any, Any]:
    from datetime import UTC, datetime, timedelta

    from player.render.canvas import MAIN_ZONE, CanvasWidget
    from player.render.presenter import ZonePresenter
    from player.runner import Cue
    from signage.manifest import Item, MediaRef

    canvas = CanvasWidget()
    presenter = ZonePresenter("main", lambda _m: clip, lambda: datetime.now(UTC), "Asia/Pontianak", transition_ms=0)
    presenter.changed.connect(canvas.update)
    canvas.set_zones([(MAIN_ZONE, presenter)])
    item = Item("clip", "video", seconds + 5, "clip", MediaRef("0" * 64, clip.stat().st_size, "video/mp4", "x"))

    def start() -> None:
        now = datetime.now(UTC)
        presenter.show_cue(Cue("main", "playing", item, now, now + timedelta(seconds=seconds + 5), "manifest"))

    def counts() -> tuple[int, int]:
        video = presenter.video
        return (video.frames_seen if video is not None else 0), canvas.paint_count

    return canvas, start, counts


def _old_variant(clip: Path) -> tuple[Any, Any, Any]:
    """The path before this change: toImage() per decoded frame, a smooth scale, QPainter."""
    from PySide6.QtCore import QUrl, Slot
    from PySide6.QtGui import QImage, QPainter, QPaintEvent
    from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink
    from PySide6.QtWidgets import QWidget

    from player.render.visuals import ImageFitter

    class OldCanvas(QWidget):
        def __init__(self) -> None:
            super().__init__()
            self.image: QImage | None = None
            self.frames = self.paints = 0
            self.fitter = ImageFitter()
            self.player = QMediaPlayer(self)
            self.sink = QVideoSink(self)
            self.player.setVideoSink(self.sink)
            self.sink.videoFrameChanged.connect(self.on_frame)

        @Slot(QVideoFrame)
        def on_frame(self, frame: QVideoFrame) -> None:
            if frame.isValid():
                image = frame.toImage()
                if not image.isNull():
                    self.image = image
                    self.frames += 1
                    self.update()

        def paintEvent(self, event: QPaintEvent) -> None:
            painter = QPainter(self)
            painter.fillRect(self.rect(), 0)
            if self.image is not None:
                self.fitter.paint(painter, self.rect().toRectF(), self.image)
            painter.end()
            self.paints += 1

    canvas = OldCanvas()

    def start() -> None:
        canvas.player.setSource(QUrl.fromLocalFile(str(clip)))
        canvas.player.play()

    return canvas, start, lambda: (canvas.frames, canvas.paints)


def _qvideowidget_variant(clip: Path) -> tuple[Any, Any, Any]:
    from PySide6.QtCore import QUrl
    from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame
    from PySide6.QtMultimediaWidgets import QVideoWidget

    widget = QVideoWidget()
    player = QMediaPlayer(widget)
    player.setVideoOutput(widget)
    frames = [0]

    def on_frame(frame: QVideoFrame) -> None:
        frames[0] += frame.isValid()

    widget.videoSink().videoFrameChanged.connect(on_frame)

    def start() -> None:
        player.setSource(QUrl.fromLocalFile(str(clip)))
        player.play()

    return widget, start, lambda: (frames[0], frames[0])  # QVideoWidget renders each frame it gets


def _qt_decode_variant(clip: Path) -> tuple[Any, Any, Any]:
    from PySide6.QtCore import QUrl
    from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    player = QMediaPlayer(window)
    sink = QVideoSink(window)
    player.setVideoSink(sink)
    frames = [0]

    def on_frame(frame: QVideoFrame) -> None:
        frames[0] += frame.isValid()

    sink.videoFrameChanged.connect(on_frame)

    def start() -> None:
        player.setSource(QUrl.fromLocalFile(str(clip)))
        player.play()

    return window, start, lambda: (frames[0], 0)


def player_run(mode: str, clip: Path, size: tuple[int, int], seconds: float, display: str) -> dict[str, float]:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(ROOT)}
    env.pop("WAYLAND_DISPLAY", None)
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--clip", str(clip), "--size",
                          f"{size[0]}x{size[1]}", "--seconds", str(seconds)], check=True, capture_output=True,
                         text=True, cwd=ROOT, env=env, timeout=seconds + 120).stdout
    return json.loads(out.strip().splitlines()[-1])


# -- the parent: every variant and both peers per canvas size ----------------------------------------------------


def measure(clip: Path, clip_s: float, seconds: float, runs: int, display: str) -> list[Figure]:
    figures: list[Figure] = []
    decode = [ffmpeg_cpu_per_s(clip, clip_s, None) for _ in range(runs)]
    for width, height in SIZES:
        tag = f"{width}x{height}"
        results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
        rgb: list[float] = []
        for _ in range(runs):  # interleaved, so a load spike on the machine hits every variant alike
            for mode in MODES:
                results[mode].append(player_run(mode, clip, (width, height), seconds, display))
            rgb.append(ffmpeg_cpu_per_s(clip, clip_s, f"scale={width}:{height},format=rgb32"))
            decode.append(ffmpeg_cpu_per_s(clip, clip_s, None))
        peer = f"ffmpeg decode + scale={width}:{height},format=rgb32"
        for mode in MODES:
            cpu = [r["cpu_per_s"] for r in results[mode]]
            figures.append(Figure(f"{mode}_cpu_s_per_s_{tag}", f"{mode} path, {tag} window: CPU s per s of video",
                                  "s/s", runs=cpu, peer_label=peer, peer_runs=rgb))
            figures.append(Figure(f"{mode}_paints_per_s_{tag}", f"{mode} path, {tag} window: frames painted per s",
                                  "1/s", runs=[r["paints_per_s"] for r in results[mode]],
                                  note=f"the clip has {FPS} frames per s"))
        figures.append(Figure(f"ffmpeg_rgb_cpu_s_per_s_{tag}", f"peer: {peer} -f null, CPU s per s of video", "s/s",
                              runs=rgb, peer_label="ffmpeg -f null (decode only)", peer_runs=decode[-runs:]))
        new = [r["cpu_per_s"] for r in results["new"]]
        figures.append(Figure(f"new_over_rgb_peer_{tag}", f"new path / decode+RGB peer, {tag} (per run)", "x",
                              runs=[n / p for n, p in zip(new, rgb, strict=True)], goal=GOAL_RATIO))
        print(f"{tag}: " + "; ".join(f"{m} {statistics.median(r['cpu_per_s'] for r in results[m]):.3f} s/s "
                                     f"({statistics.median(r['paints_per_s'] for r in results[m]):.1f} paints/s)"
                                     for m in MODES)
              + f"; ffmpeg rgb {statistics.median(rgb):.3f}; decode {statistics.median(decode):.3f}; "
              f"new/rgb {statistics.median(new) / statistics.median(rgb):.2f} (goal <= {GOAL_RATIO})", flush=True)
    figures.append(Figure("ffmpeg_decode_cpu_s_per_s", "peer: ffmpeg -f null (decode only), CPU s per s of video",
                          "s/s", runs=decode))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of video each player run plays")
    parser.add_argument("--quick", action="store_true", help="8 s per player run")
    parser.add_argument("--child", choices=MODES, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--clip", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--size", default="1920x1080", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        width, height = (int(v) for v in args.size.split("x"))
        child(args.child, Path(args.clip), width, height, args.seconds)
        return
    seconds = 8.0 if args.quick else args.seconds
    clip_s = 20
    workdir = Path(tempfile.gettempdir()) / "benchwork"
    workdir.mkdir(exist_ok=True)
    clip = workdir / f"testsrc2_1080p{FPS}_{clip_s}s_8M.mp4"
    make_clip(clip, clip_s)
    with xvfb(*SIZES[0]) as display:
        figures = measure(clip, clip_s, min(seconds, clip_s), args.runs, display)
    command = " ".join([".venv/bin/python benchmarks/bench_player_video_cpu.py", f"--runs {args.runs}",
                        "--quick" if args.quick else f"--seconds {seconds:g}"])
    path = write_result(
        "player_video_cpu_quick" if args.quick else "player_video_cpu",
        "Player video CPU (1080p30 H.264, real X window)", figures, command=command,
        workload=f"{clip_s} s testsrc2 1920x1080 {FPS} fps H.264 8 Mbit/s; each player run plays "
                 f"{min(seconds, clip_s):g} s in a frameless xcb window on Xvfb (1920x1080x24) at 1920x1080, "
                 "768x432 and 400x300 (the 16:9 clip letterboxed to 400x225)",
        notes=["CPU = getrusage(SELF) user+sys of the player process from play to stop, per wall second; the X "
               "server (Xvfb) is not counted",
               "peers decode as fast as they can; their CPU is divided by the clip's length",
               "old = QVideoFrame.toImage() per frame (Qt converts on an llvmpipe GL pipeline under xcb) + smooth "
               "scale; new = frame kept as decoded, libswscale to the zone size when painted; qvideowidget = "
               "Qt's QRhi video output (shader conversion, Mesa llvmpipe without a GPU)",
               "*_paints_per_s: frames a path actually put on screen; a path far below 30 spends its CPU on "
               "fewer frames (the old path under xcb)"])
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
