"""Benchmark: syncing a manifest change that adds 20 MB of media over a simulated VSAT link.

The link is :class:`tests/support/netsim.py LinkSimulator` on loopback: 2 Mbit/s shared
downstream, 600 ms RTT (plus one RTT per new connection), every connection cut
every 30 s. The player side is the real :class:`player.sync.SyncEngine`
(conditional GET, verify, staged commit, Range-resumed parallel downloads,
sha256) against a :class:`tests/support/netsim.py RangeServer` origin. Side by side,
``rsync --partial --append-verify`` (rsync daemon on loopback, through the same
simulated link) copies the same files in a retry loop.

Figures: bytes that crossed the link / new media bytes (goal <= 1.02), time /
the link's theoretical minimum (new bytes at 2 Mbit/s; goal <= 1.15), and
player vs rsync. Medians of ``--runs``. ``--quick`` uses 2 MB and a cut every
10 s. Writes ``benchmarks/results/player_vsat.json`` (and the detail table
``player_vsat.md``).

    .venv/bin/python benchmarks/bench_player_vsat.py [--quick] [--runs 3] [--no-rsync]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

sys.path.insert(0, str(ROOT / "benchmarks"))

from netsim import LinkSimulator, RangeServer  # noqa: E402
from resultfile import Figure, write_result  # noqa: E402
from toolcheck import require_tools  # noqa: E402

from player.cache import ManifestStore, MediaCache  # noqa: E402
from player.identity import Identity  # noqa: E402
from player.sync import SyncEngine  # noqa: E402
from signage.clock import format_utc  # noqa: E402
from signage.manifest import build_manifest  # noqa: E402
from signage.signing import SigningKey, envelope_bytes  # noqa: E402

RATE_BYTES_PER_S = 2_000_000 / 8
RTT_S = 0.6
BYTES_GOAL = 1.02
TIME_GOAL = 1.15


def machine() -> str:
    return f"nproc={os.cpu_count()}, {platform.machine()}, {platform.system()} {platform.release()}"


def media_files(total_bytes: int, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    size = total_bytes // count
    return [rng.randbytes(size) for _ in range(count)]


class Site:
    def __init__(self, origin: RangeServer, key: SigningKey) -> None:
        self.origin = origin
        self.key = key

    def publish(self, version: int, files: list[bytes]) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        items = {}
        for n, data in enumerate(files):
            sha = hashlib.sha256(data).hexdigest()
            self.origin.add(f"/api/v1/media/{sha}", data, "video/mp4")
            items[f"v{version}-{n}"] = {"type": "video", "duration_s": 30, "title": f"Video {n}",
                                        "media": {"sha256": sha, "size": len(data), "mime": "video/mp4",
                                                  "url": f"../media/{sha}"}}
        manifest = build_manifest(
            display_id="bench", version=version, generated_at=now - timedelta(hours=1),
            valid_until=now + timedelta(days=14), timezone="Asia/Pontianak",
            canvas={"width": 1920, "height": 1080, "rotation": 0},
            layouts={"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1}]}, layout="full", items=items,
            timeline=[{"start": format_utc(now - timedelta(hours=1)), "end": format_utc(now + timedelta(days=14)),
                       "zone": "main", "layer": "normal", "loop": list(items)}],
            fallback=[], operating_hours=[], key_id=self.key.key_id)
        self.origin.add("/api/v1/player/manifest", envelope_bytes(manifest, self.key), "application/json")


def player_run(new_bytes: int, count: int, cut_every_s: float, workdir: Path) -> dict[str, float]:
    key = SigningKey.generate()
    origin = RangeServer().start()
    site = Site(origin, key)
    old = media_files(1_000_000, 2, seed=1)
    site.publish(1, old)
    data_dir = workdir / "player"
    identity = Identity("bench", "tok", origin.url + "/api/v1/player/manifest", {key.key_id: key.public_text},
                        origin.url)
    direct = SyncEngine(identity, MediaCache(data_dir / "cache"), ManifestStore(data_dir / "manifest"))
    assert direct.sync_once().kind == "applied"  # version 1 already on the player
    link = LinkSimulator(("127.0.0.1", origin.port), rate_bytes_per_s=RATE_BYTES_PER_S, rtt_s=RTT_S,
                         cut_every_s=cut_every_s).start()
    via_link = Identity("bench", "tok", link.url + "/api/v1/player/manifest", {key.key_id: key.public_text},
                        link.url)
    engine = SyncEngine(via_link, MediaCache(data_dir / "cache"), ManifestStore(data_dir / "manifest"),
                        current=direct.current)
    engine.etag = direct.etag
    new = media_files(new_bytes, count, seed=2)
    site.publish(2, old + new)
    started = time.monotonic()
    try:
        outcome = engine.sync_once()
        while outcome.kind == "failed":  # the SyncService would retry after 2 s; a cut during the manifest GET
            time.sleep(2)
            outcome = engine.sync_once()
        assert outcome.kind == "applied", outcome
        while engine.pending:
            done = engine.fetch_pending()
            if done is not None and done.kind == "failed":
                time.sleep(2)
        elapsed = time.monotonic() - started
    finally:
        link.stop()
        origin.stop()
    for data in new:
        assert (data_dir / "cache" / hashlib.sha256(data).hexdigest()).read_bytes() == data
    return {"time_s": elapsed, "bytes": link.counters.bytes_to_client, "from_origin": link.counters.bytes_from_origin,
            "cuts": link.counters.cuts, "connections": link.counters.connections, "new_bytes": sum(map(len, new)),
            "resumed": engine.stats.resumed}


def rsync_run(new_bytes: int, count: int, cut_every_s: float, workdir: Path) -> dict[str, float]:
    src, dest = workdir / "rsync-src", workdir / "rsync-dest"
    src.mkdir()
    dest.mkdir()
    old = media_files(1_000_000, 2, seed=1)
    for n, data in enumerate(old):
        (src / f"old-{n}").write_bytes(data)
        (dest / f"old-{n}").write_bytes(data)
    new = media_files(new_bytes, count, seed=2)
    for n, data in enumerate(new):
        (src / f"new-{n}").write_bytes(data)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conf = workdir / "rsyncd.conf"
    conf.write_text(f"use chroot = no\npid file = {workdir}/rsyncd.pid\nuid = {os.getuid()}\ngid = {os.getgid()}\n"
                    f"[media]\npath = {src}\nread only = yes\n")
    daemon = subprocess.Popen(["rsync", "--daemon", "--no-detach", f"--config={conf}", f"--port={port}",
                               "--address=127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    link = LinkSimulator(("127.0.0.1", port), rate_bytes_per_s=RATE_BYTES_PER_S, rtt_s=RTT_S,
                         cut_every_s=cut_every_s).start()
    attempts = 0
    started = time.monotonic()
    try:
        while True:
            attempts += 1
            rc = subprocess.run(["rsync", "-a", "--partial", "--append-verify", "--timeout=60",
                                 f"rsync://127.0.0.1:{link.port}/media/", f"{dest}/"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            if rc == 0:
                break
            if attempts > 200:
                raise RuntimeError("rsync never finished")
        elapsed = time.monotonic() - started
    finally:
        link.stop()
        daemon.terminate()
        daemon.wait(timeout=10)
    for n, data in enumerate(new):
        assert (dest / f"new-{n}").read_bytes() == data
    return {"time_s": elapsed, "bytes": link.counters.bytes_to_client, "from_origin": link.counters.bytes_from_origin,
            "cuts": link.counters.cuts, "connections": link.counters.connections, "new_bytes": sum(map(len, new)),
            "attempts": attempts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 MB of new media, a cut every 10 s")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-rsync", action="store_true")
    args = parser.parse_args()
    new_bytes, count, cut_s = (2_000_000, 4, 10.0) if args.quick else (20_000_000, 5, 30.0)
    have_rsync = not args.no_rsync
    if have_rsync:
        require_tools(["rsync"])  # the peer is part of the figure: no silent run without it
    players, rsyncs = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            players.append(player_run(new_bytes, count, cut_s, Path(tmp)))
            print(f"run {run + 1} player: {players[-1]}", flush=True)
        if have_rsync:
            with tempfile.TemporaryDirectory() as tmp:
                rsyncs.append(rsync_run(new_bytes, count, cut_s, Path(tmp)))
                print(f"run {run + 1} rsync:  {rsyncs[-1]}", flush=True)
    theory_s = new_bytes / RATE_BYTES_PER_S

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    p_time, p_bytes = med(players, "time_s"), med(players, "bytes")
    bytes_ratio, time_ratio = p_bytes / new_bytes, p_time / theory_s
    print(f"player: {p_bytes / 1e6:.2f} MB over the link for {new_bytes / 1e6:.1f} MB of new media: ratio "
          f"{bytes_ratio:.3f} (goal <= {BYTES_GOAL}); {p_time:.1f} s vs theoretical {theory_s:.1f} s: ratio "
          f"{time_ratio:.3f} (goal <= {TIME_GOAL})")
    rows = [("player (SyncEngine)", players)]
    if rsyncs:
        r_time, r_bytes = med(rsyncs, "time_s"), med(rsyncs, "bytes")
        print(f"rsync:  {r_bytes / 1e6:.2f} MB, {r_time:.1f} s; player/rsync time {p_time / r_time:.3f}, "
              f"bytes {p_bytes / r_bytes:.3f}")
        rows.append(("rsync --partial --append-verify (retry loop)", rsyncs))
    name = "player_vsat.md"  # the detail table of the run whose figures are in player_vsat.json
    command = ".venv/bin/python benchmarks/bench_player_vsat.py" + \
        (" --quick" if args.quick else "") + f" --runs {args.runs}"
    lines = [
        "# Player sync over a simulated VSAT link\n",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- command: `{command}`",
        f"- link: `tests/support/netsim.py LinkSimulator` on loopback, {RATE_BYTES_PER_S * 8 / 1e6:.0f} Mbit/s shared "
        f"downstream, {RTT_S * 1000:.0f} ms RTT (+1 RTT per connection), every connection cut every {cut_s:.0f} s",
        f"- change: manifest version 1 -> 2 adds {count} files, {new_bytes / 1e6:.1f} MB of new media "
        "(incompressible); theoretical minimum = new bytes at the link rate = "
        f"{theory_s:.1f} s",
        "- bytes = everything that crossed the link towards the player (HTTP headers, the manifest, bytes lost "
        "in flight at each cut)\n",
        f"| | time (median of {args.runs}) | time / theoretical | bytes over link | bytes / new media | cuts | "
        "connections |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, data in rows:
        lines.append(f"| {label} | {med(data, 'time_s'):.1f} s | {med(data, 'time_s') / theory_s:.3f} | "
                     f"{med(data, 'bytes') / 1e6:.3f} MB | {med(data, 'bytes') / new_bytes:.4f} | "
                     f"{med(data, 'cuts'):.0f} | {med(data, 'connections'):.0f} |")
    lines.append("")
    lines.append(f"Goals: bytes ratio <= {BYTES_GOAL}: **{bytes_ratio:.4f}** "
                 f"({'met' if bytes_ratio <= BYTES_GOAL else 'NOT met'}); time ratio <= {TIME_GOAL}: "
                 f"**{time_ratio:.3f}** ({'met' if time_ratio <= TIME_GOAL else 'NOT met'}).")
    if rsyncs:
        lines.append(f"\nPlayer / rsync: time **{p_time / med(rsyncs, 'time_s'):.3f}**, bytes "
                     f"**{p_bytes / med(rsyncs, 'bytes'):.3f}**.")
    (ROOT / "benchmarks" / "results" / name).write_text("\n".join(lines) + "\n")
    print(f"wrote benchmarks/results/{name}")
    peer = "rsync --partial --append-verify retry loop" if rsyncs else None
    figures = [
        Figure(
            "bytes_ratio",
            "bytes over the link / new media bytes",
            "x",
            runs=[r["bytes"] / new_bytes for r in players],
            goal=BYTES_GOAL,
            peer_label=peer,
            peer_runs=[r["bytes"] / new_bytes for r in rsyncs] or None,
        ),
        Figure(
            "time_ratio",
            f"sync time / link minimum ({theory_s:.0f} s)",
            "x",
            runs=[r["time_s"] / theory_s for r in players],
            goal=TIME_GOAL,
            peer_label=peer,
            peer_runs=[r["time_s"] / theory_s for r in rsyncs] or None,
        ),
        Figure(
            "sync_time_s",
            f"time to sync +{new_bytes / 1e6:.0f} MB of new media",
            "s",
            runs=[r["time_s"] for r in players],
            peer_label=peer,
            peer_runs=[r["time_s"] for r in rsyncs] or None,
        ),
    ]
    notes = ["the machine is shared with other engineers' work (load at start under 'machine')"]
    if args.quick:
        notes.append("--quick: 2 MB of new media and a cut every 10 s instead of 20 MB and 30 s")
    path = write_result(
        "player_vsat",
        "Player sync over a simulated VSAT link",
        figures,
        command=command,
        workload=f"LinkSimulator on loopback: {RATE_BYTES_PER_S * 8 / 1e6:.0f} Mbit/s, {RTT_S * 1000:.0f} ms RTT,"
        f" every connection cut every {cut_s:.0f} s; manifest version 1 -> 2 adds {count} files,"
        f" {new_bytes / 1e6:.1f} MB (incompressible); real SyncEngine against a RangeServer origin",
        notes=notes,
    )
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
