#!/usr/bin/env bash
# Install (or update) the Mempawah signage player on a Debian display PC.
#
#   sudo deploy/install-player.sh --server http://scheduler.mempawah.go.id:8470 [--source DIR]
#
# Idempotent: running it again updates the code and the unit, keeps the
# identity, cache and config. Creates the user "signage", a venv in
# /opt/signage/venv, /etc/signage/player.yaml (only if missing), the data dir
# /var/lib/signage-player, and enables signage-player.service.
set -euo pipefail

SERVER_URL="http://127.0.0.1:8470"
SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX=/opt/signage
DATA_DIR=/var/lib/signage-player
CONF_DIR=/etc/signage
USER_NAME=signage
START=1

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --server) SERVER_URL="$2"; shift 2 ;;
        --source) SOURCE_DIR="$2"; shift 2 ;;
        --no-start) START=0; shift ;;
        -h|--help) usage 0 ;;
        *) echo "error: unknown option $1" >&2; usage 2 ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root (sudo $0 ...)" >&2
    exit 2
fi

echo "== packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
read -r -a QT_RUNTIME_PACKAGES <<< "$(grep -v '^#' "$SOURCE_DIR/deploy/qt-runtime-packages.txt" | tr '\n' ' ')"
apt-get install -y -q python3 python3-venv ffmpeg x11-xserver-utils fonts-dejavu-core \
    "${QT_RUNTIME_PACKAGES[@]}" >/dev/null

echo "== user $USER_NAME"
if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --create-home --home-dir "/home/$USER_NAME" --shell /usr/sbin/nologin \
        --groups video,render,audio "$USER_NAME"
fi

echo "== code and venv in $PREFIX"
install -d -m 0755 "$PREFIX"
rsync -a --delete --exclude .venv --exclude .git --exclude var "$SOURCE_DIR/" "$PREFIX/src/" 2>/dev/null \
    || cp -a "$SOURCE_DIR/." "$PREFIX/src/"
if [ ! -x "$PREFIX/venv/bin/python" ]; then
    python3 -m venv "$PREFIX/venv"
fi
"$PREFIX/venv/bin/pip" install -q --upgrade pip
"$PREFIX/venv/bin/pip" install -q "$PREFIX/src"
ln -sfn "$PREFIX/src/docs" "$PREFIX/docs"

echo "== config in $CONF_DIR, data in $DATA_DIR"
install -d -m 0755 "$CONF_DIR"
install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$DATA_DIR"
if [ ! -f "$CONF_DIR/player.yaml" ]; then
    cat > "$CONF_DIR/player.yaml" <<YAML
# Mempawah signage player (see docs/player.md). Options on the command line override this.
server_url: "$SERVER_URL"
data_dir: "$DATA_DIR"
fullscreen: true
rotation: 0
language: id
YAML
    chmod 0644 "$CONF_DIR/player.yaml"
fi
if [ ! -f "$CONF_DIR/player.env" ]; then
    cat > "$CONF_DIR/player.env" <<'ENV'
# Player tuning (SIGNAGE_PLAYER_*), e.g. on a VSAT link:
# SIGNAGE_PLAYER_MAX_BANDWIDTH_KBPS=1500
# SIGNAGE_PLAYER_SCREEN=1
ENV
fi

echo "== systemd unit"
install -m 0644 "$PREFIX/src/deploy/signage-player.service" /etc/systemd/system/signage-player.service
systemctl daemon-reload
systemctl enable signage-player.service >/dev/null
if [ "$START" -eq 1 ]; then
    systemctl restart signage-player.service
fi
echo "done: systemctl status signage-player; journalctl -u signage-player -f"
