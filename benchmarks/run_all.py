"""Run the benchmarks, then write ``benchmarks/RESULTS.md`` from every ``results/*.json``.

    .venv/bin/python benchmarks/run_all.py                  # every bench_*.py, then RESULTS.md
    .venv/bin/python benchmarks/run_all.py --only api_herd  # bench_api_herd.py only (repeatable)
    .venv/bin/python benchmarks/run_all.py --quick          # smaller sizes where a script has --quick
    .venv/bin/python benchmarks/run_all.py --render-only    # RESULTS.md from the JSON files, nothing run

``RESULTS.md`` is never edited by hand: it is rendered from the result files alone (no clock,
no machine state), so ``tests/unit/test_benchmark_results.py`` can render it again and compare.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from resultfile import RESULTS_DIR, load_results  # noqa: E402

RESULTS_MD = HERE / "RESULTS.md"
RENDER_COMMAND = ".venv/bin/python benchmarks/run_all.py --render-only"
TIMING_UNITS = {"s", "ms", "us", "µs"}
MIN_TIMING_RUNS = 3
OPS = {"<=": "≤", ">=": "≥"}
REQUIRED_KEYS = ("name", "title", "date", "machine", "commit", "command", "workload", "notes", "figures")


# --------------------------------------------------------------------------- checking


def _close(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _expected_ratio(median: float, goal: float | None, op: str) -> float | None:
    if goal is None or goal == 0:
        return None
    if op == ">=":
        return math.inf if median == 0 else goal / median
    return median / goal


def check_result(result: dict[str, Any]) -> list[str]:
    """Every problem with one result file (empty when it is well-formed); each names the figure and field."""
    name = result.get("name", "?")
    problems = [f"{name}: missing key {key!r}" for key in REQUIRED_KEYS if key not in result]
    figures = result.get("figures") or []
    if not figures:
        problems.append(f"{name}: no figures")
    keys = [f.get("key") for f in figures]
    if len(keys) != len(set(keys)):
        problems.append(f"{name}: duplicate figure keys {keys}")
    for fig in figures:
        problems += [f"{name}.{fig.get('key', '?')}: {p}" for p in check_figure(fig)]
    return problems


def check_figure(fig: dict[str, Any]) -> list[str]:
    runs = fig.get("runs")
    if not isinstance(runs, list) or not runs:
        return ["runs: empty (every measured value must be kept)"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in runs):
        return [f"runs: not all finite numbers: {runs}"]
    problems = []
    lo, med, hi = min(runs), float(statistics.median(runs)), max(runs)
    for key, want in (("min", lo), ("median", med), ("max", hi)):
        if not isinstance(fig.get(key), int | float) or not _close(float(fig[key]), want):
            problems.append(f"{key}: {fig.get(key)!r} but the runs give {want!r}")
    if fig.get("n_runs") != len(runs):
        problems.append(f"n_runs: {fig.get('n_runs')!r} but {len(runs)} runs are stored")
    if not problems and not fig["min"] <= fig["median"] <= fig["max"]:
        problems.append("median: outside min..max")
    if fig.get("unit") in TIMING_UNITS and len(runs) < MIN_TIMING_RUNS:
        problems.append(f"runs: a timing needs >= {MIN_TIMING_RUNS} runs, has {len(runs)}")
    op = fig.get("goal_op", "<=")
    if op not in OPS:
        problems.append(f"goal_op: {op!r}, use '<=' or '>='")
        return problems
    goal = fig.get("goal")
    want_ratio = _expected_ratio(med, goal, op)
    ratio = fig.get("ratio")
    if (want_ratio is None) != (ratio is None) or (
        want_ratio is not None and ratio is not None and not _close(float(ratio), want_ratio)
    ):
        problems.append(f"ratio: {ratio!r} but median {med!r} against goal {op} {goal!r} gives {want_ratio!r}")
    want_met = None if goal is None else (med <= goal if op == "<=" else med >= goal)
    if fig.get("met") != want_met:
        problems.append(f"met: {fig.get('met')!r} but median {med!r} against goal {op} {goal!r} gives {want_met!r}")
    peer_runs = fig.get("peer_runs")
    if peer_runs:
        peer_med = float(statistics.median(peer_runs))
        if not isinstance(fig.get("peer_median"), int | float) or not _close(float(fig["peer_median"]), peer_med):
            problems.append(f"peer_median: {fig.get('peer_median')!r} but the peer runs give {peer_med!r}")
        want_peer_ratio = med / peer_med if peer_med else None
        got = fig.get("peer_ratio")
        if (want_peer_ratio is None) != (got is None) or (
            want_peer_ratio is not None and got is not None and not _close(float(got), want_peer_ratio)
        ):
            problems.append(f"peer_ratio: {got!r} but the medians give {want_peer_ratio!r}")
    return problems


# --------------------------------------------------------------------------- rendering


def num(value: float | None) -> str:
    if value is None:
        return "–"
    if math.isinf(value):
        return "∞"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.1f}"
    if a >= 10:
        return f"{value:.2f}"
    if a >= 1:
        return f"{value:.3f}"
    if a == 0:
        return "0"
    return f"{value:#.3g}"


def ratio_text(value: float | None) -> str:
    if value is None:
        return "–"
    return "∞" if math.isinf(value) else f"{value:.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _machine(m: dict[str, Any]) -> str:
    parts = [f"{m['cores']} cores" if "cores" in m else "", m.get("arch", "")]
    if "memory_gib" in m:
        parts.append(f"{m['memory_gib']} GiB")
    parts += [m.get("system", ""), f"Python {m['python']}" if "python" in m else ""]
    if "load_at_start" in m:
        parts.append(f"load {m['load_at_start']} at start")
    return ", ".join(p for p in parts if p)


def _figure_row(fig: dict[str, Any]) -> str:
    goal = "–" if fig.get("goal") is None else f"{OPS[fig.get('goal_op', '<=')]} {num(fig['goal'])}"
    if fig.get("met") is False:
        status = "**NOT MET**"
    elif fig.get("met") is True:
        status = "met"
    else:
        status = ""
    spread = f"{num(fig['min'])} / **{num(fig['median'])}** / {num(fig['max'])} ({fig['n_runs']})"
    peer = "–"
    if fig.get("peer_median") is not None:
        peer = f"{num(fig['peer_median'])} ({_cell(fig.get('peer_label') or 'peer')})"
    cells = [
        _cell(fig["label"]),
        spread,
        _cell(fig["unit"]),
        goal,
        ratio_text(fig.get("ratio")),
        status,
        peer,
        ratio_text(fig.get("peer_ratio")),
    ]
    return "| " + " | ".join(cells) + " |"


def render_result(result: dict[str, Any], results_dir: Path = RESULTS_DIR) -> list[str]:
    out = [f"## {result['title']} (`{result['name']}`)", ""]
    out.append(f"- machine: {_machine(result.get('machine') or {})}")
    out.append(f"- date: {result['date']}; commit: `{result.get('commit') or 'unknown'}`")
    out.append(f"- command: `{result['command']}`")
    if result.get("workload"):
        out.append(f"- workload: {_cell(result['workload'])}")
    details = results_dir / f"{result['name']}.md"
    if details.exists():
        out.append(f"- details: [results/{result['name']}.md](results/{result['name']}.md)")
    out += [
        "",
        "| figure | min / **median** / max (runs) | unit | goal | ratio | status | peer median | peer ratio |",
        "|---|---:|---|---:|---:|---|---:|---:|",
    ]
    out += [_figure_row(fig) for fig in result["figures"]]
    fig_notes = [(fig["key"], fig["note"]) for fig in result["figures"] if fig.get("note")]
    notes = list(result.get("notes") or [])
    if fig_notes or notes:
        out.append("")
    out += [f"- note: {_cell(n)}" for n in notes]
    out += [f"- `{key}`: {_cell(note)}" for key, note in fig_notes]
    return [*out, ""]


def render(results: list[dict[str, Any]], results_dir: Path = RESULTS_DIR) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Generated by `benchmarks/run_all.py` from `benchmarks/results/*.json`; do not edit by hand.",
        f"Regenerate with `{RENDER_COMMAND}`; run the benchmarks first with `make bench`",
        "(or `.venv/bin/python benchmarks/run_all.py [--only NAME] [--quick]`).",
        "",
        "Each figure keeps every run; the table quotes min / median / max. Ratio: median ÷ goal",
        "(for a “≥” goal, goal ÷ median), so a ratio ≤ 1 is met. Peer ratio: median ÷ peer median,",
        "measured in the same run. A figure that misses its goal is marked **NOT MET**.",
        "",
    ]
    not_met = [f"`{r['name']}.{f['key']}`" for r in results for f in r["figures"] if f.get("met") is False]
    lines.append(f"Benchmarks: {len(results)}; figures not met: {', '.join(not_met) if not_met else 'none'}.")
    lines.append("")
    for result in sorted(results, key=lambda r: str(r["name"])):
        lines += render_result(result, results_dir)
    return "\n".join(lines).rstrip("\n") + "\n"


def write_results_md(results_dir: Path = RESULTS_DIR, out: Path = RESULTS_MD) -> list[str]:
    """Check every result file and write RESULTS.md; the problems found (nothing is written if any)."""
    results = load_results(results_dir)
    problems = [p for r in results for p in check_result(r)]
    if not problems:
        out.write_text(render(results, results_dir), encoding="utf-8")
    return problems


# --------------------------------------------------------------------------- running


def scripts(only: list[str] | None) -> list[Path]:
    available = {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}
    if not only:
        return list(available.values())
    unknown = [name for name in only if name not in available]
    if unknown:
        raise SystemExit(f"--only: no benchmark {', '.join(unknown)}; choose from {', '.join(available)}")
    return [available[name] for name in only]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="run bench_NAME.py only (repeatable)")
    parser.add_argument("--quick", action="store_true", help="pass --quick to the scripts that have it")
    parser.add_argument("--render-only", action="store_true", help="only write RESULTS.md from results/*.json")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS_MD, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    failures = []
    if not args.render_only:
        for script in scripts(args.only):
            cmd = [sys.executable, str(script)]
            if args.quick and "--quick" in script.read_text(encoding="utf-8"):
                cmd.append("--quick")
            print(f"== {script.name}{' (quick)' if args.quick else ''}", flush=True)
            if subprocess.run(cmd, cwd=HERE.parent, check=False).returncode != 0:
                failures.append(script.name)
    problems = write_results_md(args.results_dir, args.out)
    for problem in problems:
        print(f"result file problem: {problem}", file=sys.stderr)
    if problems:
        print(f"{args.out} not written: fix the result files above", file=sys.stderr)
    else:
        print(f"wrote {args.out}")
    if failures:
        print(f"benchmarks that failed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
