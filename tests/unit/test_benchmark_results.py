"""RESULTS.md is rendered from benchmarks/results/*.json and nothing else; each result file is well-formed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import run_all  # noqa: E402
from resultfile import Figure, load_results, write_result  # noqa: E402
from toolcheck import MissingTool, require_tools  # noqa: E402


def test_committed_results_md_is_rendered_from_the_json_files() -> None:
    results = load_results(BENCH / "results")
    rendered = run_all.render(results, BENCH / "results")
    committed = (BENCH / "RESULTS.md").read_text(encoding="utf-8")
    assert committed == rendered, (
        "benchmarks/RESULTS.md differs from the result files: run "
        "`.venv/bin/python benchmarks/run_all.py --render-only` and commit it (never edit it by hand)"
    )


@pytest.mark.parametrize("path", sorted((BENCH / "results").glob("*.json")), ids=lambda p: p.name)
def test_each_result_file_is_well_formed(path: Path) -> None:
    result = json.loads(path.read_text(encoding="utf-8"))
    assert result["name"] == path.stem
    assert run_all.check_result(result) == []


def _result(tmp_path: Path, *figures: Figure) -> dict[str, Any]:
    write_result("demo", "Demo benchmark", list(figures), command="bench_demo.py", workload="w", results_dir=tmp_path)
    data: dict[str, Any] = json.loads((tmp_path / "demo.json").read_text(encoding="utf-8"))
    return data


def test_a_missed_goal_is_marked_not_met_with_its_goal_and_ratio(tmp_path: Path) -> None:
    result = _result(
        tmp_path,
        Figure(
            "slow_ms", "a slow thing", "ms", runs=[30.0, 40.0, 50.0], goal=20, peer_label="nginx", peer_runs=[10.0] * 3
        ),
        Figure("rate", "a fast rate", "req/s", runs=[900.0, 1000.0, 1100.0], goal=500, goal_op=">="),
    )
    assert run_all.check_result(result) == []
    text = run_all.render([result], tmp_path)
    slow = next(line for line in text.splitlines() if line.startswith("| a slow thing"))
    assert "30.00 / **40.00** / 50.00 (3)" in slow
    assert "≤ 20.00" in slow and "| 2.00 |" in slow and "**NOT MET**" in slow
    assert "10.00 (nginx) | 4.00 |" in slow
    rate = next(line for line in text.splitlines() if line.startswith("| a fast rate"))
    assert "≥ 500.0" in rate and "| 0.50 | met |" in rate
    assert "figures not met: `demo.slow_ms`." in text


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"runs": []}, "runs: empty"),
        ({"median": 99.0}, "median: 99.0 but the runs give 40.0"),
        ({"ratio": 0.5}, "ratio: 0.5"),
        ({"met": True}, "met: True"),
        ({"n_runs": 4}, "n_runs: 4"),
        ({"runs": [40.0], "min": 40.0, "max": 40.0, "n_runs": 1}, "a timing needs >= 3 runs"),
        ({"goal_op": "<"}, "goal_op: '<'"),
        ({"peer_runs": [10.0, 20.0, 30.0], "peer_median": 10.0, "peer_ratio": 4.0}, "peer_median: 10.0"),
    ],
)
def test_a_malformed_figure_is_named_with_its_field(tmp_path: Path, change: dict[str, Any], complaint: str) -> None:
    result = _result(tmp_path, Figure("slow_ms", "a slow thing", "ms", runs=[30.0, 40.0, 50.0], goal=20))
    result["figures"][0].update(change)
    problems = run_all.check_result(result)
    assert any(p.startswith("demo.slow_ms: ") and complaint in p for p in problems), problems


def test_render_only_writes_results_md_and_refuses_a_bad_file(tmp_path: Path) -> None:
    _result(tmp_path, Figure("slow_ms", "a slow thing", "ms", runs=[30.0, 40.0, 50.0], goal=20))
    out = tmp_path / "RESULTS.md"
    cmd = [
        sys.executable,
        str(BENCH / "run_all.py"),
        "--render-only",
        "--results-dir",
        str(tmp_path),
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "a slow thing" in out.read_text(encoding="utf-8")

    bad = json.loads((tmp_path / "demo.json").read_text(encoding="utf-8"))
    bad["figures"][0]["median"] = 99.0
    (tmp_path / "demo.json").write_text(json.dumps(bad), encoding="utf-8")
    out.write_text("kept\n", encoding="utf-8")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 1
    assert "demo.slow_ms: median" in done.stderr
    assert out.read_text(encoding="utf-8") == "kept\n"


def test_a_missing_tool_fails_loudly_naming_it_and_the_fix() -> None:
    with pytest.raises(MissingTool) as excinfo:
        require_tools(["sh", "no-such-benchmark-tool"])
    message = str(excinfo.value)
    assert "no-such-benchmark-tool" in message and "make bench" in message
    assert require_tools(["sh"])["sh"].endswith("/sh")


def test_make_bench_installs_the_benchmarks_tools() -> None:
    root = BENCH.parent
    bootstrap = (root / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    bench_line = next(line for line in bootstrap.splitlines() if line.startswith("BENCH_PACKAGES=("))
    assert "wrk" in bench_line.split() or "(wrk" in bench_line
    assert "stress-ng" in bench_line
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/bootstrap.sh --bench" in recipe


def test_only_refuses_an_unknown_benchmark_naming_the_choices() -> None:
    assert [p.name for p in run_all.scripts(["api_herd"])] == ["bench_api_herd.py"]
    with pytest.raises(SystemExit) as excinfo:
        run_all.scripts(["api_herd", "no_such"])
    assert "--only: no benchmark no_such" in str(excinfo.value) and "api_herd" in str(excinfo.value)
