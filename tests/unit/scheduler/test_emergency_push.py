"""EmergencyPusher: only an approved emergency is pushed, once per approval; a withdrawal pushes a cancel;
sequence numbers keep increasing even after the store goes back to an older state."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler.announcements import approve_announcement, create_announcement, withdraw_announcement
from scheduler.auth import create_user
from scheduler.service import Service
from scheduler.store import dumps
from signage.config import SchedulerConfig
from signage.emergency_message import verify_message
from signage.signing import public_key_from_text


def _world(tmp_path: Path) -> tuple[Service, dict[str, Any], dict[str, Any]]:
    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")))
    now = service.now_iso()
    with service.lock:
        for i in range(3):
            service.db["displays"].insert({
                "id": f"d{i}", "name": f"d{i}", "location": "", "width": 320, "height": 180, "rotation": 0,
                "timezone": "Asia/Pontianak", "groups": dumps(["pesisir"] if i < 2 else []), "tags": dumps([]),
                "operating_hours": dumps([]), "created_at": now})  # fmt: skip
        service.db["groups"].insert({"id": "pesisir", "name": "Pesisir"}, alter=True)
        for name, role in (("penulis", "editor"), ("penyetuju", "approver")):
            create_user(service.db, name, role, "kata-sandi-uji-1", now)
        users = {r["username"]: dict(r) for r in service.db["users"].rows}
    return service, users["penulis"], users["penyetuju"]


def _emergency(service: Service, editor: dict[str, Any], targets: dict[str, list[str]]) -> int:
    ends = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with service.lock:
        return create_announcement(service.db, {"title": "DARURAT: Banjir", "body": "Waspada.", "layer": "emergency",
                                                "targets": targets, "ends_at": ends}, editor["id"], service.clock())


def test_only_an_approved_emergency_is_pushed_once_and_a_withdrawal_pushes_a_cancel(tmp_path: Path) -> None:
    service, editor, approver = _world(tmp_path)
    keys = {k: public_key_from_text(v) for k, v in service.keyring.public_keys().items()}
    group_only = _emergency(service, editor, {"groups": ["pesisir"]})
    everyone = _emergency(service, editor, {"displays": ["d0", "d1", "d2"]})
    assert service.pushes.push_due() == []  # drafts: nothing
    with service.lock:
        approve_announcement(service.db, group_only, approver, service.clock())
    [push] = service.pushes.push_due()
    assert push.kind == "emergency" and push.targets == {"d0", "d1"}  # the group resolved at send time
    assert push.envelope["message"]["targets"] == {"displays": ["d0", "d1"]}
    message = verify_message(push.envelope, keys, display_id="d1", now=datetime.now(UTC), last_seq=0)
    assert message.item_id == f"ann-{group_only}" and message.slide["header"] == "PERINGATAN DARURAT"
    assert abs(push.seq - time.time() * 1000) < 60_000  # milliseconds: survives a store restored from a backup
    assert service.pushes.push_due() == []  # once per approval

    with service.lock:
        approve_announcement(service.db, everyone, approver, service.clock())
    [fleet] = service.pushes.push_due()
    assert fleet.envelope["message"]["targets"] == {"all": True} and fleet.seq > push.seq

    with service.lock:
        withdraw_announcement(service.db, group_only, approver, "Air surut", service.clock())
        service.db.execute("update emergency_pushes set seq = seq + 10000000 where seq = ?", [fleet.seq])
    [cancel] = service.pushes.push_due()
    assert cancel.kind == "cancel" and cancel.targets == {"d0", "d1"}
    assert cancel.seq == fleet.seq + 10000000 + 1  # never below a push already made
    assert service.pushes.push_due() == []
    service.close()
