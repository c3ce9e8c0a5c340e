"""Refuse any socket connection from the test process to an address that is not on this machine.

Installed once by tests/conftest.py as an audit hook (PEP 578) on ``socket.connect`` and
``socket.sendto``: a test (or the code it drives in-process) that reaches for a non-loopback
address fails at once with :class:`NonLoopbackConnect` instead of sending a packet. Unix sockets
(sd_notify, X11) pass. Subprocesses (pip, the player, Chromium) are outside its reach: the
network-namespace run in docs/architecture.md ("Tests touch only loopback") checks those.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

_installed = False


class NonLoopbackConnect(RuntimeError):
    """A test tried to open a connection to a non-loopback address."""


def is_local_target(family: int, address: Any) -> bool:
    """True for loopback (127.0.0.0/8, ::1, "localhost"), the unspecified address and non-IP families."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return True
    host = str(address[0]) if isinstance(address, tuple) and address else str(address)
    host = host.split("%", 1)[0]  # IPv6 scope id
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name that DNS would have to resolve
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in ("socket.connect", "socket.sendto"):
        return
    sock, address = args
    family = getattr(sock, "family", socket.AF_INET)
    if not is_local_target(family, address):
        raise NonLoopbackConnect(f"tests touch no address but loopback: refused {event} to {address!r}")


def install() -> None:
    """Add the audit hook (once per process; audit hooks cannot be removed)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
