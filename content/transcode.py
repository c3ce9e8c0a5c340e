"""Carry out a :class:`~content.video.VideoPlan` and check what came out."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from content.canvas import FitMode, Rgb
from content.errors import MediaToolError
from content.ffrun import BASE_FLAGS, FFMPEG, run_ffmpeg
from content.probe import MediaInfo, ffmpeg_path_arg, mp4_is_faststart, probe
from content.progress import ProgressCallback, no_progress
from content.video import VideoAction, VideoOptions, VideoPlan, build_ffmpeg_args, plan_video
from signage.canvas import Canvas


@dataclass(frozen=True)
class NormalisedVideo:
    path: Path  # the file to store (the original itself when nothing had to change)
    plan: VideoPlan
    info: MediaInfo  # probe of ``path``


def normalise_video(
    source: Path,
    info: MediaInfo,
    canvas: Canvas,
    fit: FitMode,
    background: Rgb,
    *,
    keep_audio: bool,
    options: VideoOptions,
    workdir: Path,
    progress: ProgressCallback = no_progress,
) -> NormalisedVideo:
    faststart = info.is_mp4 and mp4_is_faststart(source)
    plan = plan_video(info, canvas, fit, keep_audio=keep_audio, faststart=faststart, options=options)
    if plan.action is VideoAction.COPY:
        progress(100.0)
        return NormalisedVideo(source, plan, info)
    output = workdir / f"{canvas.key}.mp4"
    args = build_ffmpeg_args(source, output, info, plan, background, options)
    limit_s = options.timeout_s
    if limit_s is not None and info.duration_s:
        limit_s += options.timeout_s_per_video_s * info.duration_s
    run_ffmpeg(args, duration_s=info.duration_s, progress=progress, timeout_s=limit_s)
    result = probe(output, check_intervals=False)  # CFR by construction; size/codec checked
    _check_output(result, plan)
    progress(100.0)
    return NormalisedVideo(output, plan, result)


def _check_output(result: MediaInfo, plan: VideoPlan) -> None:
    """Never store something that breaks the output contract."""
    video = result.video
    want = plan.canvas
    problems = []
    if video is None:
        problems.append("no video stream")
    else:
        if (video.width, video.height) != (want.width, want.height):
            problems.append(f"size {video.width}x{video.height}, expected {want}")
        if video.codec != "h264" or video.pix_fmt != "yuv420p":
            problems.append(f"{video.codec}/{video.pix_fmt}, expected h264/yuv420p")
        if video.rotation_deg:
            problems.append(f"rotation {video.rotation_deg}° left in the file")
    if problems:
        raise MediaToolError("normalised video is wrong: " + "; ".join(problems))


def extract_frame_png(video: Path, at_s: float, *, timeout_s: float = 120.0) -> bytes:
    """One decoded frame at ``at_s`` seconds, as PNG bytes (falls back to the first frame)."""
    for seek in (at_s, 0.0):
        argv = [
            FFMPEG, *BASE_FLAGS, "-ss", f"{max(0.0, seek):.3f}", "-i", ffmpeg_path_arg(video),
            "-map", "0:v:0", "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "pipe:1",
        ]  # fmt: skip
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise MediaToolError(f"ffmpeg took longer than {timeout_s:.0f} s for a frame and was stopped") from None
        if done.returncode == 0 and done.stdout:
            return done.stdout
    message = done.stderr.decode("utf-8", "replace").strip()[-500:]
    raise MediaToolError(f"could not extract a frame from {video.name}: {message}")
