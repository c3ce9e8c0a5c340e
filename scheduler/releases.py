"""Player releases on the scheduler: add (verify + sign + store), offer to a group, the offer for a display.

A release's wheel is kept under ``<data_dir>/releases/<sha256>``; its signed
release manifest (``signage/release.py``) is stored once, signed by the
active key at ``add`` time. A display is offered the highest version offered
to any of its groups (staged rollout: offer to one group, then the next).
Every add and offer is written to the audit log.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

from scheduler.announcements import audit
from scheduler.fleet_admin import FieldError, get_group
from scheduler.service import Service
from scheduler.store import loads
from signage.canonical import canonical_json
from signage.errors import NotFoundError, UserError
from signage.release import Release, parse_release, sign_release, version_key
from signage.release_build import sha256_file

RELEASES_DIR = "releases"


def wheel_path(service: Service, sha256: str) -> Path:
    return service.data_dir / RELEASES_DIR / sha256


def add_release(service: Service, manifest_path: Path, wheel: Path | None = None, *, added_by: str = "cli") -> Release:
    """Store the wheel named by ``release.json`` (beside it unless ``wheel`` is given) and sign its manifest.

    Refused (nothing stored) when the manifest is malformed, the wheel's size or
    sha256 differ from it, or the version exists with another wheel.
    """
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{manifest_path}: cannot read the release manifest: {exc}", field="release") from None
    release = parse_release(data, str(manifest_path))
    wheel = wheel or manifest_path.parent / release.filename
    if not wheel.is_file():
        raise UserError(f"{wheel}: the wheel named in {manifest_path.name} is missing", field="filename")
    size, digest = wheel.stat().st_size, sha256_file(wheel)
    if size != release.size or digest != release.sha256:
        raise UserError(f"{wheel}: size {size} / sha256 {digest[:12]}… differ from the release manifest "
                        f"({release.size} / {release.sha256[:12]}…); build it again", field="sha256")
    release = dataclasses.replace(release, url=f"release-files/{release.sha256}")
    now_iso = service.now_iso()
    with service.lock:
        existing = list(service.db.table("releases").rows_where("version = ?", [release.version]))
        if existing and existing[0]["sha256"] != release.sha256:
            raise UserError(f"version: release {release.version} already exists with another wheel; "
                            "bump the version and build again", field="version")
        if existing:
            return release
        target = wheel_path(service, release.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_suffix(".part")
        shutil.copyfile(wheel, staging)
        staging.replace(target)
        envelope = sign_release(release, service.keyring.active)
        row = {**{k: v for k, v in release.to_dict().items() if k not in ("schema", "url")},
               "added_at": now_iso, "added_by": added_by, "envelope": canonical_json(envelope).decode()}
        service.db.table("releases").insert(row)
        audit(service.db, service.clock(), None, "release_add", f"release:{release.version}",
              f"{release.filename} by {added_by}", after={k: v for k, v in row.items() if k != "envelope"})
    return release


def list_releases(service: Service) -> list[dict[str, Any]]:
    with service.lock:
        rows = [{k: v for k, v in r.items() if k != "envelope"} for r in service.db.table("releases").rows]
    return sorted(rows, key=lambda r: version_key(r["version"]), reverse=True)


def list_offers(service: Service) -> list[dict[str, Any]]:
    with service.lock:
        return list(service.db.table("release_offers").rows_where(order_by="group_id"))


def offer_release(
    service: Service, group_id: str, version: str, *, user: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Advertise ``version`` to every display of ``group_id`` (replaces the group's previous offer)."""
    get_group(service, group_id)
    with service.lock:
        if not service.db.table("releases").count_where("version = ?", [version]):
            raise FieldError("version", f"no release {version!r}; add it first (signage release add)",
                             f"tidak ada rilis {version!r}; tambahkan dulu (signage release add)")
        who = (user or {}).get("username", "cli")
        row = {"group_id": group_id, "version": version, "offered_at": service.now_iso(), "offered_by": who}
        before = list(service.db.table("release_offers").rows_where("group_id = ?", [group_id]))
        service.db.table("release_offers").upsert(row, pk="group_id")
        audit(service.db, service.clock(), (user or {}).get("id"), "release_offer", f"group:{group_id}",
              f"release {version}", before=before[0] if before else None, after=row)
    return row


def withdraw_offer(service: Service, group_id: str, *, user: dict[str, Any] | None = None) -> None:
    """Stop advertising a release to ``group_id``; players keep the version they run (no downgrade)."""
    with service.lock:
        rows = list(service.db.table("release_offers").rows_where("group_id = ?", [group_id]))
        if not rows:
            raise NotFoundError(f"group: no release is offered to group {group_id!r}", field="group")
        service.db.table("release_offers").delete(group_id)
        audit(service.db, service.clock(), (user or {}).get("id"), "release_withdraw", f"group:{group_id}",
              f"release {rows[0]['version']}", before=rows[0])


def offered_envelope(service: Service, display_id: str) -> bytes | None:
    """The signed release manifest offered to ``display_id`` (highest version over its groups), or None."""
    with service.lock:
        displays = list(service.db.table("displays").rows_where("id = ?", [display_id], select="groups"))
        groups = loads(displays[0]["groups"], []) if displays else []
        if not groups:
            return None
        marks = ",".join("?" for _ in groups)
        rows = list(service.db.query(
            f"select r.version, r.envelope from release_offers o join releases r on r.version = o.version "
            f"where o.group_id in ({marks})", groups))
        introductions = service.keyring.introductions()
    if not rows:
        return None
    best = max(rows, key=lambda r: version_key(r["version"]))
    envelope = json.loads(best["envelope"])
    if introductions:  # lets a player that has not seen the rotation yet follow it
        envelope["introductions"] = introductions
    return canonical_json(envelope)
