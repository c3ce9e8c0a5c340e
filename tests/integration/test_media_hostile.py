"""Hostile uploads over real HTTP that the older media tests did not reach: the same broken file sent
several times at once, and the web admin's upload answer while a long conversion runs."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.slow
TIMEOUT_S = 120


def _editor(live: Any) -> tuple[str, str]:
    return ("editor", live.service.demo_accounts.editor_password)


def _clip(out: Path, *lavfi: str) -> Path:
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", *lavfi, *codec, str(out)],
                   check=True)  # fmt: skip
    return out


def _store_names(live: Any) -> set[str]:
    root = live.service.media.root
    return {p.name for p in root.iterdir() if p.name != ".meta"} | {p.name for p in (root / ".meta").glob("*")}


def test_same_broken_video_uploaded_three_times_at_once_is_refused_three_times(
    live_scheduler: Any, tmp_path: Path
) -> None:
    # Before: the first failed job removed the original while the other two were queued, which then
    # failed on the missing file: 500 Internal Server Error, and the admin showed a server path.
    clip = _clip(tmp_path / "clip.mp4", "testsrc2=s=320x240:r=30:d=3")  # moov at the end
    data = clip.read_bytes()[: clip.stat().st_size // 2]
    before = _store_names(live_scheduler)
    answers: list[requests.Response | None] = [None] * 3
    start = threading.Barrier(3)

    def send(index: int) -> None:
        start.wait()
        answers[index] = requests.post(
            f"{live_scheduler.url}/api/v1/admin/media?wait=true",
            files={"file": (f"rusak-{index}.mp4", data, "video/mp4")},
            auth=_editor(live_scheduler),
            timeout=TIMEOUT_S,
        )

    senders = [threading.Thread(target=send, args=(i,)) for i in range(3)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    for answer in answers:
        assert answer is not None and answer.status_code == 400, answer and answer.text
        body = answer.json()
        assert body["field"] == "file" and "damaged or incomplete" in body["error"], body
    service = live_scheduler.service
    with service.lock:
        errors = [row["error"] for row in service.db.table("ingest_jobs").rows_where("state = 'failed'")]
        assert not service.db.table("ingest_jobs").count_where("state in ('queued', 'running')")
    assert len(errors) == 3 and all("damaged or incomplete" in e and "No such file" not in e for e in errors)
    assert _store_names(live_scheduler) == before  # nothing of it is kept
