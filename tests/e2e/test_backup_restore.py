"""Backup while the scheduler writes, restore onto a new data folder, the same player carries on.

A real scheduler (`signage scheduler serve`) and a real player (`signage player
run`, offscreen) enrolled with it; `signage backup` runs while a thread creates
announcements through the API. After the backup the old server publishes once
more (a version the backup cannot know). The restored server, on the same
address, must publish a version above it: the player accepts it without
re-enrolment and plays what the restored server approves next.
"""

from __future__ import annotations

import sqlite3
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from procs import (
    DISPLAY_ID,
    env,
    make_store,
    read_status,
    signage,
    start_player,
    start_scheduler,
    stop,
    wait_for,
)
from tests_support import free_port, post_approve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TIMEOUT_S = 10


def announce(base: str, editor: tuple[str, str], admin: tuple[str, str] | None, title: str) -> int:
    response = requests.post(
        f"{base}/api/v1/admin/announcements",
        auth=editor,
        timeout=TIMEOUT_S,
        json={"title": title, "body": "Uji cadangan.", "duration_s": 8, "targets": {"displays": [DISPLAY_ID]}},
    )
    assert response.status_code == 201, response.text
    ann_id = int(response.json()["announcement"]["id"])
    if admin is not None:
        approved = post_approve(f"{base}/api/v1/admin/announcements/{ann_id}/approve", auth=admin, timeout=TIMEOUT_S)
        assert approved.status_code == 200, approved.text
    return ann_id


def playing(player_dir: Path, ann_id: int) -> bool:
    return (read_status(player_dir).get("current") or {}).get("item_id") == f"ann-{ann_id}"


class Writer(threading.Thread):
    """Creates draft announcements through the API until stopped; every answer recorded."""

    def __init__(self, base: str, editor: tuple[str, str]) -> None:
        super().__init__(daemon=True)
        self.base, self.editor = base, editor
        self.stopping = threading.Event()
        self.created: list[int] = []
        self.failures: list[str] = []

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            try:
                self.created.append(announce(self.base, self.editor, None, f"Tulisan {n}"))
            except (AssertionError, requests.RequestException) as exc:
                self.failures.append(str(exc))


def count_announcements(store: Path) -> int:
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return int(connection.execute("select count(*) from announcements").fetchone()[0])
    finally:
        connection.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes the test starts; all stopped at the end, whatever happened."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in reversed(started):
        stop(proc)


def test_backup_during_writes_restore_and_the_enrolled_player_accepts_the_next_manifest(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    old_dir, new_dir, player_dir = tmp_path / "old", tmp_path / "new", tmp_path / "player"
    passwords = make_store(old_dir)
    editor, admin = ("editor", passwords["editor"]), ("admin", passwords["admin"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    archive = tmp_path / "cadangan.tar.gz"
    player = None
    scheduler = start_scheduler(old_dir, port, tmp_path / "old.log")
    processes.append(scheduler)
    try:
        first = announce(base, editor, admin, "Sebelum cadangan")
        player = start_player(base, player_dir, tmp_path / "player.log")
        processes.append(player)
        code = wait_for(lambda: read_status(player_dir).get("enrol_code"), 60, "the enrolment code", player)
        subprocess.run([*signage("displays", "approve", code, "--as", DISPLAY_ID, "--data-dir", str(old_dir))],
                       check=True, env=env(), timeout=60, capture_output=True)
        wait_for(lambda: playing(player_dir, first), 60, "the first announcement on screen", player)

        writer = Writer(base, editor)
        writer.start()
        try:
            wait_for(lambda: len(writer.created) >= 3, 30, "writes before the backup")
            before = len(writer.created) + 1
            result = subprocess.run([*signage("backup", "-o", str(archive), "--data-dir", str(old_dir))],
                                    env=env(), timeout=120, capture_output=True, text=True)
            after = len(writer.created) + 1
            wait_for(lambda: len(writer.created) >= after + 3, 30, "writes after the backup")
        finally:
            writer.stopping.set()
            writer.join(TIMEOUT_S * 2)
        assert result.returncode == 0, result.stderr
        assert "private signing keys" in result.stderr
        assert writer.failures == []
        assert archive.stat().st_mode & 0o777 == 0o600

        # A publish after the backup: the player accepts a version the backup never saw.
        late = announce(base, editor, admin, "Sesudah cadangan")
        wait_for(lambda: playing(player_dir, late), 60, "the post-backup announcement on screen", player)
        accepted_version = int(read_status(player_dir)["manifest_version"])
    finally:
        stop(scheduler)

    restored = subprocess.run([*signage("restore", str(archive), "--data-dir", str(new_dir))],
                              env=env(), timeout=120, capture_output=True, text=True)
    assert restored.returncode == 0, restored.stderr
    # a consistent snapshot taken during the writes: everything committed before it, nothing after
    assert before <= count_announcements(new_dir / "signage.db") <= after + 1
    with tarfile.open(archive) as tar:
        assert {m.name for m in tar if m.name.startswith("keys/")}, "the key ring is in the archive"

    scheduler = start_scheduler(new_dir, port, tmp_path / "new.log")
    processes.append(scheduler)
    try:
        assert player is not None
        wait_for(lambda: (read_status(player_dir).get("manifest_version") or 0) > accepted_version, 60,
                 "the player to accept the restored server's manifest", player)
        status: dict[str, Any] = read_status(player_dir)
        assert status["display_id"] == DISPLAY_ID and status["state"] != "enrolling", status
        wait_for(lambda: playing(player_dir, first), 60, "the restored schedule on screen", player)
        fresh = announce(base, editor, admin, "Sesudah pemulihan")
        wait_for(lambda: playing(player_dir, fresh), 60, "a new announcement from the restored server", player)
        assert "lower than" not in (read_status(player_dir).get("last_error") or "")
    finally:
        stop(scheduler)
