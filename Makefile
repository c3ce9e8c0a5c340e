# The two commands (see README.md):
#   make demo   set up, then run the scheduler + one player on the Mempawah demo
#   make test   set up, run the whole test suite, then the player timing tests again under CPU load
#   make lock   refresh constraints.txt from a clean venv (scripts/lock.sh)
.PHONY: setup demo test lint bench lock

setup:
	@bash scripts/bootstrap.sh

demo: setup
	.venv/bin/signage demo

test: setup
	.venv/bin/python -m pytest
	bash scripts/test_under_load.sh

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy signage scheduler playlists content player

# bench: also installs the benchmarks' tools (wrk, stress-ng), then runs them all and writes benchmarks/RESULTS.md
bench:
	@bash scripts/bootstrap.sh --bench
	.venv/bin/python benchmarks/run_all.py

lock:
	bash scripts/lock.sh
