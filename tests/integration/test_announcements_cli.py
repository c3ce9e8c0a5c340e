"""`signage announcements`: the workflow from the shell goes through the same policy as the web and the API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from scheduler.announcements import create_announcement


def _signage(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signage", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_cli_workflow_obeys_the_two_person_rule_and_audits(demo_service: Any) -> None:
    editor = next(demo_service.db["users"].rows_where("username = 'editor'"))
    with demo_service.lock:
        ann_id = create_announcement(
            demo_service.db,
            {"title": "Vaksinasi Gratis", "targets": {"displays": ["kantor-bupati"]}},
            editor["id"],
            demo_service.clock(),
        )
    data_dir = demo_service.data_dir
    demo_service.close()
    ann = str(ann_id)
    assert _signage(data_dir, "announcements", "submit", ann, "--as", "editor").returncode == 0
    own = _signage(data_dir, "announcements", "approve", ann, "--as", "editor")
    assert own.returncode == 2 and "editor" in own.stderr  # an editor's role cannot approve
    nobody = _signage(data_dir, "announcements", "approve", ann, "--as", "nobody")
    assert nobody.returncode == 2 and "--as" in nobody.stderr
    approved = _signage(data_dir, "announcements", "approve", ann, "--as", "admin")
    assert approved.returncode == 0 and "approved" in approved.stdout, approved.stderr
    no_reason = _signage(data_dir, "announcements", "withdraw", ann, "--as", "editor")
    assert no_reason.returncode != 0 and "--reason" in no_reason.stderr
    withdrawn = _signage(data_dir, "announcements", "withdraw", ann, "--as", "editor", "--reason", "jadwal berubah")
    assert withdrawn.returncode == 0 and "withdrawn" in withdrawn.stdout, withdrawn.stderr
    listing = _signage(data_dir, "announcements", "list")
    line = next(row for row in listing.stdout.splitlines() if "Vaksinasi Gratis" in row)
    assert "withdrawn" in line and "jadwal berubah" in line
