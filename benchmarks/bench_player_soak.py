"""Benchmark: soak, 72 simulated hours of playback at an accelerated clock; RSS growth after warm-up.

The real :class:`player.app.PlayerApp` (offscreen, 640x360, cache pre-filled,
no network) plays a 72 h timeline of images, videos, text and stat items
(10 simulated minutes each) on a :class:`player.clock.PlayerClock` whose
monotonic source runs ``--speed`` times faster (the runner's timers are scaled
the same way), so every item is on screen for a fraction of a second and the
run makes hundreds of transitions, each opening/closing decoders, visuals
and proof-of-play rows. RSS is sampled at every transition; growth = last
tenth vs the end of the warm-up (first 20 %). Goal: <= 5 %. Writes
``benchmarks/results/player_soak.json`` (and the detail table ``player_soak.md``).

    .venv/bin/python benchmarks/bench_player_soak.py [--hours 72] [--speed 2000] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from resultfile import Figure, write_result  # noqa: E402
from toolcheck import require_tools  # noqa: E402

GOAL = 0.05
ITEM_S = 600.0


def machine() -> str:
    return f"nproc={os.cpu_count()}, {platform.machine()}, {platform.system()} {platform.release()}"


def clip(path: Path, pattern: str) -> bytes:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{pattern}=size=640x360:rate=25:duration=2",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "25", str(path)], check=True)
    return path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=72.0)
    parser.add_argument("--speed", type=float, default=2000.0)
    parser.add_argument("--quick", action="store_true", help="12 simulated hours")
    args = parser.parse_args()
    hours = 12.0 if args.quick else args.hours
    require_tools(["ffmpeg"])  # makes the test clips

    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtWidgets import QApplication

    from player.app import PlayerApp
    from player.clock import PlayerClock
    from player.health import memory_rss_bytes
    from player.identity import Identity, save_identity
    from player.tuning import PlayerTuning
    from signage.clock import format_utc
    from signage.config import PlayerConfig
    from signage.manifest import build_manifest
    from signage.signing import SigningKey, envelope_bytes

    qt_app = QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    data_dir = tmp / "player"
    cache = data_dir / "cache"
    cache.mkdir(parents=True)
    key = SigningKey.generate()
    blobs: dict[str, tuple[bytes, str]] = {}
    for n, colour in enumerate(("#c03030", "#30c030", "#3030c0")):
        image = QImage(640, 360, QImage.Format.Format_RGB32)
        image.fill(QColor(colour))
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        blobs[f"img-{n}"] = (bytes(buffer.data().data()), "image/png")
    for n, pattern in enumerate(("testsrc", "testsrc2")):
        blobs[f"vid-{n}"] = (clip(tmp / f"{pattern}.mp4", pattern), "video/mp4")
    items: dict[str, dict[str, object]] = {}
    for item_id, (data, mime) in blobs.items():
        sha = hashlib.sha256(data).hexdigest()
        (cache / sha).write_bytes(data)
        items[item_id] = {"type": "video" if mime == "video/mp4" else "image", "duration_s": ITEM_S,
                          "title": item_id, "media": {"sha256": sha, "size": len(data), "mime": mime,
                                                      "url": f"../media/{sha}"}}
    items["txt-0"] = {"type": "text", "duration_s": ITEM_S, "title": "Teks",
                      "text": {"title": "Pengumuman", "body": "Kerja bakti hari Minggu"}}
    items["stat-0"] = {"type": "stat", "duration_s": ITEM_S, "title": "Statistik", "data": {"penduduk": 312000}}
    loop = ["img-0", "vid-0", "txt-0", "vid-1", "img-1", "stat-0", "img-2"]
    now = datetime.now(UTC).replace(microsecond=0)
    manifest = build_manifest(
        display_id="soak", version=1, generated_at=now - timedelta(hours=1), valid_until=now + timedelta(days=14),
        timezone="Asia/Pontianak", canvas={"width": 640, "height": 360, "rotation": 0},
        layouts={"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1}]}, layout="full", items=items,
        timeline=[{"start": format_utc(now - timedelta(hours=1)), "end": format_utc(now + timedelta(days=14)),
                   "zone": "main", "layer": "normal", "loop": loop}],
        fallback=[], operating_hours=[], key_id=key.key_id)
    (data_dir / "manifest").mkdir()
    (data_dir / "manifest" / "current.json").write_bytes(envelope_bytes(manifest, key))
    save_identity(data_dir, Identity("soak", "tok", "http://127.0.0.1:9/api/v1/player/manifest",
                                     {key.key_id: key.public_text}, "http://127.0.0.1:9"))

    real_start = time.monotonic()
    clock = PlayerClock(monotonic_s=lambda: real_start + (time.monotonic() - real_start) * args.speed)
    config = PlayerConfig(server_url="http://127.0.0.1:9", data_dir=str(data_dir), fullscreen=False,
                          geometry=[0, 0, 640, 360])
    tuning = PlayerTuning(use_events=False, verify_interval_s=0, prevent_blanking=False, heartbeat_interval_s=3600)
    app = PlayerApp(config, clock=clock, tuning=tuning, time_scale=args.speed)
    samples: list[tuple[int, int]] = []
    app.runner.cueChanged.connect(lambda _cue: samples.append((len(samples), memory_rss_bytes() or 0)))
    app.start()
    end_sim = clock() + timedelta(hours=hours)
    wall_start = time.monotonic()
    while clock() < end_sim:
        qt_app.processEvents()
        time.sleep(0.001)
    wall_s = time.monotonic() - wall_start
    failed = dict(app.runner.failed)
    playlog_rows = app.playlog.count() if app.playlog else 0
    app.shutdown()
    rss = [r for _n, r in samples]
    warm = rss[len(rss) // 5: len(rss) // 5 + max(1, len(rss) // 10)]
    tail = rss[-max(1, len(rss) // 10):]
    base, last = statistics.median(warm), statistics.median(tail)
    growth = (last - base) / base
    print(f"soak {hours:.0f} simulated h in {wall_s:.0f} s: {len(samples)} transitions; RSS after warm-up "
          f"{base / 1e6:.1f} MB, at the end {last / 1e6:.1f} MB (max {max(rss) / 1e6:.1f}); growth "
          f"{growth * 100:+.2f} % (goal <= {GOAL * 100:.0f} %, ratio {max(growth, 0) / GOAL:.2f}); "
          f"failed items {failed}; proof-of-play rows {playlog_rows}")
    name = "player_soak.md"  # the detail table of the run whose figures are in player_soak.json
    command = ".venv/bin/python benchmarks/bench_player_soak.py" + (" --quick" if args.quick else
                                                                     f" --hours {hours:g} --speed {args.speed:g}")
    (ROOT / "benchmarks" / "results" / name).write_text(
        "# Player soak benchmark\n\n"
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- machine: {machine()}\n"
        f"- command: `{command}`\n"
        f"- {hours:g} simulated hours at {args.speed:g}x ({wall_s:.0f} s wall), PlayerApp offscreen 640x360, loop "
        f"of 3 PNG images, 2 H.264 clips, a text and a stat item, {ITEM_S:.0f} simulated s each; no network\n"
        f"- RSS sampled at every transition ({len(samples)}); warm-up = first 20 %; figures are medians of a "
        "tenth of the samples\n\n"
        "| RSS after warm-up | RSS at the end | max | growth | goal |\n|---|---|---|---|---|\n"
        f"| {base / 1e6:.1f} MB | {last / 1e6:.1f} MB | {max(rss) / 1e6:.1f} MB | **{growth * 100:+.2f} %** | "
        f"<= {GOAL * 100:.0f} % ({'met' if growth <= GOAL else 'NOT met'}) |\n\n"
        f"Items skipped as unplayable: {failed or 'none'}. Proof-of-play rows queued at the end: {playlog_rows} "
        "(no network: nothing uploaded).\n")
    print(f"wrote benchmarks/results/{name}")
    notes = [
        f"{len(samples)} transitions in {wall_s:.0f} s wall; RSS after warm-up {base / 1e6:.1f} MB, at the end"
        f" {last / 1e6:.1f} MB, max {max(rss) / 1e6:.1f} MB; items skipped as unplayable: {failed or 'none'}",
        "one soak run: the growth is a median over a tenth of the samples against the warm-up's",
        "the machine is shared with other engineers' work (load at start under 'machine')",
    ]
    if args.quick:
        notes.append("--quick: 12 simulated hours instead of 72")
    path = write_result(
        "player_soak",
        "Player soak (accelerated clock)",
        [
            Figure("rss_growth_pct", "RSS growth after warm-up", "%", runs=[growth * 100], goal=GOAL * 100),
            Figure("transitions", "transitions played", "count", runs=[float(len(samples))]),
        ],
        command=command,
        workload=f"{hours:g} simulated hours at {args.speed:g}x, PlayerApp offscreen 640x360, loop of 3 PNG images,"
        f" 2 H.264 clips, a text and a stat item, {ITEM_S:.0f} simulated s each; no network",
        notes=notes,
    )
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
