"""The announcement workflow and the policy on a real store: two-person rule, withdrawal, audit."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from scheduler import announcements as ann
from scheduler.auth import create_user
from scheduler.migrations import migrations
from scheduler.policy import ACTIONS, PolicyDenied, allowed_actions, can
from scheduler.store import open_store
from signage.clock import format_utc
from signage.errors import UserError

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
BODY: dict[str, Any] = {"title": "Kerja bakti", "body": "Minggu pagi", "targets": {"displays": ["kantor-bupati"]}}


@pytest.fixture
def db(tmp_path: Path) -> Database:
    store = open_store(tmp_path / "s.db")
    store["displays"].insert(
        {"id": "kantor-bupati", "name": "K", "width": 768, "height": 432, "timezone": "Asia/Pontianak"}
    )
    for name, role in (("ed", "editor"), ("ed2", "editor"), ("apr", "approver"), ("adm", "admin"), ("vw", "viewer")):
        create_user(store, name, role, "kata-sandi-uji-123", "t")
    return store


def user(db: Database, name: str) -> dict[str, Any]:
    return dict(next(db["users"].rows_where("username = ?", [name])))


def test_roles_grant_what_the_policy_says(db: Database) -> None:
    viewer, editor, approver, admin = (user(db, n) for n in ("vw", "ed", "apr", "adm"))
    assert allowed_actions(viewer) == ["view", "view_reports"]
    assert not can(editor, "approve") and not can(editor, "manage_displays") and can(editor, "create")
    assert can(approver, "approve") and can(approver, "emergency") and not can(approver, "manage_users")
    assert allowed_actions(admin) == list(ACTIONS)
    assert not can(None, "view") and not can({**admin, "disabled": 1}, "view")
    assert not can(admin, "launch_missiles")


def test_admin_edit_then_own_approval_is_refused_and_another_approver_decides(db: Database) -> None:
    editor, approver, admin = user(db, "ed"), user(db, "apr"), user(db, "adm")
    ann_id = ann.create_announcement(db, BODY, editor["id"], NOW)
    ann.update_announcement(db, ann_id, {**BODY, "layer": "emergency", "title": "Evakuasi"}, admin, NOW)
    with pytest.raises(PolicyDenied) as refused:
        ann.approve_announcement(db, ann_id, admin, NOW)
    assert refused.value.reason == "two_person" and "aturan dua orang" in refused.value.text("id")
    assert ann.get_announcement(db, ann_id)["status"] == "draft"
    with pytest.raises(PolicyDenied):  # the creator is barred too
        ann.approve_announcement(db, ann_id, {**editor, "role": "approver"}, NOW)
    row = ann.approve_announcement(db, ann_id, approver, NOW)
    assert row["status"] == "approved" and row["approved_by"] == approver["id"]
    assert row["editors_since_approval"] == [] and sorted(row["contributors"]) == sorted([editor["id"], admin["id"]])


def test_an_edit_after_approval_goes_back_to_submitted_and_bars_its_editor(db: Database) -> None:
    editor, approver, admin = user(db, "ed"), user(db, "apr"), user(db, "adm")
    ann_id = ann.create_announcement(db, BODY, editor["id"], NOW)
    ann.approve_announcement(db, ann_id, approver, NOW)
    unchanged = ann.update_announcement(db, ann_id, BODY, approver, NOW)
    assert unchanged["status"] == "approved"  # saving the same content changes nothing
    row = ann.update_announcement(db, ann_id, {**BODY, "title": "Kerja bakti massal"}, approver, NOW)
    assert row["status"] == "submitted" and row["editors_since_approval"] == [approver["id"]]
    assert row["updated_by"] == approver["id"]
    with pytest.raises(PolicyDenied):
        ann.approve_announcement(db, ann_id, approver, NOW)  # approved it before, but edited it since
    assert ann.approve_announcement(db, ann_id, admin, NOW)["status"] == "approved"


def test_an_editor_cannot_take_someone_elses_approved_emergency_off_air(db: Database) -> None:
    editor, other, approver, admin = user(db, "ed"), user(db, "ed2"), user(db, "apr"), user(db, "adm")
    ann_id = ann.create_announcement(db, {**BODY, "layer": "emergency"}, admin["id"], NOW)
    ann.approve_announcement(db, ann_id, approver, NOW)
    for attempt in (
        lambda: ann.update_announcement(db, ann_id, {**BODY, "title": "x"}, editor, NOW),
        lambda: ann.archive_announcement(db, ann_id, editor, NOW),
        lambda: ann.withdraw_announcement(db, ann_id, editor, "salah", NOW),
    ):
        with pytest.raises(PolicyDenied):
            attempt()
    assert ann.get_announcement(db, ann_id)["status"] == "approved"
    # An author withdraws their own item (with a reason); an editor who did not write it cannot.
    own = ann.create_announcement(db, BODY, editor["id"], NOW)
    ann.approve_announcement(db, own, approver, NOW)
    with pytest.raises(PolicyDenied):
        ann.withdraw_announcement(db, own, other, "bukan milik saya", NOW)
    with pytest.raises(UserError) as no_reason:
        ann.withdraw_announcement(db, own, editor, "  ", NOW)
    assert no_reason.value.field == "reason"
    row = ann.withdraw_announcement(db, own, editor, "tanggal salah", NOW)
    assert row["status"] == "withdrawn" and row["status_reason"] == "tanggal salah"
    # An approver may withdraw anyone's item.
    assert ann.withdraw_announcement(db, ann_id, approver, "sudah aman", NOW)["status"] == "withdrawn"


def test_reject_with_reason_then_fix_and_resubmit(db: Database) -> None:
    editor, approver = user(db, "ed"), user(db, "apr")
    ann_id = ann.create_announcement(db, BODY, editor["id"], NOW)
    assert ann.submit_announcement(db, ann_id, editor, NOW)["status"] == "submitted"
    with pytest.raises(PolicyDenied):
        ann.reject_announcement(db, ann_id, editor, "tidak", NOW)
    with pytest.raises(UserError) as empty:
        ann.reject_announcement(db, ann_id, approver, "", NOW)
    assert empty.value.field == "reason"
    row = ann.reject_announcement(db, ann_id, approver, "Tanggal acara salah", NOW)
    assert row["status"] == "rejected" and row["status_reason"] == "Tanggal acara salah"
    with pytest.raises(UserError) as state:
        ann.approve_announcement(db, ann_id, approver, NOW)
    assert state.value.field == "status"
    assert ann.update_announcement(db, ann_id, {**BODY, "body": "Sabtu pagi"}, editor, NOW)["status"] == "draft"
    assert ann.submit_announcement(db, ann_id, editor, NOW)["status"] == "submitted"
    assert ann.approve_announcement(db, ann_id, approver, NOW)["status_reason"] is None
    archived = ann.archive_announcement(db, ann_id, editor, NOW)
    assert archived["status"] == "archived"
    with pytest.raises(UserError):
        ann.update_announcement(db, ann_id, BODY, editor, NOW)


def test_every_transition_is_audited_with_before_and_after(db: Database) -> None:
    editor, approver = user(db, "ed"), user(db, "apr")
    ann_id = ann.create_announcement(db, BODY, editor["id"], NOW)
    ann.submit_announcement(db, ann_id, editor, NOW)
    ann.approve_announcement(db, ann_id, approver, NOW)
    ann.withdraw_announcement(db, ann_id, approver, "cuaca", NOW)
    rows = list(db["audit_log"].rows_where("subject = ?", [f"announcement:{ann_id}"], order_by="id"))
    assert [r["action"] for r in rows] == [
        "announcement.create",
        "announcement.submit",
        "announcement.approve",
        "announcement.withdraw",
    ]
    statuses = [
        (json.loads(r["before"])["status"] if r["before"] else None, json.loads(r["after"])["status"]) for r in rows
    ]
    assert statuses == [(None, "draft"), ("draft", "submitted"), ("submitted", "approved"), ("approved", "withdrawn")]
    assert rows[-1]["user_id"] == approver["id"] and rows[-1]["detail"] == "cuaca"


def test_display_status_derives_on_air_and_ended(db: Database) -> None:
    row = {"status": "approved", "starts_at": None, "ends_at": None}
    assert ann.display_status(row, NOW) == "on_air"
    assert ann.display_status({**row, "starts_at": format_utc(NOW + timedelta(hours=1))}, NOW) == "approved"
    assert ann.display_status({**row, "ends_at": format_utc(NOW)}, NOW) == "ended"
    assert ann.display_status({**row, "status": "withdrawn"}, NOW) == "withdrawn"


def test_upgrade_keeps_approved_rows_approved_and_counts_creators_as_editors(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m005_h_policy_workflow")
    old["users"].insert_all(
        [
            {"id": 1, "username": "ed", "password_hash": "x", "role": "editor", "disabled": 0},
            {"id": 2, "username": "adm", "password_hash": "x", "role": "admin", "disabled": 0},
        ]
    )
    common = {"title": "t", "kind": "text", "targets": "{}", "created_by": 1}
    old["announcements"].insert_all([{"id": 1, **common, "status": "approved"}, {"id": 2, **common, "status": "draft"}])
    old["approvals"].insert({"announcement_id": 1, "user_id": 2, "decision": "approved", "note": "", "at": "t1"})
    old.conn.close()
    db = open_store(path)
    approved, draft = ann.get_announcement(db, 1), ann.get_announcement(db, 2)
    assert approved["status"] == "approved" and approved["editors_since_approval"] == []
    assert approved["approved_by"] == 2 and approved["contributors"] == [1]
    assert draft["editors_since_approval"] == [1]
    with pytest.raises(PolicyDenied):  # the creator of the old draft still cannot approve it
        ann.approve_announcement(db, 2, {"id": 1, "username": "ed", "role": "approver", "disabled": 0}, NOW)
