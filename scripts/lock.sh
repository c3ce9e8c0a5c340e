#!/usr/bin/env bash
# Refresh constraints.txt (the exact versions the suite runs with) from a clean venv.
#   scripts/lock.sh            (or: make lock)
# Installs -e '.[test]' into a throwaway venv (newest versions pyproject.toml allows), writes
# constraints.txt from it; then run `make test` and commit both files if the suite passes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --upgrade pip setuptools wheel  # build tools are pinned too
"$tmp/venv/bin/python" -m pip install -q -e '.[test]'
"$tmp/venv/bin/python" scripts/lock.py constraints.txt
echo "lock: now run 'rm -f .venv/.installed-*; make test' and commit pyproject.toml + constraints.txt"
