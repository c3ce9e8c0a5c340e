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
def m005_h_policy_workflow(db: Database) -> None:
    """Approval workflow: who edited since the last approval (two-person rule), reasons, audit before/after.

    Rows approved before this migration stay approved (nobody edited them since); every other row
    counts its creator as its only editor so far.
    """
    announcements = db.table("announcements")
    for column, kind in (
        ("updated_by", int),
        ("contributors", str),  # JSON list of user ids: everyone who created or ever edited it
        ("editors_since_approval", str),  # JSON list of user ids who changed it since its last approval
        ("approved_by", int),
        ("approved_at", str),
        ("status_reason", str),  # why it was rejected or withdrawn (shown to the author)
        ("status_by", int),
        ("status_at", str),
    ):
        announcements.add_column(column, kind)
    db.execute(
        "update announcements set updated_by = created_by, "
        "contributors = case when created_by is null then '[]' else json_array(created_by) end, "
        "editors_since_approval = case when status = 'approved' or created_by is null then '[]' "
        "else json_array(created_by) end"
    )
    db.execute(
        "update announcements set approved_by = (select user_id from approvals a where a.announcement_id = "
        "announcements.id and a.decision = 'approved' order by a.id desc limit 1), approved_at = (select at from "
        "approvals a where a.announcement_id = announcements.id and a.decision = 'approved' order by a.id desc "
        "limit 1) where status = 'approved'"
    )
    db.table("audit_log").add_column("before", str)  # JSON: the row before the change
    db.table("audit_log").add_column("after", str)  # JSON: the row after the change


@migrations()
def m006_enrolment_secret(db: Database) -> None:
    """Enrolment is bound to a secret the player holds: only its sha256 is stored (see scheduler/enrolment.py)."""
    db.table("enrolments").add_column("secret_sha256", str)


@migrations()
def m007_job_canvases(db: Database) -> None:
    """The canvases each ingest job tried (JSON list): a failed conversion is not retried for the same ones."""
    db.table("ingest_jobs").add_column("canvases", str)


@migrations()
def m008_backfill_rules(db: Database) -> None:
    """Once: a default rule for each announcement that no rule schedules (stores from before rules).

    Start-up used to do this on every boot and so recreated ``ann-<id>`` over
    imported rules with other ids; now it happens once, here, and never again.
    """
    import json
    from datetime import UTC, datetime

    from scheduler.schedule import rule_for_announcement
    from scheduler.store import dumps
    from signage.errors import UserError

    have_ids = {row["announcement_id"] for row in db.table("rules").rows_where("announcement_id is not null")}
    scheduled = set()
    for row in db.table("rules").rows:
        try:
            scheduled.add(json.loads(row["body"]).get("item"))
        except (ValueError, AttributeError):
            continue
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for row in db.table("announcements").rows:
        if row["id"] in have_ids or f"ann-{row['id']}" in scheduled:
            continue
        try:
            rule = rule_for_announcement(row)
        except UserError:  # e.g. no targets: nothing to schedule
            continue
        db.table("rules").insert(
            {"id": rule["id"], "announcement_id": row["id"], "body": dumps(rule), "updated_at": now},
            pk="id",
            replace=True,
        )


@migrations()
def m009_web_sessions(db: Database) -> None:
    """Server-side web admin sessions (idle and absolute expiry) and a forced password change."""
    db.table("web_sessions").create(
        {
            "id_hash": str,  # SHA-256 of the cookie value: a copy of the store cannot log in
            "user_id": int,
            "csrf_token": str,
            "created_at": str,
            "last_seen_at": str,
            "remote_addr": str,
            "flash": str,  # JSON list of messages shown once on the next page
        },
        pk="id_hash",
    )
    db.table("web_sessions").create_index(["user_id"])
    db.table("users").add_column("must_change_password", int)


@migrations()
def m010_clock_flags(db: Database) -> None:
    """Clock faults: the player's reported clock fault, and play events with implausible times flagged."""
    db.table("display_status").add_column("clock_fault", str)  # the player's text, None when its clock is sane
    db.table("play_events").add_column("clock_flag", str)  # None | future | before_enrolment


@migrations()
def m011_display_setup(db: Database) -> None:
    """Display coordinates (prayer times) and LED capture geometry."""
    for column, kind in (
        ("latitude", float),
        ("longitude", float),
        ("capture_x", int),
        ("capture_y", int),
        ("capture_w", int),
        ("capture_h", int),
    ):
        db.table("displays").add_column(column, kind)


@migrations()
def m012_h_sources_snapshot_status(db: Database) -> None:
    """Live data sources: per-source poll state and name; per-snapshot validation status and review."""
    db.table("data_sources").add_column("name", str)
    db.table("data_sources").add_column("state", str)  # JSON: validators, failures, next_due_at, last_error
    db.table("snapshots").add_column("status", str)  # ok | invalid | held | approved | rejected
    db.table("snapshots").add_column("validation", str)  # JSON {status, problems}
    db.table("snapshots").add_column("reviewed_by", int)
    db.table("snapshots").add_column("reviewed_at", str)
    db.table("snapshots").create_index(["source_id", "id"])


@migrations()
def m013_emergency_ack(db: Database) -> None:
    """Emergency acknowledgement: the emergency items each screen reports showing, and since when."""
    db.table("display_status").add_column("emergency_shown", str)  # JSON {item id: first reported (UTC)}


@migrations()
def m014_display_region_code(db: Database) -> None:
    """A display's village code (Kemendagri adm4, e.g. 61.04.01.2001): its own BMKG weather forecast."""
    db.table("displays").add_column("region_code", str)


@migrations()
def m015_ops_version_floor(db: Database) -> None:
    """A floor under every manifest version (set by ``signage restore``): versions a restored store
    issues go past any version a player may have accepted from the machine before it."""
    db.table("version_floor").create(
        {"id": int, "floor": int, "set_at": str, "reason": str}, pk="id", not_null={"floor"}
    )


@migrations()
def m016_ota_player_updates(db: Database) -> None:
    """Player updates over the air: signed releases, the release offered to each group, each player's update."""
    db.table("releases").create(
        {
            "version": str,
            "filename": str,
            "sha256": str,
            "size": int,
            "min_compatible": str,
            "max_compatible": str,
            "created_at": str,  # when it was built
            "added_at": str,
            "added_by": str,
            "envelope": str,  # the signed release manifest, canonical JSON (signage/release.py)
        },
        pk="version",
    )
    db.table("release_offers").create(
        {"group_id": str, "version": str, "offered_at": str, "offered_by": str},
        pk="group_id",
    )
    for column in ("update_state", "update_version", "update_detail"):  # the player's report (apimodels.UpdateReport)
        db.table("display_status").add_column(column, str)


@migrations()
def m017_intake_play_totals_and_fleet_alerts(db: Database) -> None:
    """Proof-of-play hourly totals (raw rows are folded in after the retention) and fleet alerts with their outbox."""
    db.table("play_totals").create(
        {"display_id": str, "item_id": str, "hour_utc": str, "plays": int, "played_ms": int, "skipped": int},
        pk=("display_id", "item_id", "hour_utc"),
    )
    db.table("play_totals").create_index(["hour_utc"])
    db.table("play_events").create_index(["received_at"])
    # skipped plays of the last hour (fleet alert rule): only the skipped rows are indexed
    db.execute("create index play_events_skipped_received on play_events (received_at) where result = 'skipped'")
    db.table("fleet_alerts").create(
        {
            "id": int,
            "key": str,  # kind:subject, e.g. offline:kantor-bupati; one open row per key
            "kind": str,  # offline | horizon | low_disk | clock | playback | source_stale
            "subject": str,  # display or data source id
            "detail": str,  # JSON: the facts the message is built from
            "opened_at": str,
            "last_true_at": str,
            "last_notified_at": str,
            "resolved_at": str,
        },
        pk="id",
    )
    db.table("fleet_alerts").create_index(["key", "resolved_at"])
    db.table("alert_outbox").create(
        {
            "id": int,
            "alert_id": int,
            "event": str,  # opened | reminder | resolved
            "channel": str,  # email | webhook
            "created_at": str,
            "attempts": int,
            "next_attempt_at": str,
            "sent_at": str,
            "failed_at": str,  # given up (kept for the record)
            "last_error": str,
        },
        pk="id",
    )
    db.table("alert_outbox").create_index(["sent_at", "failed_at", "next_attempt_at"])


@migrations()
def m018_emerg_pushes(db: Database) -> None:
    """Signed emergency pushes (one per emergency or cancel; ``seq`` only increases) and their receipts."""
    db.table("emergency_pushes").create(
        {
            "seq": int,
            "kind": str,  # emergency | cancel
            "announcement_id": int,
            "approved_at": str,  # the approval it carries (a new approval is a new push)
            "issued_at": str,
            "valid_until": str,
            "targets": int,  # the number of displays targeted
            "envelope": str,  # the exact signed JSON sent
        },
        pk="seq",
    )
    db.table("emergency_pushes").create_index(["announcement_id", "seq"])
    db.table("emergency_receipts").create(
        {"seq": int, "display_id": str, "outcome": str, "reason": str, "received_at": str},
        pk=("seq", "display_id"),
    )


@migrations()
def m019_darurat_i18n_reason_codes(db: Database) -> None:
    """Player reasons as codes (signage/reason_codes.py) beside their English text, so staff pages translate them."""
    for table, prefix in (("emergency_receipts", ""), ("display_status", "update_")):
        db.table(table).add_column(f"{prefix}code", str)
        db.table(table).add_column(f"{prefix}params", str)  # JSON object
    db.table("display_status").add_column("warning_codes", str)  # JSON [{code, params}], as ``warnings``


#: Tables whose rows the running server caches (keys, tokens, manifests, emergency pushes): a commit to
#: one of them by another process must reach it; the intake writer's tables (heartbeats, plays) need not.
CACHED_TABLES = ("signing_keys", "display_tokens", "manifests", "emergency_pushes", "displays")


@migrations()
def m020_store_changes_counter(db: Database) -> None:
    """A counter the triggers bump on every write to a table the server caches (scheduler/changes.py)."""
    db.execute("create table store_changes (id integer primary key check (id = 1), n integer not null)")
    db.execute("insert into store_changes (id, n) values (1, 0)")
    for table in CACHED_TABLES:
        for event in ("insert", "update", "delete"):
            db.execute(
                f"create trigger store_changes_{table}_{event} after {event} on {table} "
                "begin update store_changes set n = n + 1 where id = 1; end"
            )


@migrations()
def m021_display_manifest_schema(db: Database) -> None:
    """The manifest schema a display's player reads (reported in its heartbeat); NULL: not reported, schema 1."""
    db.table("displays").add_column("manifest_schema", int)


@migrations()
def m022_announcement_needs_voucher(db: Database) -> None:
    """1: a draft from a file dropped in the inbox (or ``signage ingest``), whose author nobody knows; it is
    approved only after a named person submitted it (scheduler.policy, "unvouched"). NULL: a person wrote it."""
    db.table("announcements").add_column("needs_voucher", int)
