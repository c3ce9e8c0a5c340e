#!/usr/bin/env bash
# Set up everything the project needs on a Debian machine; idempotent.
#   - Debian packages (ffmpeg, Qt runtime libraries incl. xcb, fonts, chromium, nginx, rsync, Xvfb + xwd, stress-ng for tests)
#   - .venv with the project and its test dependencies, at the versions pinned in constraints.txt,
#     and the build tools (setuptools, wheel) so the project's wheel builds offline
#   - var/wheelhouse/<lock hash>/: every wheel deploy/install-player.sh needs, so tests install offline
#   - with --bench (`make bench`): the load tools the benchmarks need (wrk, stress-ng); they fail without them
set -euo pipefail
cd "$(dirname "$0")/.."

# Qt's runtime libraries (xcb platform plugin included) come from one list shared with deploy/install-player.sh.
read -r -a QT_RUNTIME_PACKAGES <<< "$(grep -v '^#' deploy/qt-runtime-packages.txt | tr '\n' ' ')"
APT_PACKAGES=(
  ffmpeg libpulse0 fonts-dejavu-core fonts-noto-core
  "${QT_RUNTIME_PACKAGES[@]}"
  chromium nginx-light rsync
  xvfb x11-apps x11-xserver-utils  # tests: the player on a real X display (Xvfb), root grabs (xwd), xset
  systemd  # tests: systemd-analyze verify and systemctl --root of deploy/install-player.sh
  stress-ng  # tests: `make test` runs the player timing tests again under CPU load (scripts/test_under_load.sh)
)
BENCH_PACKAGES=(wrk stress-ng)  # benchmarks/: HTTP load generator, CPU/memory pressure
if [ "${1:-}" = "--bench" ]; then
  APT_PACKAGES+=("${BENCH_PACKAGES[@]}")
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$PYTHON" -m venv .venv
fi

# constraints.txt pins every dependency to the version the suite runs with (refresh: scripts/lock.sh);
# a change to either file reinstalls.
stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing the project into .venv (versions from constraints.txt)"
  .venv/bin/python -m pip install -q -c constraints.txt --upgrade pip setuptools wheel
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[test]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# The only step besides the two above that uses the network: tests run pip with --no-index against it.
.venv/bin/python scripts/wheelhouse.py --check 2>/dev/null || .venv/bin/python scripts/wheelhouse.py
