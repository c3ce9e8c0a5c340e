"""Manifest size on the wire for a busy display, through the real scheduler API.

A 1920x1080 display with a ticker and a clock strip gets: a 20-item normal loop
(text slides, half of them in dayparts), 3 interrupts (share of voice), 2 overlay
items, and the 14-day horizon. The manifest is fetched over real HTTP from the
scheduler (uvicorn on loopback) with and without ``Accept-Encoding: gzip``.

Goal: <= 256 KB on the wire (about a second over a 2 Mbit/s VSAT link).
Run: .venv/bin/python benchmarks/bench_manifest_size.py
Writes ``benchmarks/results/manifest_size.json`` (and the detail table ``manifest_size.md``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from resultfile import Figure, write_result

from scheduler import enrolment
from scheduler.actions import approve_and_publish
from scheduler.announcements import create_announcement
from scheduler.app import create_app
from scheduler.demo_data import seed
from scheduler.service import Service
from scheduler.store import dumps
from signage.config import SchedulerConfig

GOAL_WIRE_BYTES = 256 * 1024
LINK_BITS_PER_S = 2_000_000
RESULTS = Path(__file__).resolve().parent / "results" / "manifest_size.md"


def build(service: Service) -> int:
    db = service.db
    with service.lock:
        db["displays"].update("kantor-bupati", {"zones": dumps(["main", "ticker", "clock"])})
        editor = next(db["users"].rows_where("username = 'editor'"))
        admin = next(db["users"].rows_where("username = 'admin'"))
        ids = []
        for i in range(20):
            schedule = (
                {"dayparts": [{"start": "06:00", "end": "10:00"}, {"start": "16:00", "end": "21:00"}]} if i % 2 else {}
            )
            ids.append(
                create_announcement(
                    db,
                    {
                        "title": f"Pengumuman {i + 1}: layanan publik Kabupaten Mempawah",
                        "body": "Informasi resmi Diskominfo. " * 3,
                        "duration_s": 8 + i % 5,
                        "targets": {"displays": ["kantor-bupati"]},
                        "schedule": schedule,
                    },
                    editor["id"],
                    service.clock(),
                )
            )
        for i, share in enumerate(({"seconds_per_hour": 60}, {"percent": 3}, {"seconds_per_hour": 90})):
            ids.append(
                create_announcement(
                    db,
                    {
                        "title": f"Iklan layanan {i + 1}",
                        "layer": "interrupt",
                        "duration_s": 15,
                        "targets": {"displays": ["kantor-bupati"]},
                        "schedule": {"share": share},
                    },
                    editor["id"],
                    service.clock(),
                )
            )
        for zone_name, title in (("ticker", "Selamat datang di Kantor Bupati Mempawah"), ("clock", "Jam")):
            ids.append(
                create_announcement(
                    db,
                    {
                        "title": title,
                        "layer": "overlay",
                        "duration_s": 30,
                        "targets": {"displays": ["kantor-bupati"]},
                        "schedule": {"zone": zone_name},
                    },
                    editor["id"],
                    service.clock(),
                )
            )
    for ann_id in ids[:-1]:
        with service.lock:
            service.db["announcements"].update(ann_id, {"status": "approved"})
    approve_and_publish(service, ids[-1], admin)
    return len(ids)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-manifest-"))
    try:
        service = Service(SchedulerConfig(data_dir=str(work / "scheduler")))
        seed(service)
        count = build(service)
        secret = "bench-secret-" + "x" * 32
        digest = enrolment.secret_digest(secret)
        enrolment.request_enrolment(service.db, "BNC234", "bench", digest, "127.0.0.1", service.clock())
        enrolment.approve(service.db, "BNC234", "kantor-bupati", service.clock())
        token = enrolment.collect(service.db, "BNC234", secret, service.clock())["token"]
        server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=0, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/api/v1/player/manifest"
        auth = {"Authorization": f"Bearer {token}"}
        raw = requests.get(url, headers={**auth, "Accept-Encoding": "identity"}, timeout=30)
        wire_runs = []
        for _ in range(3):  # the same manifest fetched three times: the figure of each fetch is kept
            wire = requests.get(url, headers={**auth, "Accept-Encoding": "gzip"}, timeout=30, stream=True)
            wire_runs.append(len(wire.raw.read(decode_content=False)))
        wire_bytes = wire_runs[-1]
        manifest = json.loads(raw.content)["manifest"]
        layers: dict[str, int] = {}
        for segment in manifest["timeline"]:
            layers[segment["layer"]] = layers.get(segment["layer"], 0) + 1
        server.should_exit = True
        thread.join(timeout=10)
        service.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds_on_link = wire_bytes * 8 / LINK_BITS_PER_S
    per_layer = ", ".join(f"{k}: {v}" for k, v in sorted(layers.items()))
    lines = [
        "# Manifest size for a busy display",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: nproc={os.cpu_count()}, {platform.machine()}",
        "- command: `.venv/bin/python benchmarks/bench_manifest_size.py`",
        f"- display kantor-bupati 1920x1080 with ticker + clock zones; {count} announcements "
        "(20-item loop, half in dayparts; 3 interrupts; 2 overlays); 14-day horizon",
        f"- timeline: {len(manifest['timeline'])} segments ({per_layer}), {len(manifest['items'])} items",
        "",
        "| figure | measured | goal | ratio |",
        "|---|---:|---:|---:|",
        f"| raw JSON (envelope) | {len(raw.content):,} B | - | - |",
        f"| on the wire, gzip (`Content-Encoding: {wire.headers.get('Content-Encoding')}`) | {wire_bytes:,} B | "
        f"{GOAL_WIRE_BYTES:,} B | {wire_bytes / GOAL_WIRE_BYTES:.3f} |",
        f"| time on a 2 Mbit/s link | {seconds_on_link:.2f} s | 1.05 s | {seconds_on_link / 1.05:.3f} |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    write_result(
        "manifest_size",
        "Manifest size for a busy display",
        [
            Figure("raw_bytes", "raw JSON envelope", "B", runs=[float(len(raw.content))]),
            Figure(
                "wire_bytes",
                f"on the wire, Content-Encoding: {wire.headers.get('Content-Encoding')}",
                "B",
                runs=[float(b) for b in wire_runs],
                goal=GOAL_WIRE_BYTES,
            ),
            Figure(
                "link_s",
                "time on a 2 Mbit/s link",
                "s",
                runs=[b * 8 / LINK_BITS_PER_S for b in wire_runs],
                goal=1.05,
            ),
        ],
        command=".venv/bin/python benchmarks/bench_manifest_size.py",
        workload=f"display kantor-bupati 1920x1080 with ticker + clock zones; {count} announcements (20-item loop,"
        f" half in dayparts; 3 interrupts; 2 overlays); 14-day horizon; {len(manifest['timeline'])} segments"
        f" ({per_layer}), {len(manifest['items'])} items; fetched over HTTP from the real scheduler",
        notes=["the wire size is that of the same manifest fetched three times (the link time is computed from it)"],
    )
    return 0 if wire_bytes <= GOAL_WIRE_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
