"""Each player's update state (and its warnings' codes) as the fleet page and ``signage displays list`` keep them."""

from __future__ import annotations

from typing import Any

from scheduler.store import dumps
from signage.apimodels import Heartbeat, UpdateReport


def update_columns(report: UpdateReport | None) -> dict[str, Any]:
    """The ``display_status`` columns of a heartbeat's update report (all None without one)."""
    if report is None:
        return {"update_state": None, "update_version": None, "update_detail": None, "update_code": None,
                "update_params": None}
    return {"update_state": report.state, "update_version": report.version, "update_detail": report.detail,
            "update_code": report.code, "update_params": dumps(report.params) if report.params else None}


def warning_codes(beat: Heartbeat) -> list[dict[str, Any]] | None:
    """The codes of the heartbeat's warnings, in the order the scheduler stores them (the clock fault first),
    or None when the player sent none (an older player)."""
    if not beat.warning_codes and not beat.clock_fault_code:
        return None
    codes = [c.model_dump() for c in beat.warning_codes[: len(beat.warnings)]]
    codes += [{"code": None, "params": {}}] * (len(beat.warnings) - len(codes))
    if beat.clock_fault:
        clock = beat.clock_fault_code.model_dump() if beat.clock_fault_code else {"code": None, "params": {}}
        codes.insert(0, clock)
    return codes


def update_text(row: dict[str, Any] | None) -> str:
    """``healthy 0.2.0`` / ``rolled_back 0.2.1 (no healthy report within 300 s)`` / ``-``."""
    if not row or not row.get("update_state"):
        return "-"
    text = f"{row['update_state']} {row.get('update_version') or ''}".strip()
    return f"{text} ({row['update_detail']})" if row.get("update_detail") else text
