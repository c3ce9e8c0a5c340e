#!/usr/bin/env bash
# Run the player timing tests (pytest marker `timing`) again while `stress-ng --cpu N` keeps every core busy:
# a loaded display PC must still show no black or wrong frame and keep its items in order.
#   scripts/test_under_load.sh [pytest args...]     (STRESS_CPUS=2 by default)
# stress-ng is always stopped, however pytest ends (exit status is pytest's).
set -euo pipefail
cd "$(dirname "$0")/.."

STRESS_CPUS="${STRESS_CPUS:-2}"
if ! command -v stress-ng >/dev/null 2>&1; then
  echo "test_under_load: stress-ng is not installed (scripts/bootstrap.sh installs it)" >&2
  exit 2
fi

stress-ng --cpu "$STRESS_CPUS" --timeout 3600s --quiet &
stress_pid=$!
stop_stress() {
  kill -TERM "$stress_pid" 2>/dev/null || true
  wait "$stress_pid" 2>/dev/null || true
}
trap stop_stress EXIT INT TERM

echo "test_under_load: stress-ng --cpu $STRESS_CPUS running (pid $stress_pid); pytest -m timing"
SIGNAGE_UNDER_LOAD="stress-ng --cpu $STRESS_CPUS" .venv/bin/python -m pytest -m timing "$@"
