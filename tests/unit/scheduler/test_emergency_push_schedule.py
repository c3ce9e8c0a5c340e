"""A scheduled emergency (days/hours/repeat) is pushed only while its window is on screen, valid to its end.

The manifests show such an emergency only inside its windows (docs/schedule.md); the push is laid over the
manifest until a newer one arrives, so it must not show the emergency outside them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler.announcements import approve_announcement, create_announcement
from scheduler.auth import create_user
from scheduler.emergency_push import DEFAULT_VALIDITY
from scheduler.service import Service
from scheduler.store import dumps
from signage.clock import zone
from signage.config import SchedulerConfig
from signage.emergency_message import verify_message
from signage.signing import public_key_from_text

WIB = zone("Asia/Pontianak")


def _service(tmp_path: Path) -> tuple[Service, dict[str, Any], dict[str, Any]]:
    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")))
    now = service.now_iso()
    with service.lock:
        service.db["displays"].insert({
            "id": "d0", "name": "d0", "location": "", "width": 320, "height": 180, "rotation": 0,
            "timezone": "Asia/Pontianak", "groups": dumps([]), "tags": dumps([]), "operating_hours": dumps([]),
            "created_at": now})  # fmt: skip
        for name, role in (("penulis", "editor"), ("penyetuju", "approver")):
            create_user(service.db, name, role, "kata-sandi-uji-1", now)
        users = {r["username"]: dict(r) for r in service.db["users"].rows}
    return service, users["penulis"], users["penyetuju"]


def _approved(service: Service, editor: dict[str, Any], approver: dict[str, Any], **extra: Any) -> int:
    with service.lock:
        ann_id = create_announcement(service.db, {"title": "Uji sirene", "body": "Uji.", "layer": "emergency",
                                                  "targets": {"displays": ["d0"]}, **extra}, editor["id"],
                                     service.clock())  # fmt: skip
        approve_announcement(service.db, ann_id, approver, service.clock())
    return ann_id


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime("%H:%M")


def test_a_scheduled_emergency_is_pushed_only_inside_its_window_and_until_its_end(tmp_path: Path) -> None:
    service, editor, approver = _service(tmp_path)
    keys = {k: public_key_from_text(v) for k, v in service.keyring.public_keys().items()}
    now = datetime.now(UTC)
    # by hand: a daily window from an hour ago to the whole minute 30 minutes ahead (local WIB) holds now;
    # the push must end there, not a day later. A window two hours ahead does not: no push.
    end = (now + timedelta(minutes=30)).astimezone(WIB).replace(second=0, microsecond=0)
    inside = _approved(service, editor, approver,
                       schedule={"dayparts": [{"start": _hhmm(now - timedelta(hours=1)), "end": _hhmm(end)}]})
    later = _approved(service, editor, approver, schedule={
        "dayparts": [{"start": _hhmm(now + timedelta(hours=2)), "end": _hhmm(now + timedelta(hours=3))}]})  # fmt: skip
    plain = _approved(service, editor, approver)
    pushes = {p.announcement_id: p for p in service.pushes.push_due()}
    assert later not in pushes and set(pushes) == {inside, plain}  # nothing for the one whose window is later
    message = verify_message(pushes[inside].envelope, keys, display_id="d0", now=datetime.now(UTC), last_seq=0)
    assert message.valid_until == end.astimezone(UTC)
    assert message.valid_from <= datetime.now(UTC)
    unscheduled = verify_message(pushes[plain].envelope, keys, display_id="d0", now=datetime.now(UTC), last_seq=0)
    assert unscheduled.valid_until - now >= DEFAULT_VALIDITY - timedelta(minutes=5)  # as before: a day
    assert service.pushes.push_due() == []  # once per approval; the later one stays with the manifests
    service.close()
