"""Why a data source could not be fetched, in the staff's words (``content.sources.http.FetchError`` texts).

The fetcher's messages are for the log and support ("http://x: ConnectionError: HTTPConnectionPool(...)
Max retries exceeded ... [Errno 111] Connection refused"); the Sumber data pages say what happened and what to
check, with the technical detail kept short beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scheduler.i18n import N_

DETAIL_CHARS = 160

#: (pattern in the fetcher's message, the words); the first match wins.
FETCH_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Name or service not known|NameResolutionError|getaddrinfo failed|nodename nor servname|"
                r"Temporary failure in name resolution|No address associated", re.I),
     N_("The site's name is not known (no such address on the network). Check the spelling of the address.")),
    (re.compile(r"Connection refused|ConnectionRefused", re.I),
     N_("The site refused the connection: nothing answers at that address and port. Check the address, and that "
        "the site is running.")),
    (re.compile(r"SSLError|CERTIFICATE_VERIFY_FAILED|certificate", re.I),
     N_("The site's HTTPS certificate is not valid. Ask its administrator to renew it, or use its correct address.")),
    (re.compile(r"no answer within (?P<s>[\d.]+) s|took longer than (?P<t>[\d.]+) s|timed out", re.I),
     N_("The site did not answer in time. It may be slow or the link may be down; it is tried again later.")),
    (re.compile(r"HTTP 404"), N_("The page was not found on that site (HTTP 404). Check the address and the kind "
                                 "of source (an OpenSID village site, OpenDK, CKAN...).")),
    (re.compile(r"HTTP (401|403)"), N_("The site refused access (HTTP %(status)s). Check the user name and password "
                                       "in the options, or ask the site's administrator.")),
    (re.compile(r"HTTP (429|503)"), N_("The site is busy or limits requests (HTTP %(status)s); it is tried again "
                                       "later.")),
    (re.compile(r"HTTP (5\d\d)"), N_("The site has a problem of its own (HTTP %(status)s); it is tried again later.")),
    (re.compile(r"HTTP (\d{3})"), N_("The site answered with an error (HTTP %(status)s).")),
    (re.compile(r"bytes declared, limit|more than \d+ bytes", re.I),
     N_("The site's answer is far larger than a statistics page; check the address.")),
    (re.compile(r"ConnectionError|ConnectTimeout|Max retries exceeded|RemoteDisconnected|ConnectionReset", re.I),
     N_("The site could not be reached. Check the address and the network link; it is tried again later.")),
]


def plain_fetch_error(message: str, t: Callable[[str], str]) -> str:
    """The fetcher's ``message`` in the staff's words, its detail shortened beside it; as it came when unknown."""
    for pattern, words in FETCH_ERRORS:
        match = pattern.search(message)
        if match:
            status = match.group(1) if match.re.groups and match.group(1) else ""
            text = t(words) % {"status": status} if "%(status)s" in words else t(words)
            return f"{text} ({_short(message)})"
    return message


_ADDRESS_AND_NAME = re.compile(r"^(?P<address>\S+): (?P<name>[A-Za-z]+Error|[A-Za-z]+Timeout)\b")


def _short(message: str) -> str:
    """The technical detail for support: the address and the error's name, not urllib3's whole story."""
    match = _ADDRESS_AND_NAME.match(message)
    detail = f"{match['address']}: {match['name']}" if match else message
    return detail if len(detail) <= DETAIL_CHARS else detail[: DETAIL_CHARS - 1] + "…"
