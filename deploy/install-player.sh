#!/usr/bin/env bash
# Install (or update) the Mempawah signage player on a Debian display PC.
#
#   sudo deploy/install-player.sh --server http://scheduler.mempawah.go.id:8470 [--kiosk] [--source DIR]
#   deploy/install-player.sh --root DIR ...   (CI / inspection: everything under DIR, host untouched)
#
# Idempotent: running it again updates the code and the unit, keeps the identity, cache and config.
# Creates the user "signage", a venv in /opt/signage/venv (versions from constraints.txt),
# /etc/signage/player.yaml (only if missing), the data dir /var/lib/signage-player, a journald
# size limit, and enables signage-player.service. --kiosk also sets up the X kiosk session:
# automatic login on tty1, xinit without window manager, no blanking/DPMS, consoleblank=0.
#
# Options: --server URL  --source DIR  --no-start  --kiosk  --root DIR  --no-apt  --pip-args "ARGS"
#   --root DIR     install under DIR: no packages, no user, no systemctl start/daemon-reload,
#                  no update-grub (each skip is printed); the unit is enabled with systemctl --root.
#   --pip-args     extra pip arguments, e.g. "--no-index --find-links /media/usb/wheels" (offline PCs).
set -euo pipefail

SERVER_URL="http://127.0.0.1:8470"
SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT=""
USER_NAME=signage
START=1
KIOSK=0
APT=1
PIP_ARGS=""

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

need_value() {
    if [ $# -lt 2 ] || [ -z "$2" ]; then
        echo "error: $1 needs a value" >&2
        usage 2
    fi
}

while [ $# -gt 0 ]; do
    case "$1" in
        --server) need_value "$@"; SERVER_URL="$2"; shift 2 ;;
        --source) need_value "$@"; SOURCE_DIR="$2"; shift 2 ;;
        --root) need_value "$@"; ROOT="$2"; shift 2 ;;
        --pip-args) need_value "$@"; PIP_ARGS="$2"; shift 2 ;;
        --no-start) START=0; shift ;;
        --no-apt) APT=0; shift ;;
        --kiosk) KIOSK=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "error: unknown option $1" >&2; usage 2 ;;
    esac
done

case "$SERVER_URL" in
    http://*|https://*) ;;
    *) echo "error: --server must start with http:// or https:// (got '$SERVER_URL')" >&2; exit 2 ;;
esac
if [ ! -f "$SOURCE_DIR/pyproject.toml" ] || [ ! -f "$SOURCE_DIR/deploy/signage-player.service" ]; then
    echo "error: --source $SOURCE_DIR is not a checkout of the signage project (no pyproject.toml)" >&2
    exit 2
fi
if [ -n "$ROOT" ]; then
    mkdir -p "$ROOT"
    ROOT="$(cd "$ROOT" && pwd)"
    if [ "$ROOT" = "/" ]; then
        ROOT=""
    fi
fi
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root (sudo $0 ...), or install into a folder with --root DIR" >&2
    exit 2
fi

# Paths as the display PC sees them, and where this run writes them.
PREFIX=/opt/signage
DATA_DIR=/var/lib/signage-player
CONF_DIR=/etc/signage
UNIT_DIR=/etc/systemd/system
HOME_DIR=/home/$USER_NAME

skipped() {
    echo "   skipped (--root): $*"
}

echo "== packages"
read -r -a QT_RUNTIME_PACKAGES <<< "$(grep -v '^#' "$SOURCE_DIR/deploy/qt-runtime-packages.txt" | tr '\n' ' ')"
PACKAGES=(python3 python3-venv ffmpeg x11-xserver-utils fonts-dejavu-core "${QT_RUNTIME_PACKAGES[@]}")
if [ "$KIOSK" -eq 1 ]; then
    PACKAGES+=(xserver-xorg-core xserver-xorg-video-all xserver-xorg-input-libinput xinit)
fi
if [ -n "$ROOT" ]; then
    skipped "apt-get install ${PACKAGES[*]}"
elif [ "$APT" -eq 0 ]; then
    echo "   skipped (--no-apt): apt-get install ${PACKAGES[*]}"
else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >/dev/null
fi

echo "== user $USER_NAME"
if [ -n "$ROOT" ]; then
    skipped "useradd --system --create-home --home-dir $HOME_DIR --groups video,render,audio $USER_NAME"
    OWNER=()
else
    SHELL_PATH=/usr/sbin/nologin
    [ "$KIOSK" -eq 0 ] || SHELL_PATH=/bin/bash  # the kiosk login runs ~/.bash_profile
    if ! id "$USER_NAME" >/dev/null 2>&1; then
        useradd --system --create-home --home-dir "$HOME_DIR" --shell "$SHELL_PATH" \
            --groups video,render,audio "$USER_NAME"
    elif [ "$KIOSK" -eq 1 ]; then
        usermod --shell "$SHELL_PATH" "$USER_NAME"
    fi
    OWNER=(-o "$USER_NAME" -g "$USER_NAME")
fi

echo "== code and venv in $ROOT$PREFIX"
install -d -m 0755 "$ROOT$PREFIX" "$ROOT$PREFIX/src"
if command -v rsync >/dev/null 2>&1; then
    rsync -a --delete --exclude .venv --exclude .git --exclude var --exclude '__pycache__' \
        "$SOURCE_DIR/" "$ROOT$PREFIX/src/"
else
    cp -a "$SOURCE_DIR/." "$ROOT$PREFIX/src/"
    rm -rf "$ROOT$PREFIX/src/.venv" "$ROOT$PREFIX/src/.git"
fi
if [ ! -x "$ROOT$PREFIX/venv/bin/python" ]; then
    python3 -m venv "$ROOT$PREFIX/venv"
fi
# shellcheck disable=SC2086  # PIP_ARGS is a list of words by design
"$ROOT$PREFIX/venv/bin/python" -m pip install -q -c "$ROOT$PREFIX/src/constraints.txt" $PIP_ARGS --upgrade pip
# shellcheck disable=SC2086
"$ROOT$PREFIX/venv/bin/python" -m pip install -q -c "$ROOT$PREFIX/src/constraints.txt" $PIP_ARGS "$ROOT$PREFIX/src"
ln -sfn "$PREFIX/src/docs" "$ROOT$PREFIX/docs"
echo "   $("$ROOT$PREFIX/venv/bin/signage" --version)"

echo "== config in $ROOT$CONF_DIR, data in $ROOT$DATA_DIR"
install -d -m 0755 "$ROOT$CONF_DIR"
install -d -m 0750 "${OWNER[@]}" "$ROOT$DATA_DIR"
if [ ! -f "$ROOT$CONF_DIR/player.yaml" ]; then
    cat > "$ROOT$CONF_DIR/player.yaml" <<YAML
# Mempawah signage player (see docs/player.md). Options on the command line override this.
server_url: "$SERVER_URL"
data_dir: "$DATA_DIR"
fullscreen: true
rotation: 0
language: id
YAML
    chmod 0644 "$ROOT$CONF_DIR/player.yaml"
fi
if [ ! -f "$ROOT$CONF_DIR/player.env" ]; then
    cat > "$ROOT$CONF_DIR/player.env" <<'ENV'
# Player tuning (SIGNAGE_PLAYER_*), e.g. on a VSAT link:
# SIGNAGE_PLAYER_MAX_BANDWIDTH_KBPS=1500
# SIGNAGE_PLAYER_SCREEN=1
ENV
    chmod 0644 "$ROOT$CONF_DIR/player.env"
fi

echo "== journald limits (the player logs to the journal only)"
install -D -m 0644 "$ROOT$PREFIX/src/deploy/journald-signage.conf" "$ROOT/etc/systemd/journald.conf.d/signage.conf"

if [ "$KIOSK" -eq 1 ]; then
    echo "== kiosk session: autologin on tty1, xinit, no blanking"
    install -d -m 0755 "$ROOT$HOME_DIR"
    install -m 0755 "${OWNER[@]}" "$ROOT$PREFIX/src/deploy/kiosk/xinitrc" "$ROOT$HOME_DIR/.xinitrc"
    install -m 0644 "${OWNER[@]}" "$ROOT$PREFIX/src/deploy/kiosk/bash_profile" "$ROOT$HOME_DIR/.bash_profile"
    install -D -m 0644 "$ROOT$PREFIX/src/deploy/kiosk/getty-autologin.conf" \
        "$ROOT$UNIT_DIR/getty@tty1.service.d/signage-autologin.conf"
    install -D -m 0644 "$ROOT$PREFIX/src/deploy/kiosk/grub-consoleblank.cfg" \
        "$ROOT/etc/default/grub.d/signage-consoleblank.cfg"
    if [ -n "$ROOT" ]; then
        skipped "update-grub (consoleblank=0 applies from the next boot)"
        skipped "systemctl set-default graphical.target"
    else
        if command -v update-grub >/dev/null 2>&1; then
            update-grub >/dev/null 2>&1 || echo "warning: update-grub failed; add consoleblank=0 to the kernel command line" >&2
        fi
        # the player unit is WantedBy=graphical.target: boot into it (a minimal install boots multi-user)
        systemctl set-default graphical.target >/dev/null
    fi
fi

echo "== systemd unit"
install -D -m 0644 "$ROOT$PREFIX/src/deploy/signage-player.service" "$ROOT$UNIT_DIR/signage-player.service"
if [ -n "$ROOT" ]; then
    systemctl --root="$ROOT" enable signage-player.service
    skipped "systemctl daemon-reload; systemctl restart signage-player.service"
else
    systemctl daemon-reload
    systemctl enable signage-player.service >/dev/null
    if [ "$START" -eq 1 ]; then
        systemctl restart signage-player.service
    fi
fi
echo "done: systemctl status signage-player; journalctl -u signage-player -f"
