"""Fleet health from heartbeats: online/offline, lag, missing media, offline coverage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from scheduler.publish import Publisher
from scheduler.store import loads
from signage.clock import parse_utc
from signage.manifest import parse_manifest
from signage.signing import public_key_from_text, verify_envelope

ONLINE_GRACE = timedelta(seconds=180)  # three missed 60 s heartbeats


@dataclass(frozen=True)
class DisplayHealth:
    display_id: str
    name: str
    online: bool
    last_seen: str | None
    reported_version: int | None
    latest_version: int | None
    version_lag: int | None
    missing_media: list[str]
    offline_coverage_until: str | None
    status: str | None
    current_item: str | None
    warnings: list[str]
    #: ``warnings[i]`` as ``{"code", "params"}`` (signage.reason_codes); empty from an older player
    warning_codes: list[dict[str, Any]] = field(default_factory=list)

    def coded_warnings(self) -> list[tuple[str | None, dict[str, Any], str]]:
        """``(code, params, English text)`` per warning, for :mod:`scheduler.player_reasons`."""
        codes = self.warning_codes if len(self.warning_codes) == len(self.warnings) else [{}] * len(self.warnings)
        return [(c.get("code"), c.get("params") or {}, str(w)) for c, w in zip(codes, self.warnings, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fleet_health(db: Database, publisher: Publisher, now: datetime) -> list[DisplayHealth]:
    keys = {k: public_key_from_text(v) for k, v in publisher.keyring.public_keys().items()}
    statuses = {row["display_id"]: row for row in db.table("display_status").rows}
    out = []
    for display in db.table("displays").rows_where(order_by="id"):
        status = statuses.get(display["id"])
        latest = publisher.latest(display["id"])
        missing: list[str] = []
        coverage: str | None = None
        reported = status["manifest_version"] if status else None
        if latest is not None and status is not None:
            manifest = parse_manifest(verify_envelope(latest.body, keys))
            cache = set(loads(status["cache"], []))
            missing = sorted(ref.sha256 for ref in manifest.media() if ref.sha256 not in cache)
        if reported is not None:
            rows = list(db.table("manifests").rows_where("display_id = ? and version = ?", [display["id"], reported]))
            coverage = rows[0]["valid_until"] if rows else None
        last_seen = status["last_seen"] if status else None
        out.append(
            DisplayHealth(
                display_id=display["id"],
                name=display["name"],
                online=bool(last_seen) and now - parse_utc(last_seen) <= ONLINE_GRACE,  # type: ignore[arg-type]
                last_seen=last_seen,
                reported_version=reported,
                latest_version=latest.version if latest else None,
                version_lag=(latest.version - reported) if latest and reported is not None else None,
                missing_media=missing,
                offline_coverage_until=coverage,
                status=status["status"] if status else None,
                current_item=status["current_item"] if status else None,
                warnings=loads(status["warnings"], []) if status else [],
                warning_codes=loads(status["warning_codes"], []) if status else [],
            )
        )
    return out
