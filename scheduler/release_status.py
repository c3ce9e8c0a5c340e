"""Each player's update state as the fleet page and ``signage displays list`` show it."""

from __future__ import annotations

from typing import Any

from scheduler.store import dumps
from signage.apimodels import UpdateReport


def update_columns(report: UpdateReport | None) -> dict[str, Any]:
    """The ``display_status`` columns of a heartbeat's update report (all None without one)."""
    if report is None:
        return {"update_state": None, "update_version": None, "update_detail": None, "update_code": None,
                "update_params": None}
    return {"update_state": report.state, "update_version": report.version, "update_detail": report.detail,
            "update_code": report.code, "update_params": dumps(report.params) if report.params else None}


def update_text(row: dict[str, Any] | None) -> str:
    """``healthy 0.2.0`` / ``rolled_back 0.2.1 (no healthy report within 300 s)`` / ``-``."""
    if not row or not row.get("update_state"):
        return "-"
    text = f"{row['update_state']} {row.get('update_version') or ''}".strip()
    return f"{text} ({row['update_detail']})" if row.get("update_detail") else text
