"""A generic CSV or JSON document at a URL -> records for :mod:`content.sources.mapping`."""

from __future__ import annotations

import csv
import io
import json
from typing import Any


class TabularError(ValueError):
    pass


def records(body: bytes, fmt: str, records_path: str = "") -> list[dict[str, Any]]:
    """CSV (header row; ``,`` or ``;``) or JSON (a list, or the list at a dotted ``records_path``)."""
    text = body.decode("utf-8-sig", errors="replace")
    if fmt == "csv":
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        return [dict(row) for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)]
    try:
        doc: Any = json.loads(text)
    except ValueError as exc:
        raise TabularError(f"bukan JSON ({exc})") from None
    for part in [p for p in records_path.split(".") if p]:
        if not isinstance(doc, dict) or part not in doc:
            raise TabularError(f"options.records_path: {part!r} tidak ada di dokumen")
        doc = doc[part]
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise TabularError("options.records_path: harus menunjuk ke daftar objek")
    return list(doc)
