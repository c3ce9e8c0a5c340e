from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import content.probe
from content.errors import IngestRefused
from content.probe import (
    intervals_are_irregular,
    last_packet_end_s,
    mp4_is_faststart,
    probe,
    readable_frames,
    rotation_of,
)

from .conftest import ffmpeg, make_clip


def test_rotation_from_display_matrix_and_tags() -> None:
    assert rotation_of({"side_data_list": [{"side_data_type": "Display Matrix",
                                            "rotation": -90}]}) == 90  # fmt: skip
    assert rotation_of({"side_data_list": [{"rotation": 90}]}) == 270
    assert rotation_of({"tags": {"rotate": "180"}}) == 180
    assert rotation_of({}) == 0


def test_irregular_intervals_mean_variable_frame_rate() -> None:
    assert not intervals_are_irregular([i / 25 for i in range(50)])
    assert not intervals_are_irregular([0.0, 0.04, 0.08, 0.08])  # duplicates ignored
    assert intervals_are_irregular([0.0, 0.04, 0.08, 0.30, 0.34])


def test_probe_reads_codec_size_fps_duration_audio(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", size="320x240", rate=25, duration_s=1, audio=True)
    info = probe(clip)
    assert info.is_mp4 and info.has_audio and info.audio_codec == "aac"
    assert info.video is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 320, 240)
    assert info.video.fps == pytest.approx(25)
    assert not info.video.is_vfr
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


def test_probe_sees_rotation_metadata(tmp_path: Path) -> None:
    land = make_clip(tmp_path / "land.mp4", size="320x180")
    rotated = tmp_path / "rot.mp4"
    ffmpeg("-i", str(land), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    video = probe(rotated).video
    assert video is not None and video.rotation_deg in (90, 270)
    assert (video.display_width, video.display_height) == (180, 320)


def test_faststart_detection(tmp_path: Path) -> None:
    slow = make_clip(tmp_path / "slow.mp4")
    fast = make_clip(tmp_path / "fast.mp4", out_args=("-movflags", "+faststart"))
    assert not mp4_is_faststart(slow)
    assert mp4_is_faststart(fast)


def test_unreadable_file_is_refused_not_crashed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\0\0\0\x20ftypisom" + b"\x00" * 100)
    with pytest.raises(IngestRefused, match="could not be read"):
        probe(bad)


def test_a_probe_that_does_not_end_is_stopped_and_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ffprobe waits for ever on a pipe nobody writes to: the stand-in for a file that never ends (a
    # stalled share, a demuxer loop). Before, ffprobe ran without a time limit and held the job (and
    # the queue behind it) for ever.
    stuck = tmp_path / "macet.mp4"
    os.mkfifo(stuck)
    monkeypatch.setattr(content.probe, "PROBE_TIMEOUT_S", 1.0)
    started = time.monotonic()
    with pytest.raises(IngestRefused, match=r"could not be read as video \(ffprobe took longer than 1 s"):
        probe(stuck)
    assert time.monotonic() - started < 60
    assert readable_frames(stuck) is None and last_packet_end_s(stuck) is None
