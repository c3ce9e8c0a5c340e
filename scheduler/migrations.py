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
    db.table("users").create(
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
    db.table("users").create_index(["username"], unique=True)
    db.table("displays").create(
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
    db.table("groups").create({"id": str, "name": str, "kind": str}, pk="id")
    db.table("media").create(
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
    db.table("announcements").create(
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
    db.table("approvals").create(
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
    db.table("signing_keys").create({"key_id": str, "public_key": str, "created_at": str, "active": int}, pk="key_id")
    db.table("manifests").create(
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
    db.table("enrolments").create(
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
    db.table("display_tokens").create(
        {"token_hash": str, "display_id": str, "created_at": str, "revoked_at": str},
        pk="token_hash",
    )
    db.table("heartbeats").create({"id": int, "display_id": str, "received_at": str, "body": str}, pk="id")
    db.table("heartbeats").create_index(["display_id", "received_at"])
    db.table("audit_log").create(
        {"id": int, "at": str, "user_id": int, "action": str, "subject": str, "detail": str},
        pk="id",
    )


@migrations()
def m002_fleet_and_rules(db: Database) -> None:
    """Proof of play, latest display status, screenshots, rules/layouts and data sources."""
    db.table("play_events").create(
        {
            "id": str,  # event UUID from the player: re-sent batches add nothing
            "display_id": str,
            "item_id": str,
            "sha256": str,
            "started_at": str,
            "ended_at": str,
            "duration_ms": int,
            "result": str,  # played | skipped
            "reason": str,
            "received_at": str,
        },
        pk="id",
    )
    db.table("play_events").create_index(["display_id", "started_at"])
    db.table("display_status").create(
        {
            "display_id": str,
            "last_seen": str,
            "manifest_version": int,
            "status": str,
            "current_item": str,
            "cache": str,  # JSON list of sha256
            "free_disk_bytes": int,
            "memory_rss_bytes": int,
            "clock_offset_s": float,
            "app_version": str,
            "warnings": str,  # JSON list
        },
        pk="display_id",
    )
    db.table("screenshots").create({"display_id": str, "taken_at": str, "png": bytes}, pk="display_id")
    db.table("layouts").create({"id": str, "name": str, "zones": str}, pk="id")
    db.table("rules").create({"id": str, "announcement_id": int, "body": str, "updated_at": str}, pk="id")
    db.table("data_sources").create(
        {"id": str, "kind": str, "url": str, "config": str, "refresh_s": int, "last_ok_at": str, "last_error": str},
        pk="id",
    )
    db.table("snapshots").create({"id": int, "source_id": str, "as_of": str, "fetched_at": str, "data": str}, pk="id")
    db.table("signing_keys").add_column("introduction", str)


@migrations()
def m003_media_pipeline(db: Database) -> None:
    """Per-canvas media variants, rendered text slides and ingest jobs (content pipeline)."""
    db.table("media_variants").create(
        {
            "original_sha256": str,
            "canvas": str,  # "768x432"
            "sha256": str,
            "size": int,
            "mime": str,
            "width": int,
            "height": int,
            "duration_s": float,
            "action": str,  # rendered | copy | remux | transcode
            "note": str,
        },
        pk=("original_sha256", "canvas"),
    )
    db.table("slides").create(
        {"spec_sha256": str, "canvas": str, "sha256": str, "size": int, "warnings": str}, pk=("spec_sha256", "canvas")
    )
    db.table("ingest_jobs").create(
        {
            "id": int,
            "original_name": str,
            "original_sha256": str,
            "kind": str,
            "state": str,  # queued | running | done | failed
            "percent": float,
            "error": str,
            "notes": str,  # JSON list
            "warnings": str,  # JSON list
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    for column, kind in (("status", str), ("poster_sha256", str), ("thumbnail_sha256", str), ("notes", str)):
        db.table("media").add_column(column, kind)
    db.execute("update media set status = 'ready' where status is null")


@migrations()
def m004_schedule_rules(db: Database) -> None:
    """Schedules: a rule per announcement (plus imported rules), playlists, display zones and fallback."""
    db.table("announcements").add_column("schedule", str)  # JSON: days, dayparts, preset/rrule, share, weight...
    db.table("displays").add_column("zones", str)  # JSON list, default ["main"]
    db.table("displays").add_column("fallback", str)  # JSON list of item ids
    db.table("playlists").create({"id": str, "title": str, "items": str, "updated_at": str}, pk="id")


@migrations()
def m005_h_sources_snapshot_status(db: Database) -> None:
    """Live data sources: per-source poll state and name; per-snapshot validation status and review."""
    db.table("data_sources").add_column("name", str)
    db.table("data_sources").add_column("state", str)  # JSON: validators, failures, next_due_at, last_error
    db.table("snapshots").add_column("status", str)  # ok | invalid | held | approved | rejected
    db.table("snapshots").add_column("validation", str)  # JSON {status, problems}
    db.table("snapshots").add_column("reviewed_by", int)
    db.table("snapshots").add_column("reviewed_at", str)
    db.table("snapshots").create_index(["source_id", "id"])
