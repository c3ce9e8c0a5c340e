"""Benchmark of the schedule compiler (playlists/), called the way the scheduler calls it.

Every figure goes through the production path: ``scheduler.schedule.compile_for_display``
for each display, one after another, as ``Publisher`` does (minus signing and
writing), and the displays to recompile after an edit are found with
``scheduler.announcements.displays_reached`` over the scheduler's ``displays`` table.

    .venv/bin/python benchmarks/bench_compile.py [--runs 3] [--out FILE]

Builds a synthetic but realistic Mempawah world (1,000 displays in 100
kecamatan groups of 10, an "outdoor-led" group, tags; 5,000 rules: most
announcements target one kecamatan, 5% interrupts, a few emergencies,
dayparts on half, validity windows on 60%, presets on 15%, weights on 10% and
max-per-hour caps on 1% of the normal rules (``--caps-percent``; the first
version of this benchmark used 5%), a ticker per kecamatan and a clock
strip as overlays) and measures, as medians over ``--runs``:

* full compile of 100 and 1,000 displays over a 14-day horizon (goal <= 10 s), in one process;
* peak memory;
* recompiling after editing one announcement of one kecamatan (goal <= 200 ms);
* the manifest timeline of a busy display (20-item loop, overlays, interrupts)
  as JSON, raw and gzip (goal <= 256 KB gzip).

Prints a Markdown report and writes it to ``benchmarks/results/compile.md``.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlite_utils import Database

from playlists.codec import parse_display, parse_item, parse_rule, rule_to_dict
from playlists.compiler import CompiledTimeline
from playlists.model import Display, ItemSpec, Rule
from scheduler.announcements import displays_reached
from scheduler.schedule import compile_for_display

HORIZON_START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
HORIZON_DAYS = 14
GOAL_FULL_S = 10.0
GOAL_RECOMPILE_MS = 200.0
GOAL_GZIP_KB = 256.0


def make_world(
    n_displays: int, n_rules: int, seed: int = 7, caps_percent: float = 1.0
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


def compile_fleet(displays: list[Display], rules: list[Rule], items: dict[str, ItemSpec]) -> dict[str, Any]:
    """What ``Publisher.publish`` does for each display, minus signing and writing."""
    return {d.id: compile_one(d, rules, items) for d in displays}


def compile_one(display: Display, rules: list[Rule], items: dict[str, ItemSpec]) -> CompiledTimeline:
    return compile_for_display(display, rules, items, [], HORIZON_START, HORIZON_DAYS)


def fleet_db(displays: list[Display]) -> Database:
    """The scheduler's ``displays`` table (id, groups) for ``displays_reached``."""
    db = Database(memory=True)
    db.table("displays").insert_all([{"id": d.id, "groups": json.dumps(list(d.groups))} for d in displays], pk="id")
    return db


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _median_time(fn: Any, runs: int) -> tuple[float, Any]:
    seconds, _cpu, result = _median_time_cpu(fn, runs)
    return seconds, result


def _median_time_cpu(fn: Any, runs: int) -> tuple[float, float, Any]:
    """Median wall seconds, median CPU seconds (all processes) and the last result."""
    times, cpus = [], []
    result = None
    for _ in range(runs):
        result = None  # the previous result is freed before the next run
        gc.collect()
        c0, t0 = _cpu_s(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(_cpu_s() - c0)
    return statistics.median(times), statistics.median(cpus), result


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--displays", type=int, default=1_000)
    parser.add_argument("--rules", type=int, default=5_000)
    parser.add_argument("--caps-percent", type=float, default=1.0, help="share of normal rules with max_per_hour")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "compile.md"))
    args = parser.parse_args(argv)
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    command = "benchmarks/bench_compile.py " + " ".join(argv if argv is not None else sys.argv[1:])
    say("# Schedule compiler benchmark")
    say()
    say(
        f"- machine: {os.cpu_count()} cores (`nproc`), {platform.machine()} (`uname -m`), "
        f"Python {platform.python_version()}"
    )
    say(f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    say(f"- command: `.venv/bin/python {command.strip()}`")
    say(
        f"- workload: {args.rules} rules, 14-day horizon from {HORIZON_START:%Y-%m-%d}, "
        f"max_per_hour on {args.caps_percent:g}% of normal rules, one process (as the scheduler), "
        f"median of {args.runs} runs"
    )
    say()
    displays, rules, items = make_world(args.displays, args.rules, caps_percent=args.caps_percent)
    say("| figure | median | goal | ratio (figure/goal) |")
    say("|---|---|---|---|")
    small = displays[: max(1, args.displays // 10)]
    small_rules = rules
    t_small, cpu_small, _ = _median_time_cpu(lambda: compile_fleet(small, small_rules, items), args.runs)
    say(f"| full compile, {len(small)} displays (CPU {cpu_small:.2f} s) | {t_small:.2f} s | - | - |")
    t_full, cpu_full, compiled = _median_time_cpu(lambda: compile_fleet(displays, rules, items), args.runs)
    say(
        f"| full compile, {len(displays)} displays (CPU {cpu_full:.2f} s) | {t_full:.2f} s | "
        f"{GOAL_FULL_S:.0f} s | {t_full / GOAL_FULL_S:.2f} |"
    )
    say(
        f"| scaling {len(small)} -> {len(displays)} displays | x{t_full / t_small:.1f} time for "
        f"x{len(displays) / len(small):.0f} displays | - | - |"
    )
    runs_total = sum(c.segment_count() for c in compiled.values())
    warnings_total = sum(len(c.warnings) for c in compiled.values())
    say(f"| segments over all displays | {runs_total} ({runs_total / len(compiled):.0f} per display) | - | - |")
    say(f"| warnings over all displays | {warnings_total} | - | - |")
    say(f"| peak memory (maxrss) | {_maxrss_mb(resource.RUSAGE_SELF):.0f} MB | - | - |")
    compiled = None

    # recompile after editing one announcement that targets one kecamatan (edit_and_publish: before | after)
    db = fleet_db(displays)
    old = next(r for r in rules if r.layer == "normal" and r.targets.groups == ("kec-42",) and not r.dayparts)
    edited = dict(rule_to_dict(old), dayparts=[{"start": "17:00", "end": "21:00"}])
    new = parse_rule(edited)
    new_rules = [new if r.id == old.id else r for r in rules]
    by_id = {d.id: d for d in displays}

    def targets(rule: Rule) -> dict[str, list[str]]:
        return {"groups": list(rule.targets.groups), "displays": list(rule.targets.displays)}

    def recompile() -> dict[str, Any]:
        ids = displays_reached(db, targets(old)) | displays_reached(db, targets(new))
        return {i: compile_one(by_id[i], new_rules, items) for i in sorted(ids)}

    t_re, recompiled = _median_time(recompile, max(5, args.runs))
    say(
        f"| recompile after editing one kecamatan announcement ({len(recompiled)} displays) | "
        f"{t_re * 1000:.0f} ms | {GOAL_RECOMPILE_MS:.0f} ms | {t_re * 1000 / GOAL_RECOMPILE_MS:.2f} |"
    )

    display, busy_rules, busy_items = busy_display()
    t_busy, busy = _median_time(lambda: compile_one(display, busy_rules, busy_items), args.runs)
    segments = busy.segments()
    raw = json.dumps(segments, sort_keys=True, separators=(",", ":")).encode()
    packed = gzip.compress(raw, 9, mtime=0)
    say(f"| busy display compile (20-item loop, 3 interrupts, 2 overlays) | {t_busy * 1000:.0f} ms | - | - |")
    say(f"| busy display timeline: segments / concrete entries | {len(segments)} / {len(busy.entries)} | - | - |")
    say(f"| busy display timeline JSON, raw | {len(raw) / 1024:.0f} KB | - | - |")
    say(
        f"| busy display timeline JSON, gzip -9 | {len(packed) / 1024:.0f} KB | {GOAL_GZIP_KB:.0f} KB | "
        f"{len(packed) / 1024 / GOAL_GZIP_KB:.2f} |"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
