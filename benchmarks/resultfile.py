"""One format for benchmark results: every ``bench_*.py`` writes ``results/<name>.json``.

``benchmarks/run_all.py`` renders ``RESULTS.md`` from these files (never by hand), and
``tests/unit/test_benchmark_results.py`` checks that ``RESULTS.md`` agrees with them.

A figure is measured over several runs; the file keeps every run, and the summary quotes
min / median / max. Where a goal exists the ratio is ``median / goal`` (for a "≥" goal,
``goal / median``, so a ratio ≤ 1 always means "met"); where a peer was measured in the
same run, ``peer_ratio`` is ``median / peer median``.

    from resultfile import Figure, write_result
    fig = Figure("publish_noop_ms", "no-change republish, busy display", "ms", runs=[...], goal=30)
    write_result("compile", "Schedule compiler", figures=[fig], command="...", workload="...")
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

RESULTS_DIR = Path(__file__).resolve().parent / "results"

GoalOp = Literal["<=", ">="]


@dataclass
class Figure:
    key: str  # stable identifier, e.g. "publish_noop_ms"
    label: str  # what was measured, in English, one line
    unit: str  # "ms", "s", "req/s", "MB", "x", "%", "count"
    runs: list[float]  # every measured value (>= 3 where the figure is a timing)
    goal: float | None = None
    goal_op: GoalOp = "<="
    peer_label: str | None = None  # e.g. "nginx static tree", "ffmpeg -f null"
    peer_runs: list[float] | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return float(statistics.median(self.runs))

    @property
    def peer_median(self) -> float | None:
        return float(statistics.median(self.peer_runs)) if self.peer_runs else None

    @property
    def ratio(self) -> float | None:
        """Measured against the goal; <= 1 means met, whichever way the goal points."""
        if self.goal is None or self.goal == 0:
            return None
        m = self.median
        if self.goal_op == ">=":
            return float("inf") if m == 0 else self.goal / m
        return m / self.goal

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        m = self.median
        return m <= self.goal if self.goal_op == "<=" else m >= self.goal

    @property
    def peer_ratio(self) -> float | None:
        p = self.peer_median
        if p is None or p == 0:
            return None
        return self.median / p

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            min=min(self.runs),
            median=self.median,
            max=max(self.runs),
            n_runs=len(self.runs),
            ratio=self.ratio,
            met=self.met,
            peer_median=self.peer_median,
            peer_ratio=self.peer_ratio,
        )
        return data


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
    }
    try:
        load1, _, _ = os.getloadavg()
        info["load_at_start"] = round(load1, 2)
    except OSError:
        pass
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
        mem_kb = next(int(line.split()[1]) for line in lines if line.startswith("MemTotal"))
        info["memory_gib"] = round(mem_kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return info


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


@dataclass
class Result:
    name: str
    title: str
    figures: list[Figure]
    command: str = ""
    workload: str = ""
    notes: list[str] = field(default_factory=list)


def write_result(
    name: str,
    title: str,
    figures: list[Figure],
    *,
    command: str = "",
    workload: str = "",
    notes: list[str] | None = None,
    results_dir: Path = RESULTS_DIR,
) -> Path:
    """Write ``results/<name>.json`` (machine, date, commit, every run of every figure)."""
    keys = [f.key for f in figures]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate figure keys in {name}: {keys}")
    for f in figures:
        if not f.runs:
            raise ValueError(f"figure {f.key} has no runs")
    payload = {
        "name": name,
        "title": title,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "commit": _git_commit(),
        "command": command or " ".join([".venv/bin/python", *sys.argv]),
        "workload": workload,
        "notes": list(notes or []),
        "figures": [f.to_json() for f in figures],
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_results(results_dir: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    out = []
    for path in sorted(results_dir.glob("*.json")):
        out.append(json.loads(path.read_text(encoding="utf-8")))
    return out
