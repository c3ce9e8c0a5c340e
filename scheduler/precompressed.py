"""Manifests are gzipped once, when published, and served as stored to clients that accept gzip.

A busy display's manifest is about 1 MB of JSON; compressing it per request cost
~55 ms of CPU. The stored ``.json.gz`` is deterministic (no timestamp in its
header), so the same version always has the same compressed bytes.
"""

from __future__ import annotations

import gzip

#: zlib level 6: within 3% of level 9's size on manifests, at about 3/4 of its CPU.
GZIP_LEVEL = 6


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, GZIP_LEVEL, mtime=0)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (RFC 9110: ``gzip``, ``x-gzip`` or ``*``, q > 0)."""
    if not accept_encoding:
        return False
    star: bool | None = None
    for part in accept_encoding.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if name in ("gzip", "x-gzip"):
            return quality > 0
        if name == "*":
            star = quality > 0
    return bool(star)
