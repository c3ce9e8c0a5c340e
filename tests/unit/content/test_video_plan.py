from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from content.canvas import FitMode, Rgb
from content.probe import MediaInfo, VideoStream
from content.video import VideoAction, VideoOptions, VideoPlan, build_ffmpeg_args, plan_video, target_fps
from signage.canvas import Canvas

OPTIONS = VideoOptions()


def stream(**changes: object) -> VideoStream:
    base: dict[str, object] = dict(
        codec="h264", profile="High", pix_fmt="yuv420p", width=768, height=432,
        sample_aspect=Fraction(1), rotation_deg=0, fps=25.0, nominal_fps=25.0, is_vfr=False,
        bitrate_kbps=800, frame_count=250,
    )  # fmt: skip
    base.update(changes)
    return VideoStream(**base)  # type: ignore[arg-type]


def info(video: VideoStream, *, audio: bool = False, container: str = "mov,mp4") -> MediaInfo:
    return MediaInfo(container, 10.0, 900, video, audio, "aac" if audio else None)


def plan(media: MediaInfo, *, faststart: bool = True, keep_audio: bool = False) -> VideoPlan:
    return plan_video(
        media, Canvas(768, 432), FitMode.CONTAIN, keep_audio=keep_audio, faststart=faststart,
        options=OPTIONS,
    )  # fmt: skip


def test_a_file_that_already_fits_is_used_as_is() -> None:
    assert plan(info(stream())).action is VideoAction.COPY


def test_wrapper_only_problems_are_remuxed() -> None:
    assert plan(info(stream()), faststart=False).action is VideoAction.REMUX
    assert plan(info(stream(), audio=True)).action is VideoAction.REMUX
    assert plan(info(stream(), container="matroska,webm")).action is VideoAction.REMUX
    assert plan(info(stream(), audio=True), keep_audio=True).action is VideoAction.COPY


def test_anything_else_is_transcoded_with_a_reason() -> None:
    cases = {
        "HEVC": stream(codec="hevc"),
        "yuv420p10le": stream(pix_fmt="yuv420p10le"),
        "upright": stream(rotation_deg=90),
        "1920x1080": stream(width=1920, height=1080),
        "variable frame rate": stream(is_vfr=True),
        "60 fps -> 30 fps": stream(fps=60.0, nominal_fps=60.0),
        "bitrate": stream(bitrate_kbps=20000),
    }
    for reason, video in cases.items():
        result = plan(info(video, audio=True))
        assert result.action is VideoAction.TRANSCODE, reason
        assert any(reason in r for r in result.reasons), (reason, result.reasons)
        assert "audio removed" in result.reasons


def test_frame_rates_are_standard_and_capped() -> None:
    assert target_fps(stream(fps=29.97), 30) == 30
    assert target_fps(stream(fps=59.94), 30) == 30
    assert target_fps(stream(fps=23.976), 30) == 24
    assert target_fps(stream(fps=12.5), 30) == 12
    assert target_fps(stream(fps=None, nominal_fps=None), 30) == 30


def test_bitrate_cap_grows_with_canvas() -> None:
    small = OPTIONS.bitrate_cap_kbps(Canvas(400, 300), 30)
    large = OPTIONS.bitrate_cap_kbps(Canvas(1920, 1080), 30)
    assert OPTIONS.min_bitrate_kbps <= small < large <= OPTIONS.max_bitrate_kbps


def test_command_is_safe_and_complete(tmp_path: Path) -> None:
    source = tmp_path / "-i evil:name.mp4"
    media = info(stream(codec="hevc", width=1920, height=1080), audio=True)
    args = build_ffmpeg_args(source, tmp_path / "o.mp4", media, plan(media), Rgb(0, 0, 0), OPTIONS)
    assert args[args.index("-i") + 1].startswith("file:/")
    for flag in ("-an", "+faststart", "libx264", "yuv420p", "-maxrate"):
        assert flag in args
    assert "scale=768:432" in args[args.index("-vf") + 1]
