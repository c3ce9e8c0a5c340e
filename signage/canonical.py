"""Canonical JSON bytes: the exact bytes a manifest signature covers.

Keys sorted, no insignificant whitespace, UTF-8, no NaN/Infinity. Every signer
and verifier uses this one function, so a manifest re-serialised by any JSON
library still verifies as long as its values are unchanged.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def canonical_object(fields: dict[str, Any], encoded: dict[str, bytes]) -> bytes:
    """``canonical_json({**fields, **decoded(encoded)})`` with some values already canonical bytes.

    Lets a large value (a manifest's timeline, a whole manifest inside its envelope) be
    serialised once and spliced into several documents; the keys must not overlap.
    """
    if fields.keys() & encoded.keys():
        raise ValueError(f"keys given twice: {sorted(fields.keys() & encoded.keys())}")
    parts = [
        canonical_json(key) + b":" + (encoded[key] if key in encoded else canonical_json(fields[key]))
        for key in sorted([*fields, *encoded])
    ]
    return b"{" + b",".join(parts) + b"}"
