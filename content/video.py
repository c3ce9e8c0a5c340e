"""Video normalisation: plan (pure) and run ffmpeg to get H.264 at exactly the canvas size.

Output contract, every player can rely on it: MP4 with ``moov`` first (faststart),
H.264 High profile, yuv420p, constant frame rate <= ``max_fps``, square pixels, no
rotation metadata, no metadata from the phone (GPS etc.), bitrate capped for the
canvas size, no audio unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from content.canvas import FitMode, Rgb
from content.geometry import Placement, plan_fit
from content.probe import MediaInfo, VideoStream, ffmpeg_path_arg
from signage.canvas import Canvas

ALPHA_PIX_FMTS = frozenset(
    {
        "rgba",
        "bgra",
        "argb",
        "abgr",
        "ya8",
        "ya16le",
        "ya16be",
        "pal8",
        "rgba64le",
        "rgba64be",
        "bgra64le",
        "bgra64be",
    }
)
STANDARD_FPS = (24, 25, 30, 50, 60)


@dataclass(frozen=True)
class VideoOptions:
    """Encoder settings; the defaults suit small x86/ARM player PCs driving LED canvases."""

    max_fps: int = 30
    preset: str = "fast"
    crf: int = 21
    bits_per_pixel: float = 0.1  # bitrate cap = width * height * fps * bits_per_pixel
    min_bitrate_kbps: int = 500
    max_bitrate_kbps: int = 8000
    audio_bitrate_kbps: int = 128
    keyframe_interval_s: float = 2.0
    timeout_s: float | None = 3600.0  # per canvas, plus timeout_s_per_video_s for each second of the video
    timeout_s_per_video_s: float = 3.0  # a 2-hour 1080p source on 2 cores must not be stopped half way
    max_source_side_px: int = 16384

    def bitrate_cap_kbps(self, canvas: Canvas, fps: int) -> int:
        raw = canvas.pixels * fps * self.bits_per_pixel / 1000
        return int(min(self.max_bitrate_kbps, max(self.min_bitrate_kbps, round(raw))))


class VideoAction(StrEnum):
    COPY = "copy"  # the original already fits: use its bytes as they are
    REMUX = "remux"  # same video bitstream, new MP4 wrapper (faststart / no audio)
    TRANSCODE = "transcode"


@dataclass(frozen=True)
class VideoPlan:
    canvas: Canvas
    action: VideoAction
    fps: int
    bitrate_cap_kbps: int
    placement: Placement
    keep_audio: bool
    reasons: tuple[str, ...] = field(default=())
    deinterlace: bool = False  # bwdif first: an interlaced source's moving edges would show combing on the LED

    def describe(self) -> str:
        if self.action is VideoAction.COPY:
            return f"{self.canvas}: already fits, used as is"
        verb = "re-wrapped (no re-encode)" if self.action is VideoAction.REMUX else "converted"
        return f"{self.canvas}: {verb}: " + "; ".join(self.reasons)


def target_fps(stream: VideoStream, max_fps: int) -> int:
    """A whole, standard frame rate not above ``max_fps`` (29.97 -> 30, 60 -> 30, 12.5 -> 12)."""
    source = stream.fps or stream.nominal_fps or max_fps
    if stream.is_vfr and stream.nominal_fps:
        # Phones drop frames in the dark; keep motion smooth at the base rate, not the average.
        source = max(source, stream.nominal_fps)
    if source >= max_fps - 0.5:
        return max_fps
    for rate in STANDARD_FPS:
        if abs(source - rate) / rate < 0.02:
            return rate
    return max(1, round(source))


def plan_video(
    info: MediaInfo,
    canvas: Canvas,
    fit: FitMode,
    *,
    keep_audio: bool,
    faststart: bool,
    options: VideoOptions,
) -> VideoPlan:
    """Decide, without running anything, how to make ``info`` fit ``canvas``."""
    video = info.video
    if video is None:
        raise ValueError("plan_video needs a video stream")
    fps = target_fps(video, options.max_fps)
    cap = options.bitrate_cap_kbps(canvas, fps)
    placement = plan_fit(video.display_width, video.display_height, canvas, fit, even=True)
    keep = keep_audio and info.has_audio

    reasons: list[str] = []
    if video.codec != "h264":
        reasons.append(f"{video.codec.upper()} -> H.264")
    if video.pix_fmt != "yuv420p":
        reasons.append(f"pixel format {video.pix_fmt} -> yuv420p")
    if video.rotation_deg:
        reasons.append(f"turned upright ({video.rotation_deg}° rotation)")
    if video.interlaced:
        reasons.append("interlaced -> deinterlaced")
    if (video.width, video.height) != (canvas.width, canvas.height) or video.sample_aspect != 1:
        reasons.append(f"{video.display_width}x{video.display_height} -> {canvas} ({fit.value})")
    if video.is_vfr:
        reasons.append(f"variable frame rate -> constant {fps} fps")
    elif video.fps is None or abs(video.fps - fps) > 0.01:
        shown = f"{video.fps:.3g}" if video.fps else "unknown"
        reasons.append(f"{shown} fps -> {fps} fps")
    bitrate = video.bitrate_kbps or info.bitrate_kbps
    if bitrate is not None and bitrate > cap * 1.25:
        reasons.append(f"bitrate {bitrate} kbps -> at most {cap} kbps")
    if keep and info.audio_codec != "aac":
        reasons.append(f"audio {info.audio_codec} -> AAC")
    if reasons:
        if info.has_audio and not keep:
            reasons.append("audio removed")
        return VideoPlan(canvas, VideoAction.TRANSCODE, fps, cap, placement, keep, tuple(reasons),
                         deinterlace=video.interlaced)  # fmt: skip

    wrapper: list[str] = []
    if not info.is_mp4:
        wrapper.append(f"{info.container.split(',')[0]} -> MP4")
    elif not faststart:
        wrapper.append("MP4 index moved to the front (faststart)")
    if info.has_audio and not keep:
        wrapper.append("audio removed")
    action = VideoAction.REMUX if wrapper else VideoAction.COPY
    return VideoPlan(canvas, action, fps, cap, placement, keep, tuple(wrapper))


def _filter_graph(plan: VideoPlan, background: Rgb, has_alpha: bool) -> tuple[str, str]:
    """``(option, graph)``: ``-vf`` for opaque sources, ``-filter_complex`` to flatten alpha."""
    p = plan.placement
    colour = "0x" + background.hex[1:]
    steps = [f"fps={plan.fps}", f"scale={p.scaled_width}:{p.scaled_height}", "setsar=1"]
    if plan.deinterlace:
        steps.insert(0, "bwdif=mode=send_frame")
    if p.needs_crop:
        steps.append(f"crop={p.crop_width}:{p.crop_height}:{p.crop_x}:{p.crop_y}")
    if has_alpha:
        fg = ",".join([*steps, "format=rgba"])
        graph = (
            f"[0:v:0]{fg}[fg];"
            f"color=c={colour}:s={p.canvas_width}x{p.canvas_height}:r={plan.fps}[bg];"
            f"[bg][fg]overlay=x={p.offset_x}:y={p.offset_y}:shortest=1,format=yuv420p[v]"
        )
        return "-filter_complex", graph
    if p.needs_pad:
        steps.append(f"pad={p.canvas_width}:{p.canvas_height}:{p.offset_x}:{p.offset_y}:color={colour}")
    steps.append("format=yuv420p")
    return "-vf", ",".join(steps)


def build_ffmpeg_args(
    source: Path,
    output: Path,
    info: MediaInfo,
    plan: VideoPlan,
    background: Rgb,
    options: VideoOptions,
) -> list[str]:
    """ffmpeg arguments (after the global flags) that carry out ``plan``."""
    src, dst = ffmpeg_path_arg(source), ffmpeg_path_arg(output)
    common_tail = [
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-sn",
        "-dn",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        dst,
    ]
    audio = ["-map", "0:a:0", "-c:a"] if plan.keep_audio else []
    if plan.action is not VideoAction.TRANSCODE:
        audio_args = [*audio, "copy"] if plan.keep_audio else ["-an"]
        return ["-i", src, "-map", "0:v:0", "-c:v", "copy", *audio_args, *common_tail]

    has_alpha = info.video is not None and (info.video.pix_fmt or "") in ALPHA_PIX_FMTS
    filter_option, graph = _filter_graph(plan, background, has_alpha)
    video_map = ["-map", "[v]"] if has_alpha else ["-map", "0:v:0"]
    gop = max(1, round(plan.fps * options.keyframe_interval_s))
    cap = plan.bitrate_cap_kbps
    audio_args = (
        [*audio, "aac", "-b:a", f"{options.audio_bitrate_kbps}k", "-ac", "2", "-ar", "48000"]
        if plan.keep_audio
        else ["-an"]
    )
    return [
        "-i", src,
        filter_option, graph,
        *video_map,
        "-c:v", "libx264", "-preset", options.preset, "-profile:v", "high",
        "-crf", str(options.crf), "-maxrate", f"{cap}k", "-bufsize", f"{2 * cap}k",
        "-pix_fmt", "yuv420p", "-r", str(plan.fps), "-fps_mode", "cfr",
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
        *audio_args,
        *common_tail,
    ]  # fmt: skip
