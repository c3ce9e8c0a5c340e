"""Dayparts on a real player: an announcement for the hours around now plays, one for later hours does not;
at instants inside and outside those hours (an injected clock) the player's own decision agrees.

A real ``signage player run`` process (offscreen, screenshots on) syncs from the real scheduler; its
status and screenshot pixels show what it plays. The manifest it verified is then judged at other
instants with the player's decision code (``player.runner.decide_at``), the clock being a parameter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from player_scenes import add_display, admin, colour_distance, editor, mean_rgb, solid_png, upload
from procs import stop
from tests_support import enrol_player, post_approve

from player.runner import decide_at
from signage.clock import zone
from signage.manifest import parse_manifest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DISPLAY_ID = "layar-jam"
SIZE = (320, 180)
RED, BLUE = (210, 40, 40), (40, 60, 200)
TIMEOUT_S = 90


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def scheduled(live: Any, title: str, sha256: str, start: datetime, end: datetime) -> str:
    import requests

    body = {"title": title, "kind": "image", "media_sha256": sha256, "duration_s": 10,
            "targets": {"displays": [DISPLAY_ID], "groups": []},
            "schedule": {"dayparts": [{"start": hhmm(start), "end": hhmm(end)}]}}
    r = requests.post(f"{live.url}/api/v1/admin/announcements", json=body, auth=editor(live), timeout=30)
    assert r.status_code == 201, r.text
    ann_id = r.json()["announcement"]["id"]
    r = post_approve(f"{live.url}/api/v1/admin/announcements/{ann_id}/approve", auth=admin(live), timeout=60)
    assert r.status_code == 200, r.text
    return f"ann-{ann_id}"


def test_daypart_plays_inside_its_hours_and_not_outside(live_scheduler: Any, tmp_path: Path) -> None:
    live = live_scheduler
    add_display(live.service, DISPLAY_ID, *SIZE)
    now = datetime.now(UTC).astimezone(zone("Asia/Pontianak")).replace(second=0, microsecond=0)
    inside = scheduled(live, "Sekarang", upload(live, "merah.png", solid_png(RED, SIZE), "image/png"),
                       now - timedelta(minutes=30), now + timedelta(minutes=30))
    later = scheduled(live, "Nanti", upload(live, "biru.png", solid_png(BLUE, SIZE), "image/png"),
                      now + timedelta(hours=3), now + timedelta(hours=4))

    data_dir = tmp_path / "player"
    enrol_player(live, DISPLAY_ID, "JAM234", data_dir)
    config = tmp_path / "player.yaml"
    config.write_text("poll_interval_s: 2\nscreenshot_interval_s: 1\n")
    shot = tmp_path / "screen.png"
    log = tmp_path / "player.log"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with log.open("wb") as out:
        player = subprocess.Popen(
            [sys.executable, "-m", "signage", "player", "run", "--config", str(config), "--server", live.url,
             "--data-dir", str(data_dir), "--geometry", f"0,0,{SIZE[0]},{SIZE[1]}", "--screenshot", str(shot)],
            stdout=out, stderr=subprocess.STDOUT, env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT_S
        shown: set[str] = set()
        red_seen = False
        while time.monotonic() < deadline and not red_seen:
            assert player.poll() is None, log.read_text()[-3000:]
            try:
                status = json.loads((data_dir / "status.json").read_text())
            except (FileNotFoundError, ValueError):
                status = {}
            current = (status.get("current") or {}).get("item_id")
            if current:
                shown.add(current)
            if current == inside and shot.exists():
                with Image.open(shot) as image:
                    red_seen = colour_distance(mean_rgb(image.convert("RGB")), RED) < 40
            time.sleep(0.3)
        assert red_seen, f"the announcement for these hours never showed; seen {shown}\n{log.read_text()[-2000:]}"
        assert later not in shown

        # the manifest the player verified, judged at other instants: the clock is a parameter
        envelope = json.loads((data_dir / "manifest" / "current.json").read_bytes())
        manifest = parse_manifest(envelope["manifest"])
        assert decide_at(manifest, now.astimezone(UTC)).item.id == inside  # type: ignore[union-attr]
        in_later = (now + timedelta(hours=3, minutes=30)).astimezone(UTC)
        assert decide_at(manifest, in_later).item.id == later  # type: ignore[union-attr]
        between = (now + timedelta(hours=2)).astimezone(UTC)
        assert decide_at(manifest, between).item is None  # neither: the slate
    finally:
        stop(player, timeout_s=15)
