#!/usr/bin/env bash
# Set up everything the project needs on a Debian machine; idempotent.
#   - Debian packages (ffmpeg, Qt runtime libraries incl. xcb, fonts, chromium, nginx, rsync, Xvfb + xwd, stress-ng for tests)
#   - .venv with the project and its test dependencies
set -euo pipefail
cd "$(dirname "$0")/.."

# Qt's runtime libraries (xcb platform plugin included) come from one list shared with deploy/install-player.sh.
read -r -a QT_RUNTIME_PACKAGES <<< "$(grep -v '^#' deploy/qt-runtime-packages.txt | tr '\n' ' ')"
APT_PACKAGES=(
  ffmpeg libpulse0 fonts-dejavu-core fonts-noto-core
  "${QT_RUNTIME_PACKAGES[@]}"
  chromium nginx-light rsync
  xvfb x11-apps x11-xserver-utils  # tests: the player on a real X display (Xvfb), root grabs (xwd), xset
  stress-ng  # tests: `make test` runs the player timing tests again under CPU load (scripts/test_under_load.sh)
)

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

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing the project into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
