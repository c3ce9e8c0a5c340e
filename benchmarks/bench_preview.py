"""Benchmark: preview frames and a day's contact sheet, beside the player drawing the same frame.

One 1920x1080 frame (a full-HD photo in the main zone, the running-text ticker and the clock strip)
drawn by the preview (``FrameRenderer.frame``: decide, build the visuals, compose) warm, and by the
player's canvas repainting the same visuals (``CanvasWidget.paint_into`` with the live presenters'
visuals, what the screen does every frame); then a contact sheet of a day with 200 entries.
Goals: frame <= 150 ms warm, 200-entry sheet <= 20 s. Writes ``benchmarks/results/preview.json``
(and the detail table ``preview.md``).

    .venv/bin/python benchmarks/bench_preview.py [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from PIL import Image, ImageDraw  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from resultfile import Figure, write_result  # noqa: E402

from player.preview.frames import FrameRenderer  # noqa: E402
from player.preview.sheet import contact_sheet, entries_of_day  # noqa: E402
from player.render.compose import paint_zones  # noqa: E402
from signage.clock import format_utc, zone  # noqa: E402
from signage.manifest import build_manifest, parse_manifest  # noqa: E402

FRAME_GOAL_MS = 150.0
SHEET_GOAL_S = 20.0
SHEET_ENTRIES = 200
RESULTS = ROOT / "benchmarks" / "results" / "preview.md"
LAYOUT = [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 0.88, "z": 0},
          {"id": "ticker", "x": 0, "y": 0.88, "w": 0.82, "h": 0.12, "z": 1},
          {"id": "clock", "x": 0.82, "y": 0.88, "w": 0.18, "h": 0.12, "z": 1}]


def machine() -> str:
    return f"nproc={os.cpu_count()}, {platform.machine()}, {platform.system()} {platform.release()}"


def photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (1920, 1080), tuple(rng.randrange(40, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(300):
        x, y = rng.randrange(1920), rng.randrange(1080)
        draw.ellipse((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)),
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def world(media_dir: Path, day_start: datetime) -> dict:
    import hashlib

    items = {}
    for index in range(10):
        data = photo(index)
        sha = hashlib.sha256(data).hexdigest()
        (media_dir / sha).write_bytes(data)
        items[f"ann-{index + 1}"] = {"type": "image", "duration_s": 15, "title": f"Poster {index + 1}",
                                     "media": {"sha256": sha, "size": len(data), "mime": "image/jpeg",
                                               "url": f"../media/{sha}"}}
    items["ann-ticker"] = {"type": "ticker", "duration_s": 60, "title": "Info",
                           "text": {"title": "Info", "body": "Pelayanan KTP-el keliling setiap Selasa di kantor camat"}}
    items["ann-clock"] = {"type": "clock", "duration_s": 60, "title": "Jam"}
    timeline = []
    step = timedelta(days=1) / SHEET_ENTRIES  # 200 segments in the day, one poster each: 200 entries
    for index in range(SHEET_ENTRIES):
        start = day_start + step * index
        timeline.append({"start": format_utc(start), "end": format_utc(start + step), "zone": "main",
                         "layer": "normal", "loop": [f"ann-{index % 10 + 1}"], "why": f"segment {index}"})
    for zone_id, item in (("ticker", "ann-ticker"), ("clock", "ann-clock")):
        timeline.append({"start": format_utc(day_start), "end": format_utc(day_start + timedelta(days=1)),
                         "zone": zone_id, "layer": "overlay", "loop": [item], "why": "overlay"})
    timeline.sort(key=lambda s: (s["start"], s["zone"]))
    return build_manifest(
        display_id="kantor-bupati", version=1, generated_at=day_start, valid_until=day_start + timedelta(days=1),
        timezone="Asia/Pontianak", canvas={"width": 1920, "height": 1080, "rotation": 0},
        layouts={"default": LAYOUT}, layout="default", items=items, timeline=timeline, fallback=[],
        operating_hours=[], key_id="bench",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    assert app is not None
    tz = zone("Asia/Pontianak")
    day = datetime.now(UTC).astimezone(tz).date()
    day_start = datetime.combine(day, datetime.min.time(), tz).astimezone(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        media_dir = Path(tmp)
        manifest = parse_manifest(world(media_dir, day_start))
        renderer = FrameRenderer(manifest, lambda ref: media_dir / ref.sha256)
        moments = [day_start + timedelta(hours=h, minutes=3, seconds=7) for h in range(8, 8 + args.runs + 1)]
        renderer.frame(moments[0])  # warm: fonts, first decode
        preview_ms, player_ms = [], []
        for moment in moments[1:]:
            started = time.perf_counter()
            renderer.frame(moment)
            preview_ms.append((time.perf_counter() - started) * 1000)
            # the player: the same visuals already built, repainted as the canvas does every frame
            visuals = [(zc.zone, renderer._zone_visual(zc, moment)) for zc in renderer.cues(moment)]
            target = QImage(1920, 1080, QImage.Format.Format_RGB32)
            paint_zones(QPainter(target), 1920, 1080, 0, visuals)  # first paint scales the photo once
            started = time.perf_counter()
            paint_zones(QPainter(target), 1920, 1080, 0, visuals)
            player_ms.append((time.perf_counter() - started) * 1000)
        entries, _ = entries_of_day(renderer, day)
        sheet_s = []
        for _ in range(3):
            started = time.perf_counter()
            _sheet, tiles = contact_sheet(renderer, day)
            sheet_s.append(time.perf_counter() - started)
    frame_median = statistics.median(preview_ms)
    player_median = statistics.median(player_ms)
    sheet_median = statistics.median(sheet_s)
    lines = [
        "# Preview benchmark",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- command: `.venv/bin/python benchmarks/bench_preview.py --runs {args.runs}`",
        "- setup: 1920x1080 layout (main 88 %, ticker, clock), 10 full-HD JPEG posters, QT_QPA_PLATFORM=offscreen;"
        f" a day of {SHEET_ENTRIES} segments for the sheet ({len(entries)} entries found)",
        "",
        "| | median | runs |",
        "|---|---|---|",
        f"| preview frame (decide + build visuals + compose), warm | {frame_median:.1f} ms | "
        f"{', '.join(f'{v:.1f}' for v in preview_ms)} |",
        f"| player repaint of the same frame (visuals built) | {player_median:.1f} ms | "
        f"{', '.join(f'{v:.1f}' for v in player_ms)} |",
        f"| contact sheet, {len(tiles)} tiles | {sheet_median:.2f} s | {', '.join(f'{v:.2f}' for v in sheet_s)} |",
        "",
        f"Frame goal <= {FRAME_GOAL_MS:.0f} ms: ratio **{frame_median / FRAME_GOAL_MS:.2f}** "
        f"({'met' if frame_median <= FRAME_GOAL_MS else 'NOT MET'}); preview / player repaint: "
        f"**{frame_median / player_median:.1f}x** (the preview decodes and scales the poster each time, the player "
        "once per item).",
        f"Sheet goal <= {SHEET_GOAL_S:.0f} s: ratio **{sheet_median / SHEET_GOAL_S:.2f}** "
        f"({'met' if sheet_median <= SHEET_GOAL_S else 'NOT MET'}).",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    write_result(
        "preview",
        "Preview frames and contact sheet",
        [
            Figure(
                "frame_ms",
                "one preview frame 1920x1080 (photo + ticker + clock), warm",
                "ms",
                runs=preview_ms,
                goal=FRAME_GOAL_MS,
                peer_label="player repainting the same frame",
                peer_runs=player_ms,
                note="the preview decodes and scales the poster each time, the player once per item",
            ),
            Figure("sheet_s", f"contact sheet of a day, {len(tiles)} tiles", "s", runs=sheet_s, goal=SHEET_GOAL_S),
        ],
        command=f".venv/bin/python benchmarks/bench_preview.py --runs {args.runs}",
        workload="1920x1080 layout (main 88 %, ticker, clock), 10 full-HD JPEG posters, offscreen;"
        f" a day of {SHEET_ENTRIES} segments for the sheet ({len(entries)} entries found)",
        notes=["the machine is shared with other engineers' work (load at start under 'machine')"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
