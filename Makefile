# The two commands (see README.md):
#   make demo   set up, then run the scheduler + one player on the Mempawah demo
#   make test   set up, run the whole test suite, then the player timing tests again under CPU load
.PHONY: setup demo test lint bench

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

bench: setup
	.venv/bin/python benchmarks/run_all.py
