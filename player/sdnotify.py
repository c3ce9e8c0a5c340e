"""systemd notification protocol (``sd_notify``) without libsystemd.

Under ``Type=notify`` systemd passes ``NOTIFY_SOCKET`` (a unix datagram socket,
``@`` meaning the abstract namespace) and, with ``WatchdogSec=``,
``WATCHDOG_USEC``. :class:`SystemdNotifier` sends ``READY=1`` once the player
runs and ``WATCHDOG=1`` from a QTimer on the GUI thread at half the watchdog
interval: if the Qt event loop hangs, the pings stop and systemd restarts the
player. Without ``NOTIFY_SOCKET`` everything here is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

from PySide6.QtCore import QObject, QTimer, Slot

log = logging.getLogger("player.sdnotify")

#: Ping this often when systemd did not say (WATCHDOG_USEC unset).
DEFAULT_PING_S = 10.0


def socket_address(environ: Mapping[str, str]) -> str | None:
    value = environ.get("NOTIFY_SOCKET", "")
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    return value


def watchdog_interval_s(environ: Mapping[str, str]) -> float | None:
    """The watchdog timeout systemd expects pings within, or None if there is none for us."""
    usec = environ.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = environ.get("WATCHDOG_PID", "")
    if pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 1_000_000


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send one notification; False (never an exception) if there is no socket or it fails."""
    address = socket_address(os.environ if environ is None else environ)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
        return True
    except OSError as exc:
        log.debug("sd_notify %r failed: %s", message, exc)
        return False


class SystemdNotifier(QObject):
    def __init__(self, environ: Mapping[str, str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.environ = dict(os.environ if environ is None else environ)
        self.enabled = socket_address(self.environ) is not None
        timeout_s = watchdog_interval_s(self.environ)
        self.ping_interval_s = timeout_s / 2 if timeout_s else DEFAULT_PING_S
        self.pings = 0
        self._timer = QTimer(self)
        self._timer.setInterval(max(100, int(self.ping_interval_s * 1000)))
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self.ping)

    def ready(self, status: str = "playing") -> None:
        """READY=1, then keep pinging the watchdog from the GUI thread."""
        if not self.enabled:
            return
        notify(f"READY=1\nSTATUS={status}\nMAINPID={os.getpid()}", self.environ)
        log.info("told systemd the player is ready (watchdog ping every %.1f s)", self.ping_interval_s)
        self._timer.start()

    def status(self, text: str) -> None:
        if self.enabled:
            notify(f"STATUS={text}", self.environ)

    @Slot()
    def ping(self) -> None:
        if notify("WATCHDOG=1", self.environ):
            self.pings += 1

    def stopping(self) -> None:
        self._timer.stop()
        if self.enabled:
            notify("STOPPING=1", self.environ)
