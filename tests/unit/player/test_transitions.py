"""100 transitions (image->video, video->video, video->image, image->text, text->text, text->stat,
stat->video ...) with a frame log of the renderer: zero black/empty frames between items, and the
new item's own content on screen by the first painted frame after its boundary (judged by frames, not wall time).

Items last 0.3 s; the frame log is the canvas's ``frame_probe`` (every painted frame as a QImage).
SIGNAGE_STRESS=1 runs 500 transitions.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from player.app import PlayerApp
from player.render.video import VideoVisual
from player.render.visuals import CrossfadeVisual
from player.tuning import PlayerTuning
from signage.config import PlayerConfig

TRANSITIONS = 500 if os.environ.get("SIGNAGE_STRESS") else 100
ITEM_S = 0.3
VIDEO_FPS = 25
FRAME_INTERVAL_S = 1 / VIDEO_FPS
LOOP = ["img-a", "vid-b", "vid-c", "img-d", "txt-e", "txt-f", "stat-g", "vid-h", "img-i", "txt-j"]


@dataclass
class Frame:
    t_s: float
    item_id: str | None
    own_content: bool  # the item's own pixels (a video's own frame, not the still of the previous item)
    dark_fraction: float


def clip(tmp: Path, name: str, pattern: str) -> bytes:
    out = tmp / f"{name}.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{pattern}=size=160x90:rate={VIDEO_FPS}:duration=1",
         "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "5", str(out)], check=True, timeout=60)
    return out.read_bytes()


def dark_fraction(image: QImage) -> float:
    dark = total = 0
    for y in range(2, image.height(), 8):
        for x in range(2, image.width(), 8):
            rgb = image.pixel(x, y)
            total += 1
            dark += ((rgb >> 16) & 0xFF) + ((rgb >> 8) & 0xFF) + (rgb & 0xFF) < 40
    return dark / total


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_hundred_transitions_without_black_frames(qtbot, publisher, helpers, enrolled_dir, tmp_path):
    media = {
        "img-a": publisher.add_media(helpers.png(160, 90, ("#d02020", "#d0d020")), "image/png"),
        "img-d": publisher.add_media(helpers.png(160, 90, ("#20a0d0", "#d020d0")), "image/png"),
        "img-i": publisher.add_media(helpers.png(160, 90, ("#e08020", "#20d080")), "image/png"),
        "vid-b": publisher.add_media(clip(tmp_path, "b", "testsrc"), "video/mp4"),
        "vid-c": publisher.add_media(clip(tmp_path, "c", "testsrc2"), "video/mp4"),
        "vid-h": publisher.add_media(clip(tmp_path, "h", "rgbtestsrc"), "video/mp4"),
    }
    items: dict[str, dict[str, Any]] = {}
    for item_id in LOOP:
        kind = {"img": "image", "vid": "video", "txt": "text", "stat": "stat"}[item_id.split("-")[0]]
        item: dict[str, Any] = {"type": kind, "duration_s": ITEM_S, "title": item_id}
        if item_id in media:
            item["media"] = media[item_id]
        elif kind == "text":
            item["text"] = {"title": f"Pengumuman {item_id}", "body": "Isi pengumuman"}
        else:
            item["data"] = {"penduduk": 312_000, "kecamatan": 9}
        items[item_id] = item
    now = datetime.now(UTC).replace(microsecond=0)
    start = now + timedelta(seconds=3)
    end = start + timedelta(seconds=ITEM_S * (TRANSITIONS + 2))
    end = end.replace(microsecond=0) + timedelta(seconds=1)
    timeline = [{"start": helpers.fmt(start), "end": helpers.fmt(end), "zone": "main", "layer": "normal",
                 "loop": LOOP, "why": "transition test"}]
    envelope = publisher.publish(publisher.manifest(1, items, timeline, start=now - timedelta(hours=1),
                                                    end=now + timedelta(days=1)))
    cache = enrolled_dir / "cache"
    cache.mkdir()
    for ref in media.values():
        (cache / ref["sha256"]).write_bytes(publisher.media[ref["sha256"]])
    (enrolled_dir / "manifest").mkdir()
    (enrolled_dir / "manifest" / "current.json").write_bytes(envelope)

    config = PlayerConfig(server_url="http://127.0.0.1:9", data_dir=str(enrolled_dir), fullscreen=False,
                          geometry=[0, 0, 160, 90])
    app = PlayerApp(config, tuning=PlayerTuning(use_events=False, verify_interval_s=0, prevent_blanking=False))
    qtbot.addWidget(app.canvas)
    frames: list[Frame] = []

    def probe(image: QImage) -> None:
        cue = app.presenter.cue
        visual = app.presenter.visual
        own = True
        target = visual.new if isinstance(visual, CrossfadeVisual) else visual
        if isinstance(target, VideoVisual):
            own = target.source.last_frame is not None
        frames.append(Frame(time.monotonic(), cue.item.id if cue and cue.item else None, own,
                            dark_fraction(image)))

    app.canvas.frame_probe = probe
    boundaries: list[tuple[float, str]] = []
    app.runner.cueChanged.connect(
        lambda cue: boundaries.append(
            (time.monotonic() - (app.clock.epoch_s() - cue.start.timestamp()), cue.item.id))
        if cue.item is not None else None)
    app.start()
    try:
        qtbot.waitUntil(lambda: len(boundaries) >= TRANSITIONS + 1, timeout=int((ITEM_S * TRANSITIONS + 20) * 1000))
    finally:
        app.shutdown()

    first_t = boundaries[0][0]
    played = [f for f in frames if f.t_s >= first_t and f.t_s <= boundaries[TRANSITIONS][0]]
    assert len(played) > TRANSITIONS * 3
    black = [f for f in played if f.dark_fraction > 0.5 or f.item_id is None]
    assert black == [], f"{len(black)} black/empty frames, first at {black[0] if black else None}"
    assert not app.runner.failed, app.runner.failed
    order = [item for _t, item in boundaries[: TRANSITIONS + 1]]
    assert order[:len(LOOP)] == LOOP[LOOP.index(order[0]):] + LOOP[:LOOP.index(order[0])]
    gaps: list[tuple[float, str]] = []
    stale_frames: list[tuple[int, str]] = []
    stalls: list[str] = []
    for (boundary_s, item_id), (next_s, _) in zip(boundaries[1:TRANSITIONS + 1], [*boundaries[2:], (1e+18, "")],
                                                  strict=False):
        # boundary_s maps the cue's start through the player clock; a timer may fire a few ms early, so the
        # item's first frame can precede the computed boundary slightly (gap counted as 0 then)
        earliest_s = boundary_s - FRAME_INTERVAL_S
        shown = next((f for f in frames if f.t_s >= earliest_s and f.item_id == item_id and f.own_content), None)
        if not any(boundary_s <= f.t_s < next_s for f in frames):
            # no frame at all was painted during this slot: the event loop was held up, so frames cannot tell
            # what the screen showed; counted, and allowed rarely (seen about once in five runs: #13)
            stalls.append(item_id)
            continue
        in_slot = [(round((f.t_s - boundary_s) * 1000), f.item_id, f.own_content) for f in frames
                   if earliest_s <= f.t_s < next_s]
        assert shown is not None and shown.t_s < next_s, (
            f"item {item_id} never showed its own content; frames in its slot (ms from boundary, item, own): "
            f"{in_slot[:12]}")
        # judged by the renderer's own frames, not wall-clock luck: after the boundary at most one painted frame
        # (the one in flight) may still show something other than the new item's own content
        stale = [f for f in frames if boundary_s <= f.t_s < shown.t_s]
        stale_frames.append((len(stale), item_id))
        gaps.append((max(0.0, shown.t_s - boundary_s), item_id))
    worst = max(gaps)
    most_stale = max(stale_frames)
    median_ms = statistics.median(g for g, _ in gaps) * 1000
    print(f"transitions {len(gaps)}: median gap {median_ms:.1f} ms, worst {worst[0] * 1000:.1f} ms ({worst[1]}), "
          f"most stale frames {most_stale[0]} ({most_stale[1]}), stalls {stalls}, frames {len(played)}")
    # a loaded machine may run the boundary timer a few frames late now and then; systematic lateness (no
    # preload, a slow decoder start) shows in most transitions, so: 95 % within one frame, none beyond six
    assert len(stalls) <= TRANSITIONS // 50, f"no frame at all painted during {stalls}"
    typical = sorted(n for n, _ in stale_frames)[int(len(stale_frames) * 0.95) - 1]
    assert typical <= 1, f"95th percentile of stale frames is {typical} (median gap {median_ms:.1f} ms)"
    assert most_stale[0] <= 6, (f"{most_stale[0]} frames after the boundary of {most_stale[1]} showed other content "
                                f"(worst gap {worst[0] * 1000:.1f} ms, median {median_ms:.1f})")
