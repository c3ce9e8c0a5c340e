"""The login throttle shared by the web admin's login form and the API's Basic credentials.

Failed logins are counted per user name *from one client address* (``login_max_failures``), per client
address (``login_max_failures_per_address``) and per user name from every address together (20 x
``login_max_failures``); while any is used up, even the right password is refused, so guessing through
the API is as slow as through the form. A guesser locks out the account only at their own address: its
owner, elsewhere, still logs in (the third review locked ``admin`` out for everyone with five tries).
The address is the one rate limits key on (:mod:`scheduler.clientaddr`: ``X-Forwarded-For`` only from a
trusted proxy), so behind a TLS proxy one guesser does not lock every colleague out either.
"""

from __future__ import annotations

from fastapi import Request

from scheduler.announcements import audit
from scheduler.clientaddr import client_address
from scheduler.service import Service


def client_of(request: Request, service: Service) -> str:
    """The caller's address: the TCP peer, or what a trusted proxy says in X-Forwarded-For."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), service.trusted_proxies)


def _user_key(username: str) -> str:
    return username.strip().lower()[:64]


def _pair_key(username: str, address: str) -> str:
    return f"{_user_key(username)}\n{address}"


def locked_out(service: Service, username: str, address: str, via: str) -> bool:
    """True while the user name or the address has used up its failed logins. Audited once per locked address
    (or user name) and lockout window: a flood of refused attempts does not fill the audit log."""
    address_locked = service.login_failures_by_address.blocked(address)
    pair_locked = service.login_failures_by_user.blocked(_pair_key(username, address))
    user_locked = service.login_failures_by_user_anywhere.blocked(_user_key(username))
    if not (address_locked or pair_locked or user_locked):
        return False
    if address_locked:
        key = f"address:{address}"
    elif pair_locked:
        key = f"user:{_user_key(username)} address:{address}"
    else:
        key = f"user:{_user_key(username)}"
    if not service.login_lockouts_audited.blocked(key):
        service.login_lockouts_audited.record(key)
        with service.lock:
            audit(service.db, service.clock(), None, "login.locked", f"user:{username[:64]}",
                  f"address {address} ({via})")  # fmt: skip
    return True


def failed(service: Service, username: str, address: str, via: str) -> None:
    """Count (and audit) a failed login."""
    service.login_failures_by_user.record(_pair_key(username, address))
    service.login_failures_by_user_anywhere.record(_user_key(username))
    service.login_failures_by_address.record(address)
    with service.lock:
        audit(service.db, service.clock(), None, "login.failed", f"user:{username[:64]}", f"address {address} ({via})")


def succeeded(service: Service, username: str, address: str) -> None:
    service.login_failures_by_user.clear(_pair_key(username, address))
