"""Run every benchmark in turn (each writes its own benchmarks/results/<name>.md).

Usage: .venv/bin/python benchmarks/run_all.py [--quick]
The summary with goals and ratios is kept by hand in benchmarks/RESULTS.md,
copied from these result files after a run on a quiet machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        args = [sys.executable, str(script)]
        if quick and "--quick" in script.read_text():
            args.append("--quick")
        print(f"== {script.name} {'(quick)' if quick else ''}", flush=True)
        failures += subprocess.run(args, cwd=HERE.parent, check=False).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
