"""The test-wide guard (tests/support/netguard.py): in-process connections go to loopback only."""

from __future__ import annotations

import socket
import sys

import pytest
from netguard import NonLoopbackConnect, is_local_target


@pytest.mark.parametrize(
    ("family", "address", "local"),
    [
        (socket.AF_INET, ("127.0.0.1", 80), True),
        (socket.AF_INET, ("127.8.9.10", 80), True),
        (socket.AF_INET, ("localhost", 80), True),
        (socket.AF_INET, ("0.0.0.0", 80), True),
        (socket.AF_INET6, ("::1", 80, 0, 0), True),
        (socket.AF_INET6, ("::ffff:127.0.0.1", 80, 0, 0), True),
        (socket.AF_UNIX, "/run/systemd/notify", True),
        (socket.AF_INET, ("192.0.2.1", 80), False),
        (socket.AF_INET, ("10.0.0.1", 80), False),
        (socket.AF_INET, ("scheduler.mempawah.go.id", 80), False),
        (socket.AF_INET6, ("2001:db8::1", 80, 0, 0), False),
        (socket.AF_INET6, ("::ffff:192.0.2.1", 80, 0, 0), False),
    ],
)
def test_only_loopback_counts_as_local(family: int, address: object, local: bool) -> None:
    assert is_local_target(family, address) is local


def test_the_installed_hook_refuses_a_non_loopback_connect_and_lets_loopback_through() -> None:
    # sys.audit raises the same event socket.connect raises, without sending anything anywhere
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NonLoopbackConnect, match=r"192\.0\.2\.1"):
            sys.audit("socket.connect", sock, ("192.0.2.1", 80))
        with pytest.raises(NonLoopbackConnect):
            sys.audit("socket.sendto", sock, ("10.1.2.3", 53))
        sys.audit("socket.connect", sock, ("127.0.0.1", 80))


def test_a_real_loopback_connection_still_works() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            conn, _ = server.accept()
            conn.close()
