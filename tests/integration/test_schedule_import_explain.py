"""Issue 9 item 10: imports say what they add/change/remove, never delete what the file leaves out, round-trip
empty groups; --explain gives the true reason; the timeline speaks the display's local time."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from scheduler.announcements import approve_announcement, create_announcement
from scheduler.cli_schedule import explain_announcement, localize_text, playlists, timeline
from scheduler.store import dumps
from signage.clock import zone
from signage.errors import ConfigError


def _run(command: Any, data_dir: Path, *args: str) -> Result:
    result = CliRunner().invoke(command, [*args, "--data-dir", str(data_dir)], catch_exceptions=True)
    return result


def _ok(command: Any, data_dir: Path, *args: str) -> str:
    result = _run(command, data_dir, *args)
    assert result.exit_code == 0 and result.exception is None, (result.output, result.exception)
    return result.output


def _users(service: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    editor = next(service.db["users"].rows_where("username = 'editor'"))
    admin = next(service.db["users"].rows_where("username = 'admin'"))
    return editor, admin


def _rules(service: Any) -> dict[str, str]:
    return {r["id"]: r["body"] for r in service.db.table("rules").rows}


def test_import_reports_its_diff_and_dry_run_changes_nothing(demo_service: Any, tmp_path: Path) -> None:
    data_dir = demo_service.data_dir
    demo_service.close()
    doc = yaml.safe_load(_ok(playlists, data_dir, "export"))
    doc["rules"] = [r for r in doc["rules"] if r["id"] != "ann-2"]
    next(r for r in doc["rules"] if r["id"] == "ann-1")["weight"] = 3
    doc["rules"].append({"id": "pagi-ktp", "item": "ann-1", "targets": {"groups": ["kabupaten"]},
                         "dayparts": [{"start": "06:00", "end": "09:00"}]})  # fmt: skip
    edited = tmp_path / "jadwal.yaml"
    edited.write_text(yaml.safe_dump(doc, sort_keys=False))
    before = _ok(playlists, data_dir, "export")
    out = _ok(playlists, data_dir, "import", str(edited), "--dry-run")
    assert "rules: 1 added, 1 changed, 1 removed" in out
    assert "  + pagi-ktp" in out and "  ~ ann-1" in out and "  - ann-2" in out and "dry run" in out
    assert _ok(playlists, data_dir, "export") == before  # nothing applied
    out = _ok(playlists, data_dir, "import", str(edited))
    assert "  - ann-2" in out and "manifest(s) changed" in out
    after = yaml.safe_load(_ok(playlists, data_dir, "export"))
    assert {r["id"] for r in after["rules"]} == {r["id"] for r in doc["rules"]}


def test_a_displays_only_import_leaves_rules_and_playlists_alone(demo_service: Any, tmp_path: Path) -> None:
    before = _rules(demo_service)
    data_dir = demo_service.data_dir
    demo_service.close()
    only = tmp_path / "layar.yaml"
    only.write_text("displays:\n  - id: kantor-bupati\n    groups: [kabupaten]\n    operating_hours:\n"
                    "      - {start: '06:00', end: '22:00'}\n")  # fmt: skip
    out = _ok(playlists, data_dir, "import", str(only))
    assert "rules: not in the file, left as they are" in out and "displays: 0 added, 1 changed" in out
    from scheduler.service import Service
    from signage.config import SchedulerConfig

    reopened = Service(SchedulerConfig(data_dir=str(data_dir)))
    try:
        assert _rules(reopened) == before
        assert json.loads(reopened.db.table("displays").get("kantor-bupati")["operating_hours"])[0]["end"] == "22:00"
    finally:
        reopened.close()


def _empty_group_announcement(service: Any) -> int:
    editor, admin = _users(service)
    with service.lock:
        service.db.table("groups").insert({"id": "kec-anjongan", "name": "Kecamatan Anjongan", "kind": "kecamatan"})
        ann_id = create_announcement(
            service.db,
            {"title": "Posyandu Anjongan", "body": "Setiap Kamis", "kind": "text", "duration_s": 10,
             "targets": {"groups": ["kec-anjongan"]}},
            editor["id"], service.clock(),
        )  # fmt: skip
        approve_announcement(service.db, ann_id, admin, service.clock())
    return ann_id


def test_export_import_round_trips_an_announcement_targeting_an_empty_group(demo_service: Any, tmp_path: Path) -> None:
    ann_id = _empty_group_announcement(demo_service)
    data_dir = demo_service.data_dir
    demo_service.close()
    exported = _ok(playlists, data_dir, "export")
    assert "kec-anjongan" in exported
    path = tmp_path / "semua.yaml"
    path.write_text(exported)
    out = _ok(playlists, data_dir, "import", str(path))
    assert "rules: 0 added, 0 changed, 0 removed" in out
    assert _ok(playlists, data_dir, "export") == exported
    explained = json.loads(_ok(timeline, data_dir, "--explain", f"ann-{ann_id}", "--json"))
    assert [w["detail"]["reason"] for w in explained["warnings"]] == ["no_display"]
    assert "kec-anjongan" in explained["warnings"][0]["message"]


def test_import_refuses_duplicate_keys_unknown_items_and_groups_the_file_removes(
    demo_service: Any, tmp_path: Path
) -> None:
    data_dir = demo_service.data_dir
    demo_service.close()
    exported = _ok(playlists, data_dir, "export")
    cases = {
        "dup.yaml": exported.replace("rules:\n", "rules:\n- id: x\n  item: ann-1\n  item: ann-2\n  targets: {}\n", 1),
        "item.yaml": exported.replace("items:\n", "items:\n- {id: ann-99, type: image, duration_s: 10}\n", 1),
        # a rule naming a group that no display has (in the file or the store) and the store does not know
        "group.yaml": exported.replace("rules:\n", "rules:\n- {id: kota, item: ann-1, targets: {groups: [kota]}}\n", 1),
    }  # fmt: skip
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    for name, needle in (("dup.yaml", "duplicate key 'item'"), ("item.yaml", "ann-99"), ("group.yaml", "kota")):
        result = _run(playlists, data_dir, "import", str(tmp_path / name))
        assert isinstance(result.exception, ConfigError), (name, result.output, result.exception)
        assert str(result.exception).startswith(f"{tmp_path / name}:") and needle in str(result.exception)
        assert result.exception.line is not None
    assert _ok(playlists, data_dir, "export") == exported  # nothing changed


def test_an_exported_video_carries_its_real_duration(demo_service: Any) -> None:
    video = next(demo_service.db.table("announcements").rows_where("kind = 'video'"))
    media = demo_service.db.table("media").get(video["media_sha256"])
    data_dir = demo_service.data_dir
    demo_service.close()
    doc = yaml.safe_load(_ok(playlists, data_dir, "export"))
    exported = next(i for i in doc["items"] if i["id"] == f"ann-{video['id']}")
    assert exported["duration_s"] == pytest.approx(media["duration_s"], abs=0.01)
    assert exported["duration_s"] != video["duration_s"]  # the demo's typed 10 s is not what plays (6 s)


def test_explain_gives_the_true_reason_for_each_scheduler_case(demo_service: Any) -> None:
    service = demo_service
    service.publisher.on_missing_variant = None  # no background conversions in this test
    editor, admin = _users(service)
    # not_approved: a draft
    draft = next(service.db.table("announcements").rows_where("status = 'draft'"))
    result = explain_announcement(service, f"ann-{draft['id']}")
    assert [w["detail"]["reason"] for w in result["warnings"]] == ["not_approved"]
    # no_display: approved, but its group has no display
    ann_id = _empty_group_announcement(service)
    result = explain_announcement(service, f"ann-{ann_id}")
    assert [w["detail"]["reason"] for w in result["warnings"]] == ["no_display"]
    # not_in_targets: the announcement reaches kantor-bupati only, its rule is aimed at desa-antibar too
    with service.lock:
        ann_id = create_announcement(
            service.db, {"title": "Rapat", "body": "x", "kind": "text", "duration_s": 10,
                         "targets": {"displays": ["kantor-bupati"]}}, editor["id"], service.clock(),
        )  # fmt: skip
        approve_announcement(service.db, ann_id, admin, service.clock())
        body = {
            "id": f"ann-{ann_id}",
            "item": f"ann-{ann_id}",
            "targets": {"displays": ["kantor-bupati", "desa-antibar"]},
        }
        service.db.table("rules").update(f"ann-{ann_id}", {"body": dumps(body)})
    result = explain_announcement(service, f"ann-{ann_id}")
    assert result["plays"]["kantor-bupati"] > 0
    assert [(w["display_id"], w["detail"]["reason"]) for w in result["warnings"]] == [
        ("desa-antibar", "not_in_targets")
    ]
    # media_not_ready: the poster's conversion for desa-antibar's 400x300 canvas is missing
    poster = next(service.db.table("announcements").rows_where("kind = 'image' and status = 'approved'"))
    with service.lock:
        service.db.execute(
            "delete from media_variants where original_sha256 = ? and canvas = '400x300'", [poster["media_sha256"]]
        )
    result = explain_announcement(service, f"ann-{poster['id']}")
    assert [(w["display_id"], w["detail"]["reason"]) for w in result["warnings"]] == [
        ("desa-antibar", "media_not_ready")
    ]
    # outside_horizon: its validity ended
    with service.lock:
        body = json.loads(service.db.table("rules").get("ann-1")["body"])
        service.db.table("rules").update("ann-1", {"body": dumps({**body, "valid_until": "2020-01-01T00:00:00"})})
    result = explain_announcement(service, "ann-1")
    assert {w["detail"]["reason"] for w in result["warnings"]} == {"outside_horizon"}
    assert set(result["plays"].values()) == {0}
    # display_not_compiled: a stored rule that fails validation stops desa-antibar's compile
    with service.lock:
        bad = {
            "id": "beku",
            "item": "ann-3",
            "targets": {"displays": ["desa-antibar"]},
            "rrule": "FREQ=DAILY;INTERVAL=0",
        }
        service.db.table("rules").insert({"id": "beku", "announcement_id": None, "body": dumps(bad), "updated_at": "x"})
    result = explain_announcement(service, "ann-3")
    assert ("desa-antibar", "display_not_compiled") in [
        (w["display_id"], w["detail"]["reason"]) for w in result["warnings"]
    ]
    assert result["plays"]["kantor-bupati"] > 0


def test_timeline_takes_local_times_and_speaks_local_time(demo_service: Any) -> None:
    service = demo_service
    local = zone("Asia/Pontianak")
    day = (service.clock().astimezone(local) + timedelta(days=2)).date()
    with service.lock:
        service.db.table("displays").update(
            "kantor-bupati", {"operating_hours": dumps([{"start": "06:00", "end": "22:00"}])}
        )
        for rule_id, item in (("darurat-a", "ann-1"), ("darurat-b", "ann-2")):  # two overlapping emergencies
            body = {"id": rule_id, "item": item, "layer": "emergency", "targets": {"displays": ["kantor-bupati"]},
                    "valid_from": f"{day}T10:00:00", "valid_until": f"{day}T10:30:00"}  # fmt: skip
            service.db.table("rules").insert({"id": rule_id, "announcement_id": None, "body": dumps(body),
                                              "updated_at": "x"})  # fmt: skip
    data_dir = service.data_dir
    service.close()
    by_local = json.loads(_ok(timeline, data_dir, "--display", "kantor-bupati", "--from", f"{day} 11:50", "--json"))
    start_utc = f"{day}T04:50:00Z"  # Asia/Pontianak is UTC+7 all year
    by_offset = json.loads(_ok(timeline, data_dir, "--display", "kantor-bupati", "--from", start_utc, "--json"))
    assert by_local["entries"] == by_offset["entries"] and by_local["entries"]
    assert by_local["entries"][0]["start"] <= start_utc < by_local["entries"][0]["end"]
    table = _ok(
        timeline, data_dir, "--display", "kantor-bupati", "--from", f"{day} 21:59:50", "--to", f"{day} 22:00:10"
    )
    off = next(line for line in table.splitlines() if " off " in line)
    assert f"{day} 22:00:00 {day + timedelta(days=1)} 06:00:00" in off  # an overnight row shows its end date
    warnings = [line for line in table.splitlines() if line.startswith("warning [emergency_overlap]")]
    assert warnings and f"{day} 10:00 WIB" in warnings[0] and "UTC" not in warnings[0]
    far = _ok(timeline, data_dir, "--display", "kantor-bupati", "--from", f"{day + timedelta(days=30)} 08:00")
    assert "note: the compiled horizon ends" in far
    bad = _run(timeline, data_dir, "--display", "kantor-bupati", "--from", "besok pagi")
    assert bad.exit_code == 2 and "--from" in bad.output


def test_localize_text_rewrites_utc_times() -> None:
    text = "Emergencies a and b overlap from 2026-12-04 15:00 UTC; first at 2026-12-04 16:59:30 UTC."
    assert localize_text(text, "Asia/Pontianak") == (
        "Emergencies a and b overlap from 2026-12-04 22:00 WIB; first at 2026-12-04 23:59:30 WIB."
    )
