from __future__ import annotations

from content.progress import FfmpegProgress, sub_progress

BLOCKS = """frame=10
fps=0.00
out_time_us=500000
out_time_ms=500000
out_time=00:00:00.500000
progress=continue
frame=20
out_time_us=1500000
progress=continue
out_time_us=N/A
progress=continue
out_time_us=2000000
progress=end
"""


def test_percent_from_ffmpeg_progress_blocks() -> None:
    parser = FfmpegProgress(duration_s=2.0)
    reported = [p for line in BLOCKS.splitlines() if (p := parser.feed(line)) is not None]
    assert reported == [25.0, 75.0, 75.0, 100.0]


def test_unknown_duration_only_reports_the_end() -> None:
    parser = FfmpegProgress(duration_s=None)
    reported = [p for line in BLOCKS.splitlines() if (p := parser.feed(line)) is not None]
    assert reported == [0.0, 0.0, 0.0, 100.0]


def test_out_time_clock_is_understood_and_capped_below_100_until_end() -> None:
    parser = FfmpegProgress(duration_s=10.0)
    parser.feed("out_time=00:00:12.000000")
    assert parser.feed("progress=continue") == 99.9


def test_sub_progress_maps_into_a_span() -> None:
    seen: list[float] = []
    part = sub_progress(seen.append, 50.0, 25.0)
    part(0.0)
    part(100.0)
    part(400.0)
    assert seen == [50.0, 75.0, 75.0]
