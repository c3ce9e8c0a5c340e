"""Benchmark of publishing: what the scheduler runs, through ``scheduler.publish.Publisher``.

Every figure goes through the production path: a real store (``Service`` on a
temporary data dir) holding the world below as approved announcements and their
stored rules (``benchmarks/world_store.py``), published by ``Publisher`` --
compile, manifest, content hash, sign, gzip, write files, record versions; large
batches on every core (``scheduler/publish_pool.py``), as in the scheduler.

    .venv/bin/python benchmarks/bench_compile.py [--runs 3] [--quick]

The world (``make_world``): 1,000 displays in 100 kecamatan groups of 10, an
"outdoor-led" group, tags; 5,000 rules: most announcements target one
kecamatan, 5% interrupts, a few emergencies, dayparts on half, validity windows
on 60%, presets on 15%, weights on 10% and max-per-hour caps on 5% of the normal
rules (``--caps-percent``), a ticker per kecamatan and a clock strip as overlays.
Figures (medians over ``--runs``), written to ``results/compile.json``:

* full publish of every display (each run a new horizon day, so every manifest
  changes) -- goal <= 10 s -- with manifest schema ``--schema`` (default 2, the
  compact timeline every current player reads), beside the same publish with
  schema-1 manifests (the timeline as segment lists) as the peer; a tenth of the
  displays (at least 20) on every core, with one process as the peer (the path
  before issue 13);
* the one-edit republish: edit one kecamatan announcement's rule, publish the
  displays it reaches (``displays_reached``) -- goal <= 200 ms -- on a heap settled as the
  server keeps it (``scheduler/gcpause.py``), beside the same edits before the settle;
* the no-change republish of the busy display (20-item loop, 3 interrupts,
  2 overlays) -- goal <= 30 ms; also right after a restart (nothing in memory);
* the no-change republish of every display (the 5-minute loop): inputs equal to the current
  versions' are known from a digest, without compiling (``scheduler/publish_inputs.py``);
  peer: compiling each display to find its timeline unchanged (the path before);
* the busy display's stored manifest, raw and gzip (goal <= 256 KB gzip), beside schema 1's.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from resultfile import Figure, write_result
from world_store import write_world

from playlists.codec import parse_display, parse_item, parse_rule
from playlists.compiler import CompiledTimeline
from playlists.model import Display, ItemSpec, Rule
from scheduler import gcpause
from scheduler.announcements import displays_reached
from scheduler.publish import Publisher
from scheduler.publish_pool import RenderPool
from scheduler.schedule import compile_for_display
from scheduler.service import Service
from signage.config import SchedulerConfig

HORIZON_START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
HORIZON_DAYS = 14
GOAL_FULL_S = 10.0
GOAL_RECOMPILE_MS = 200.0
GOAL_GZIP_KB = 256.0
GOAL_NOOP_MS = 30.0
#: The scheduler's clock at the first run: local midnight of HORIZON_START's day comes next in WIB.
FIRST_NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def make_world(
    n_displays: int, n_rules: int, seed: int = 7, caps_percent: float = 5.0
) -> tuple[list[Display], list[Rule], dict[str, ItemSpec]]:
    rnd = random.Random(seed)
    n_kec = max(1, n_displays // 10)
    displays = []
    for i in range(n_displays):
        d: dict[str, Any] = {
            "id": f"d{i:04d}",
            "groups": [f"kec-{i % n_kec:02d}"] + (["outdoor-led"] if i % 5 else []),
            "tags": ["highway"] if i % 10 == 3 else ["town"],
            "zones": ["main", "ticker", "clock"],
        }
        if i % 10 != 0:
            d["operating_hours"] = [{"start": "05:00", "end": "23:00"}]
        if i % 20 == 7:
            d["canvas"] = {"width": 1920, "height": 1080, "rotation": 90}
        displays.append(parse_display(d))
    items: dict[str, ItemSpec] = {}
    for k in range(2_000):
        kind = rnd.choice(["image", "image", "text", "stat", "video"])
        duration = rnd.choice([10, 10, 12, 15]) if kind != "video" else rnd.randint(15, 60)
        items[f"it{k:04d}"] = parse_item({"id": f"it{k:04d}", "type": kind, "duration_s": duration})
    items["ticker"] = parse_item({"id": "ticker", "type": "ticker", "duration_s": 30})
    items["clock"] = parse_item({"id": "clock", "type": "clock", "duration_s": 60})
    rules: list[Rule] = []

    def target() -> dict[str, Any]:
        roll = rnd.random()
        if roll < 0.80:
            return {"groups": [f"kec-{rnd.randrange(n_kec):02d}"]}
        if roll < 0.88:
            return (
                {"tags": [rnd.choice(["highway", "town"])]}
                if rnd.random() < 0.1
                else {"groups": sorted({f"kec-{rnd.randrange(n_kec):02d}" for _ in range(2)})}
            )
        if roll < 0.99:
            return {"displays": sorted({f"d{rnd.randrange(n_displays):04d}" for _ in range(rnd.randint(1, 3))})}
        return {"groups": ["outdoor-led"]}

    for r in range(n_rules):
        d: dict[str, Any] = {"id": f"r{r:05d}", "item": f"it{rnd.randrange(2_000):04d}", "targets": target()}
        roll = r % 100
        if roll < 5:
            d["layer"] = "interrupt"
            d["share"] = (
                {"seconds_per_hour": rnd.choice([30, 60, 90, 120])} if r % 2 else {"percent": rnd.choice([1, 2, 3])}
            )
            d["item"] = f"it{rnd.randrange(1_500):04d}"
        elif roll < 7:
            d["layer"] = "fallback"
        if rnd.random() < 0.5:
            start_h = rnd.choice([5, 6, 7, 11, 16, 18, 22])
            length_h = rnd.choice([2, 3, 4, 5, 6])
            d["dayparts"] = [{"start": f"{start_h:02d}:00", "end": f"{(start_h + length_h) % 24:02d}:00"}]
        if rnd.random() < 0.6:
            day = rnd.randint(-7, 13)
            start = datetime(2026, 12, 1) + (datetime(2026, 12, 2) - datetime(2026, 12, 1)) * day
            d["valid_from"] = start.isoformat(timespec="seconds")
            d["valid_until"] = (
                start.replace(hour=0) + (datetime(2026, 12, 2) - datetime(2026, 12, 1)) * rnd.randint(1, 30)
            ).isoformat(timespec="seconds")
        if rnd.random() < 0.15:
            d["preset"] = rnd.choice(["weekdays", "fridays", "first_monday", "every_day"])
        if d.get("layer") is None and rnd.random() < 0.1:
            d["weight"] = rnd.randint(2, 3)
        if d.get("layer") is None and rnd.random() < caps_percent / 100:
            d["max_per_hour"] = rnd.randint(2, 6)
        rules.append(parse_rule(d))
    for k in range(n_kec):
        rules.append(
            parse_rule(
                {
                    "id": f"tk{k:03d}",
                    "item": "ticker",
                    "layer": "overlay",
                    "zone": "ticker",
                    "targets": {"groups": [f"kec-{k:02d}"]},
                }
            )
        )
    rules.append(
        parse_rule({"id": "clock", "item": "clock", "layer": "overlay", "zone": "clock", "targets": {"all": True}})
    )
    for e in range(4):
        day = 1 + 3 * e
        rules.append(
            parse_rule(
                {
                    "id": f"em{e}",
                    "item": f"it{e:04d}",
                    "layer": "emergency",
                    "valid_from": f"2026-12-{day:02d}T14:{7 * e:02d}:13",
                    "valid_until": f"2026-12-{day:02d}T16:00:00",
                    "targets": {
                        "groups": [f"kec-{(e * 13) % n_kec:02d}", "outdoor-led"]
                        if e == 0
                        else [f"kec-{(e * 13) % n_kec:02d}"]
                    },
                }
            )
        )
    return displays, rules, items


def busy_display() -> tuple[Display, list[Rule], dict[str, ItemSpec]]:
    display = parse_display(
        {"id": "busy", "zones": ["main", "ticker", "clock"], "operating_hours": [{"start": "05:00", "end": "23:00"}]}
    )
    items = {
        f"a{k:02d}": parse_item({"id": f"a{k:02d}", "type": "image", "duration_s": 10 + (k % 3) * 5}) for k in range(20)
    }
    items["spot1"] = parse_item({"id": "spot1", "type": "video", "duration_s": 15})
    items["spot2"] = parse_item({"id": "spot2", "type": "video", "duration_s": 30})
    items["spot3"] = parse_item({"id": "spot3", "type": "image", "duration_s": 10})
    items["ticker"] = parse_item({"id": "ticker", "type": "ticker", "duration_s": 30})
    items["clock"] = parse_item({"id": "clock", "type": "clock", "duration_s": 60})
    rules = [parse_rule({"id": f"n{k:02d}", "item": f"a{k:02d}", "targets": {"all": True}}) for k in range(20)]
    rules += [
        parse_rule(
            {
                "id": "i1",
                "item": "spot1",
                "layer": "interrupt",
                "share": {"seconds_per_hour": 60},
                "targets": {"all": True},
            }
        ),
        parse_rule(
            {"id": "i2", "item": "spot2", "layer": "interrupt", "share": {"percent": 2.5}, "targets": {"all": True}}
        ),
        parse_rule(
            {
                "id": "i3",
                "item": "spot3",
                "layer": "interrupt",
                "share": {"seconds_per_hour": 40},
                "dayparts": [{"start": "06:00", "end": "09:00"}, {"start": "16:00", "end": "19:00"}],
                "targets": {"all": True},
            }
        ),
        parse_rule({"id": "tk", "item": "ticker", "layer": "overlay", "zone": "ticker", "targets": {"all": True}}),
        parse_rule({"id": "ck", "item": "clock", "layer": "overlay", "zone": "clock", "targets": {"all": True}}),
    ]
    return display, rules, items


def compile_one(display: Display, rules: list[Rule], items: dict[str, ItemSpec]) -> CompiledTimeline:
    """The engine alone, as the publisher calls it (used by tests of the engine's digest)."""
    return compile_for_display(display, rules, items, [], HORIZON_START, HORIZON_DAYS)


class Clock:
    """The scheduler's clock, moved by the benchmark (a new day makes every manifest change)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def open_store(root: Path, clock: Clock) -> Service:
    return Service(SchedulerConfig(data_dir=str(root)), clock=clock)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def _clear_files(service: Service) -> None:
    """Drop the kept envelope files between runs (GBs at full size); the store keeps its versions."""
    shutil.rmtree(service.publisher.manifests_dir, ignore_errors=True)


def _set_schema(service: Service, schema: int) -> None:
    """As if every display's player had reported reading ``schema`` (``scheduler/manifest_schema.py``)."""
    with service.lock:
        service.db.execute("update displays set manifest_schema = ?", [schema])


def bench_fleet(args: argparse.Namespace, root: Path, notes: list[str]) -> list[Figure]:
    displays, rules, items = make_world(args.displays, args.rules, caps_percent=args.caps_percent)
    clock = Clock(FIRST_NOW)
    service = open_store(root / "fleet", clock)
    write_world(service.db, displays, rules, items, manifest_schema=args.schema)
    publisher = service.publisher
    workers = publisher.pool.workers
    figures: list[Figure] = []
    try:
        small = [d.id for d in displays[: max(20, len(displays) // 10)]]  # past the in-process threshold
        serial_pool, parallel_pool = RenderPool(workers=1), publisher.pool
        small_serial, small_parallel = [], []
        for _ in range(args.runs):
            for pool, out in ((serial_pool, small_serial), (parallel_pool, small_parallel)):
                clock.now += timedelta(days=1)
                publisher.pool = pool
                seconds, published = timed(lambda: publisher.publish(small))
                assert len(published) == len(small), "every manifest changes on a new day"
                out.append(seconds)
        publisher.pool = parallel_pool
        print(f"small batch: {small_parallel} s, one process {small_serial} s", flush=True)
        figures.append(Figure(
            "publish_small_s", f"publish {len(small)} displays on {workers} worker processes (peer: one process)",
            "s", runs=small_parallel, peer_label="one process (the path before issue 13)", peer_runs=small_serial,
        ))  # fmt: skip
        full, sizes, gz_sizes = [], [], []
        full_v1, sizes_v1, gz_sizes_v1 = [], [], []
        for _ in range(args.runs):
            # the peer first: the schema of the figures is the one in place for what follows
            for schema, out, raw, gz in ((1, full_v1, sizes_v1, gz_sizes_v1), (args.schema, full, sizes, gz_sizes)):
                if schema == args.schema and out is full_v1:
                    continue
                _set_schema(service, schema)
                _clear_files(service)
                clock.now += timedelta(days=1)
                seconds, published = timed(publisher.publish_all)
                assert len(published) == len(displays), (len(published), len(displays))
                out.append(seconds)
                print(f"full publish (schema {schema}): {seconds:.1f} s", flush=True)
                raw[:] = [len(p.body) for p in published]
                gz[:] = [len(p.body_gz) for p in published]
                published = None
        _set_schema(service, args.schema)
        figures.append(Figure(
            "publish_full_s",
            f"publish all {len(displays)} displays x {args.rules} rules (compile, sign, gzip, write; "
            f"{workers} worker processes; manifest schema {args.schema})",
            "s", runs=full, goal=GOAL_FULL_S,
            peer_label="the same with schema-1 manifests (timeline as segment lists)" if full_v1 else None,
            peer_runs=full_v1 or None,
            note="on worker processes already running (the small batch started them); each run's schema-1 peer "
                 "just before it, on the same processes",
        ))  # fmt: skip
        peer_v1 = "schema 1" if sizes_v1 else None
        figures.append(Figure("manifest_mean_kb", "mean manifest size over all displays, raw", "KB",
                              runs=[statistics.mean(sizes) / 1024], peer_label=peer_v1,
                              peer_runs=[statistics.mean(sizes_v1) / 1024] if sizes_v1 else None))  # fmt: skip
        figures.append(Figure("manifest_mean_gzip_kb", "mean manifest size over all displays, gzip", "KB",
                              runs=[statistics.mean(gz_sizes) / 1024], peer_label=peer_v1,
                              peer_runs=[statistics.mean(gz_sizes_v1) / 1024] if sizes_v1 else None))  # fmt: skip
        warnings_total = sum(len(w) for w in publisher.warnings.values())
        figures.append(Figure("warnings_total", "schedule warnings over all displays", "count", runs=[warnings_total]))
        figures.append(Figure("maxrss_main_mb", "peak memory of the scheduler process (maxrss)", "MB",
                              runs=[_maxrss_mb(resource.RUSAGE_SELF)]))  # fmt: skip

        # nothing changed (the 5-minute loop, a restart's second publish): a digest per display, no compile;
        # peer: the same publisher compiling every display to find its content unchanged (before)
        noop, noop_peer = [], []
        for _ in range(args.runs):
            for skip, out in ((True, noop), (False, noop_peer)):
                publisher.skip_unchanged_inputs = skip
                seconds, published = timed(publisher.publish_all)
                assert published == [], "nothing changed"
                out.append(seconds)
        publisher.skip_unchanged_inputs = True
        print(f"no-change publish of every display: {noop} s, compiling each {noop_peer} s", flush=True)
        figures.append(Figure(
            "publish_noop_all_s", f"no-change republish of all {len(displays)} displays (the 5-minute loop)", "s",
            runs=noop, peer_label="compiling each display to find it unchanged (before)", peer_runs=noop_peer,
        ))  # fmt: skip

        # one edit: an announcement of one kecamatan (toggled, so every run is a real change). The running
        # server settles its heap out of the collector's full passes after the start-up publish and every minute
        # (scheduler/gcpause.py), so the figure is taken on a settled heap; the peer is the same edits first, on
        # the heap the publishes above left unsettled (an edit within a minute of a full publish)
        kecamatan = f"kec-{42 % max(1, len(displays) // 10):02d}"
        old = next(r for r in rules if r.layer == "normal" and r.targets.groups == (kecamatan,) and not r.dayparts)
        n = rules.index(old) + 1
        rule_id = f"ann-{n}"
        with service.lock:
            original = json.loads(next(service.db.table("rules").rows_where("id = ?", [rule_id]))["body"])
            targets = json.loads(next(service.db.table("announcements").rows_where("id = ?", [n]))["targets"])
        edited = {**original, "dayparts": [{"start": "17:00", "end": "21:00"}]}
        reached_n, edits_done = 0, 0

        def edit_runs() -> list[float]:
            nonlocal reached_n, edits_done
            out = []
            for _ in range(max(5, args.runs)):
                body = edited if edits_done % 2 == 0 else original  # each edit undoes the one before
                edits_done += 1

                def edit_and_publish(body: dict[str, Any] = body) -> list[Any]:
                    with service.lock:  # what sync_announcement_rule writes, then the displays reached republish
                        service.db.table("rules").update(rule_id, {"body": json.dumps(body)})
                        reached = displays_reached(service.db, targets)
                    return publisher.publish(reached)

                seconds, published = timed(edit_and_publish)
                assert published, "the edit changes the displays it reaches"
                reached_n = len(published)
                out.append(seconds * 1000)
            return out

        unsettled = edit_runs()
        gcpause.settle(full=True)
        edits = edit_runs()
        figures.append(Figure(
            "publish_edit_ms", f"one-edit republish: a kecamatan announcement's rule, {reached_n} displays reached "
            "(heap settled, as the server keeps it)", "ms", runs=edits, goal=GOAL_RECOMPILE_MS,
            peer_label="the same edits right after the full publishes, heap not yet settled", peer_runs=unsettled,
        ))  # fmt: skip
    finally:
        gcpause.release()
        service.close()
    notes.append(f"{workers} worker processes (os.cpu_count()); batches under 11 displays stay in-process")
    return figures


def bench_busy(args: argparse.Namespace, root: Path) -> list[Figure]:
    display, rules, items = busy_display()
    clock = Clock(FIRST_NOW)
    service = open_store(root / "busy", clock)
    write_world(service.db, [display], rules, items, manifest_schema=1)
    publisher = service.publisher
    try:
        (first_v1,) = publisher.publish(["busy"])
        _set_schema(service, args.schema)
        (first,) = publisher.publish(["busy"])
        warm, warm_peer = [], []
        for _ in range(max(10, args.runs)):
            for skip, out in ((True, warm), (False, warm_peer)):
                publisher.skip_unchanged_inputs = skip
                seconds, published = timed(lambda: publisher.publish(["busy"]))
                assert published == []
                out.append(seconds * 1000)
        publisher.skip_unchanged_inputs = True
        cold = []
        for _ in range(max(5, args.runs)):
            fresh = Publisher(service.db, service.keyring, service.media, publisher.manifests_dir, clock,
                              db_lock=service.lock)  # fmt: skip
            seconds, published = timed(lambda fresh=fresh: fresh.publish(["busy"]))
            assert published == []
            cold.append(seconds * 1000)
    finally:
        service.close()
    return [
        Figure("publish_noop_busy_ms", "no-change republish, busy display (20-item loop, 3 interrupts, 2 overlays)",
               "ms", runs=warm, goal=GOAL_NOOP_MS,
               peer_label="compiling it to compare timeline digests (before)", peer_runs=warm_peer),
        Figure("publish_noop_busy_cold_ms", "the same right after a restart (no fingerprint in memory yet)", "ms",
               runs=cold, goal=GOAL_NOOP_MS),
        Figure("busy_manifest_kb", f"busy display manifest (signed envelope, schema {args.schema}), raw", "KB",
               runs=[len(first.body) / 1024], peer_label="schema 1", peer_runs=[len(first_v1.body) / 1024]),
        Figure("busy_manifest_gzip_kb", "busy display manifest, gzip as stored and served", "KB",
               runs=[len(first.body_gz) / 1024], goal=GOAL_GZIP_KB, peer_label="schema 1",
               peer_runs=[len(first_v1.body_gz) / 1024]),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--displays", type=int, default=1_000)
    parser.add_argument("--rules", type=int, default=5_000)
    parser.add_argument("--schema", type=int, default=2, choices=(1, 2),
                        help="manifest schema the players read (2: compact timeline; 1 also drops the peer runs)")
    parser.add_argument("--caps-percent", type=float, default=5.0, help="share of normal rules with max_per_hour")
    parser.add_argument("--quick", action="store_true", help="100 displays x 500 rules (a smoke run)")
    parser.add_argument("--name", default=None, help="result name (default: compile, or compile_quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.displays, args.rules = 100, 500
    argv_text = " ".join(argv if argv is not None else sys.argv[1:])
    notes: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="bench-compile-"))
    try:
        figures = bench_busy(args, root) + bench_fleet(args, root, notes)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for f in figures:
        goal = f" (goal {f.goal:g} {f.unit}: {'met' if f.met else 'MISSED'})" if f.goal is not None else ""
        peer = f", peer {f.peer_median:.2f}" if f.peer_median is not None else ""
        print(f"{f.key}: median {f.median:.2f} {f.unit}{peer}{goal}", flush=True)
    name = args.name or ("compile_quick" if args.quick else "compile")
    path = write_result(
        name,
        "Publishing (schedule compile on the real path)",
        figures,
        command=f".venv/bin/python benchmarks/bench_compile.py {argv_text}".strip(),
        workload=(
            f"{args.displays} displays x {args.rules} rules, 14-day horizon, max_per_hour on "
            f"{args.caps_percent:g}% of normal rules, through scheduler.publish.Publisher on a real store; "
            f"{args.runs} runs (medians)"
        ),
        notes=[
            *notes,
            "text/stat items of the world are stored as images (no slide renderer, no live source); same schedule",
            f"machine load at start is in machine.load_at_start; {os.cpu_count()} cores shared with other work",
        ],
    )  # fmt: skip
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
