"""CKAN DataStore (Satu Data portals): ``datastore_search`` with paging.

Answers use the action API envelope ``{"success": true, "result": {...}}`` or
``{"success": false, "error": {"message": ..., "__type": ...}}``; ``result`` has
``records``, ``total`` and ``_links.next`` (a path relative to the site, present
on every page). We follow ``next`` until ``total`` records are read or a page is
empty, never more than ``MAX_PAGES``.
"""

from __future__ import annotations

import json
from typing import Any

SEARCH_PATH = "/api/3/action/datastore_search"
PAGE_LIMIT = 1000
MAX_PAGES = 50


class CkanError(ValueError):
    pass


def parse_page(body: bytes | str) -> tuple[list[dict[str, Any]], int, str | None]:
    """(records, total, next path) of one datastore_search answer."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise CkanError(f"datastore_search: bukan JSON ({exc})") from None
    if not isinstance(doc, dict) or "success" not in doc:
        raise CkanError("datastore_search: bukan jawaban CKAN (tidak ada 'success')")
    if not doc["success"]:
        error = doc.get("error") or {}
        message = error.get("message") if isinstance(error, dict) else error
        kind = error.get("__type", "") if isinstance(error, dict) else ""
        raise CkanError(f"CKAN menolak: {kind} {message}".strip())
    result = doc.get("result") or {}
    records = result.get("records")
    if not isinstance(records, list):
        raise CkanError("datastore_search: result.records bukan daftar")
    total = int(result.get("total") or 0)
    next_path = (result.get("_links") or {}).get("next")
    return [r for r in records if isinstance(r, dict)], total, next_path if isinstance(next_path, str) else None


def first_params(options: dict[str, Any]) -> dict[str, str]:
    params = {"resource_id": str(options["resource_id"]), "limit": str(int(options.get("limit", PAGE_LIMIT)))}
    if options.get("filters"):
        params["filters"] = json.dumps(options["filters"], separators=(",", ":"))
    return params
