"""Registered schema migrations of the scheduler store (sqlite-utils ``Migrations``).

Never edit an applied migration: add a new one. ``tests/unit/scheduler`` upgrades a
store created at every earlier step and checks that no row is lost.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("mempawah-signage")


@migrations()
def m001_initial(db: Database) -> None:
    db["users"].create(
        {
            "id": int,
            "username": str,
            "password_hash": str,
            "role": str,  # editor | approver | admin
            "language": str,
            "created_at": str,
            "disabled": int,
        },
        pk="id",
        not_null={"username", "password_hash", "role"},
    )
    db["users"].create_index(["username"], unique=True)
    db["displays"].create(
        {
            "id": str,
            "name": str,
            "location": str,
            "width": int,
            "height": int,
            "rotation": int,
            "timezone": str,
            "groups": str,  # JSON list of group ids
            "tags": str,  # JSON list
            "operating_hours": str,  # JSON
            "created_at": str,
        },
        pk="id",
        not_null={"name", "width", "height", "timezone"},
    )
    db["groups"].create({"id": str, "name": str, "kind": str}, pk="id")
    db["media"].create(
        {
            "sha256": str,
            "size": int,
            "mime": str,
            "kind": str,  # image | video
            "width": int,
            "height": int,
            "duration_s": float,
            "original_name": str,
            "created_at": str,
        },
        pk="sha256",
    )
    db["announcements"].create(
        {
            "id": int,
            "title": str,
            "body": str,
            "kind": str,  # text | image | video
            "media_sha256": str,
            "duration_s": float,
            "layer": str,
            "targets": str,  # JSON {"displays": [...], "groups": [...]}
            "starts_at": str,
            "ends_at": str,
            "status": str,  # draft | approved | rejected | archived
            "created_by": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"title", "kind", "status"},
        foreign_keys=[("created_by", "users", "id")],
    )
    db["approvals"].create(
        {
            "id": int,
            "announcement_id": int,
            "user_id": int,
            "decision": str,
            "note": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("announcement_id", "announcements", "id"), ("user_id", "users", "id")],
    )
    db["signing_keys"].create(
        {"key_id": str, "public_key": str, "created_at": str, "active": int}, pk="key_id"
    )
    db["manifests"].create(
        {
            "display_id": str,
            "version": int,
            "etag": str,
            "body_sha256": str,
            "generated_at": str,
            "valid_until": str,
            "key_id": str,
        },
        pk=("display_id", "version"),
    )
    db["enrolments"].create(
        {
            "code": str,
            "name": str,
            "remote_addr": str,
            "requested_at": str,
            "status": str,  # pending | approved | collected | expired
            "display_id": str,
            "token_plain": str,  # held only until the player collects it
        },
        pk="code",
    )
    db["display_tokens"].create(
        {"token_hash": str, "display_id": str, "created_at": str, "revoked_at": str},
        pk="token_hash",
    )
    db["heartbeats"].create(
        {"id": int, "display_id": str, "received_at": str, "body": str}, pk="id"
    )
    db["heartbeats"].create_index(["display_id", "received_at"])
    db["audit_log"].create(
        {"id": int, "at": str, "user_id": int, "action": str, "subject": str, "detail": str},
        pk="id",
    )
