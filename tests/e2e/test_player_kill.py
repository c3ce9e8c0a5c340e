"""kill -9 the real player process at random points during sync.

After every kill the cache must hold no corrupt or partial file under a final
(sha256) name and current.json must be a whole, verifiable envelope; the last
restart must play. ~5 kills normally, 50 with SIGNAGE_STRESS=1.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from netsim import RangeServer
from PIL import Image
from procs import read_status

from player.cache import ManifestStore, MediaCache
from player.identity import Identity, save_identity
from signage.clock import format_utc
from signage.manifest import build_manifest
from signage.signing import SigningKey, envelope_bytes, verify_envelope

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DISPLAY = "layar-kill"
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
RUNS = 50 if os.environ.get("SIGNAGE_STRESS") else 5
#: Logged by `signage player run` once the player is built, right before it starts playing and syncing.
STARTED = "player starting:"


def noise_png(seed: int, width: int = 360, height: int = 300) -> bytes:
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    return out.getvalue()


def player_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", SIGNAGE_PLAYER_USE_EVENTS="0", SIGNAGE_PLAYER_VERIFY_INTERVAL_S="0")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def wait_started(log_path: Path, before: int, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    """Wait until the player process has logged its start (``STARTED``) once more than ``before`` times."""
    deadline = time.monotonic() + timeout_s
    while log_path.read_text().count(STARTED) <= before:
        assert proc.poll() is None, log_path.read_text()[-3000:]
        assert time.monotonic() < deadline, f"the player did not start within {timeout_s:.0f} s"
        time.sleep(0.02)


def check_cache(data_dir: Path, key: SigningKey) -> int:
    """Every file under a final name hashes to it; current.json verifies. Returns complete files."""
    cache = data_dir / "cache"
    complete = 0
    if cache.is_dir():
        for path in cache.iterdir():
            if path.is_dir():
                assert path.name == ".partial", path
                continue
            assert SHA_RE.match(path.name), f"unexpected file in the cache: {path.name}"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"corrupt {path.name}"
            complete += 1
    for name in ("current.json", "last_good.json"):
        envelope = data_dir / "manifest" / name
        if envelope.exists():
            verify_envelope(envelope.read_bytes(), {key.key_id: key.public_key})
    return complete


def test_kill_minus_9_during_sync_never_leaves_a_corrupt_cache(tmp_path: Path):
    key = SigningKey.generate()
    origin = RangeServer(throttle_bytes_per_s=600_000).start()
    data_dir = tmp_path / "player"
    now = datetime.now(UTC).replace(microsecond=0)
    items: dict[str, Any] = {}
    for n in range(6):
        png = noise_png(n)
        sha = hashlib.sha256(png).hexdigest()
        origin.add(f"/api/v1/media/{sha}", png, "image/png")
        items[f"img-{n}"] = {"type": "image", "duration_s": 2, "title": f"Gambar {n}",
                             "media": {"sha256": sha, "size": len(png), "mime": "image/png",
                                       "url": f"../media/{sha}"}}
    manifest = build_manifest(
        display_id=DISPLAY, version=1, generated_at=now - timedelta(hours=1), valid_until=now + timedelta(days=2),
        timezone="Asia/Pontianak", canvas={"width": 160, "height": 90, "rotation": 0},
        layouts={"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1}]}, layout="full", items=items,
        timeline=[{"start": format_utc(now - timedelta(hours=1)), "end": format_utc(now + timedelta(days=2)),
                   "zone": "main", "layer": "normal", "loop": list(items)}],
        fallback=[], operating_hours=[], key_id=key.key_id)
    origin.add("/api/v1/player/manifest", envelope_bytes(manifest, key), "application/json")
    save_identity(data_dir, Identity(DISPLAY, "tok", origin.url + "/api/v1/player/manifest",
                                     {key.key_id: key.public_text}, origin.url))
    command = [sys.executable, "-m", "signage", "player", "run", "--server", origin.url,
               "--data-dir", str(data_dir), "--geometry", "0,0,160,90"]
    rng = random.Random(int(os.environ.get("SIGNAGE_KILL_SEED", "7")))
    log_path = tmp_path / "player.log"
    kills_mid_download = 0
    try:
        for run in range(RUNS):
            # start over now and then, so kills land early in a download as well as late
            if run % 4 == 0:
                for path in (data_dir / "cache").glob("*"):
                    if path.is_file():
                        path.unlink()
                for path in (data_dir / "manifest").glob("*.json"):
                    path.unlink()
            started = log_path.read_text().count(STARTED) if log_path.exists() else 0
            with log_path.open("ab") as log:
                proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=player_env())
            # the random moment counts from the player's own start (its sync begins then), not from the spawn:
            # on a loaded machine Python and Qt may take seconds to load, and a kill then hits no sync at all
            wait_started(log_path, started, proc)
            time.sleep(rng.uniform(0.0, 2.2))
            partial = list((data_dir / "cache" / ".partial").glob("*.part"))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            kills_mid_download += bool(partial)
            check_cache(data_dir, key)
        # the last restart resumes and plays (status.json of a killed run must not count)
        (data_dir / "status.json").unlink(missing_ok=True)
        with log_path.open("ab") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=player_env())
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status = read_status(data_dir)
                if status.get("state") == "playing" and status.get("manifest_version") == 1 \
                        and check_cache(data_dir, key) == len(items):
                    break
                assert proc.poll() is None, log_path.read_text()[-3000:]
                time.sleep(0.2)
            else:
                raise AssertionError(f"no playback after restart: {read_status(data_dir)}")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
        assert proc.returncode == 0
        loaded = ManifestStore(data_dir / "manifest").load({key.key_id: key.public_key},
                                                           MediaCache(data_dir / "cache"), DISPLAY)
        assert loaded is not None and loaded.complete
        assert kills_mid_download >= 1, "no kill landed during a download; the test proves nothing"
    finally:
        origin.stop()
