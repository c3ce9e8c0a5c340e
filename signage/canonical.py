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
