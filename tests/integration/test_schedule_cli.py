"""Schedules in the store: announcement schedules, `signage timeline`, YAML export/import round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests_support import latest_manifest

from scheduler.actions import approve_and_publish
from scheduler.announcements import create_announcement


def _signage(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signage", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _users(service: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    editor = next(service.db["users"].rows_where("username = 'editor'"))
    admin = next(service.db["users"].rows_where("username = 'admin'"))
    return editor, admin


def test_interrupt_schedule_reaches_the_manifest_and_the_timeline_cli(demo_service: Any) -> None:
    editor, admin = _users(demo_service)
    with demo_service.lock:
        ann_id = create_announcement(
            demo_service.db,
            {"title": "Waktu Sholat Jumat", "layer": "interrupt", "duration_s": 20,
             "targets": {"displays": ["kantor-bupati"]},
             "schedule": {"share": {"seconds_per_hour": 120}, "days": ["fri"]}},
            editor["id"], demo_service.clock(),
        )  # fmt: skip
    approve_and_publish(demo_service, ann_id, admin)
    manifest = latest_manifest(demo_service, "kantor-bupati")
    interrupts = [s for s in manifest["timeline"] if s["layer"] == "interrupt"]
    assert interrupts and all(s["loop"] == [f"ann-{ann_id}"] for s in interrupts)
    assert manifest["items"][f"ann-{ann_id}"]["duration_s"] == 20
    data_dir = demo_service.data_dir
    demo_service.close()
    first_friday = min(s["start"] for s in interrupts)
    out = _signage(data_dir, "timeline", "--display", "kantor-bupati", "--from", first_friday,
                   "--to", first_friday.replace("Z", "+00:00"), "--json")  # fmt: skip
    assert out.returncode == 2 and "--to" in out.stderr  # an empty range is refused, naming the option
    hour_later = first_friday[:11] + f"{int(first_friday[11:13]) + 1:02d}" + first_friday[13:]
    out = _signage(
        data_dir, "timeline", "--display", "kantor-bupati", "--from", first_friday, "--to", hour_later, "--json"
    )
    assert out.returncode == 0, out.stderr
    # the demo's running text and clock play in their own zones; the interrupt is in the main zone
    entries = [e for e in json.loads(out.stdout)["entries"] if e["zone"] == "main"]
    assert entries[0]["start"] == first_friday and entries[0]["item"] == f"ann-{ann_id}"
    assert sum(e["end"] > e["start"] for e in entries if e["item"] == f"ann-{ann_id}") >= 5  # 120 s/h in 20 s spots
    table = _signage(data_dir, "timeline", "--display", "kantor-bupati", "--from", first_friday, "--to", hour_later)
    assert "Waktu Sholat Jumat" in table.stdout and "WIB" in table.stdout
    explain = _signage(data_dir, "timeline", "--explain", f"ann-{ann_id}")
    assert "kantor-bupati" in explain.stdout and "plays" in explain.stdout


def test_bad_schedules_are_refused_naming_the_field(demo_service: Any) -> None:
    from signage.errors import UserError

    editor, _ = _users(demo_service)
    cases = [
        ({"layer": "interrupt", "schedule": {"share": {"percent": 0}}}, "schedule.share"),
        ({"layer": "interrupt", "schedule": {"share": {"percent": 150}}}, "schedule.share"),
        ({"layer": "interrupt"}, "schedule.share"),
        ({"schedule": {"rrule": "FREQ=SOMETIMES"}}, "schedule.rrule"),
        ({"schedule": {"rrule": "FREQ=DAILY;INTERVAL=0"}}, "schedule.rrule"),  # used to hang approval forever
        ({"schedule": {"rrule": "FREQ=DAILY;BYMONTHDAY=31;BYMONTH=2"}}, "schedule.rrule"),  # can never occur
        ({"schedule": {"preset": "weekends", "days": ["mon"]}}, "schedule.preset"),
        ({"schedule": {"dayparts": [{"start": "22:00", "end": "26:00"}]}}, "schedule.dayparts[0].end"),
        ({"schedule": {"colour": "red"}}, "schedule.colour"),
        ({"layer": "overlay"}, "schedule.zone"),
        ({"layer": "overlay", "schedule": {"zone": "main"}}, "schedule.zone"),
    ]
    before = demo_service.db["announcements"].count
    for extra, field in cases:
        body = {"title": "x", "targets": {"groups": ["kabupaten"]}, **extra}
        with pytest.raises(UserError) as info:
            create_announcement(demo_service.db, body, editor["id"], demo_service.clock())
        assert info.value.field is not None and info.value.field.startswith(field), (extra, info.value.field)
    assert demo_service.db["announcements"].count == before


def test_playlists_export_import_round_trip_and_bad_yaml(demo_service: Any, tmp_path: Path) -> None:
    data_dir = demo_service.data_dir
    demo_service.close()
    exported = _signage(data_dir, "playlists", "export")
    assert exported.returncode == 0, exported.stderr
    doc = yaml.safe_load(exported.stdout)
    assert {r["id"] for r in doc["rules"]} >= {"ann-1", "ann-2", "ann-3"}
    doc["displays"][0]["operating_hours"] = [{"start": "06:00", "end": "22:00"}]
    doc["rules"].append({"id": "pagi-ktp", "item": "ann-1", "targets": {"groups": ["kabupaten"]},
                         "dayparts": [{"start": "06:00", "end": "09:00"}], "weight": 2})  # fmt: skip
    edited = tmp_path / "jadwal.yaml"
    edited.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    imported = _signage(data_dir, "playlists", "import", str(edited))
    assert imported.returncode == 0, imported.stderr
    again = _signage(data_dir, "playlists", "export")
    second = _signage(data_dir, "playlists", "import", str(_write(tmp_path / "again.yaml", again.stdout)))
    assert second.returncode == 0 and "0 manifest(s) changed" in second.stdout
    assert _signage(data_dir, "playlists", "export").stdout == again.stdout  # exact round trip
    assert "pagi-ktp" in again.stdout and "06:00" in again.stdout

    bad = tmp_path / "rusak.yaml"
    bad.write_text(again.stdout.replace("end: '09:00'", "end: '26:00'").replace("end: 09:00", "end: '26:00'"))
    refused = _signage(data_dir, "playlists", "import", str(bad))
    assert refused.returncode != 0 and "rusak.yaml:" in refused.stderr and "26:00" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _signage(data_dir, "playlists", "export").stdout == again.stdout  # nothing changed


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
