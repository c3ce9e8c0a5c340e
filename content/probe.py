"""Read what a media file holds, from ffprobe's JSON (run with a time limit), never its text output."""

from __future__ import annotations

import itertools
import json
import math
import struct
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from content.errors import IngestRefused

FFPROBE = "ffprobe"
# ffprobe only reads headers and demuxes (never decodes a whole file): far less than this on any real file.
PROBE_TIMEOUT_S = 120.0
# A stream is variable frame rate when frame intervals differ by more than this factor.
VFR_INTERVAL_SPREAD = 1.5
VFR_SAMPLE_PACKETS = 240


@dataclass(frozen=True)
class VideoStream:
    codec: str
    profile: str | None
    pix_fmt: str | None
    width: int
    height: int
    sample_aspect: Fraction
    rotation_deg: int  # clockwise degrees the picture must be turned to be upright
    fps: float | None  # average frame rate
    nominal_fps: float | None  # r_frame_rate: ffprobe's guess of the base rate
    is_vfr: bool
    bitrate_kbps: int | None
    frame_count: int | None
    interlaced: bool = False  # field_order tt/bb/tb/bt: two fields per frame (TV cameras, DVDs)

    @property
    def display_width(self) -> int:
        """Upright width on screen (sample aspect and rotation applied)."""
        w, _h = self._display()
        return w

    @property
    def display_height(self) -> int:
        _w, h = self._display()
        return h

    def _display(self) -> tuple[int, int]:
        width = max(1, round(self.width * self.sample_aspect))
        if self.rotation_deg % 180 == 90:
            return self.height, width
        return width, self.height


@dataclass(frozen=True)
class MediaInfo:
    container: str  # ffprobe format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration_s: float | None
    bitrate_kbps: int | None
    video: VideoStream | None
    has_audio: bool
    audio_codec: str | None

    @property
    def is_mp4(self) -> bool:
        return "mp4" in self.container.split(",") or "mov" in self.container.split(",")


def ffmpeg_path_arg(path: Path) -> str:
    """An ffmpeg input/output argument that can never be read as an option or a protocol."""
    return "file:" + str(Path(path).resolve())


class ProbeFailed(Exception):
    """ffprobe failed, gave no JSON, or ran past its time limit; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ffprobe_json(path: Path, *options: str, timeout_s: float | None = None) -> dict[str, Any]:
    """ffprobe's JSON answer about ``path``; stopped after ``timeout_s`` (default :data:`PROBE_TIMEOUT_S`).

    A damaged or crafted file must not hold a job (and the queue behind it) for ever.
    """
    limit_s = PROBE_TIMEOUT_S if timeout_s is None else timeout_s
    argv = [FFPROBE, "-v", "error", "-of", "json", *options, ffmpeg_path_arg(path)]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=limit_s, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeFailed(f"ffprobe took longer than {limit_s:.0f} s and was stopped") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else "unknown error"
        raise ProbeFailed(reason.rsplit(": ", 1)[-1] if ": " in reason else reason)
    try:
        data = json.loads(done.stdout)
    except ValueError:
        raise ProbeFailed("ffprobe gave no readable answer") from None
    return data if isinstance(data, dict) else {}


def _rate(text: str | None) -> float | None:
    if not text or text in ("0/0", "0/1"):
        return None
    try:
        value = float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 and math.isfinite(value) else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _kbps(value: Any) -> int | None:
    bits = _int(value)
    return None if bits is None else round(bits / 1000)


def rotation_of(stream: dict[str, Any]) -> int:
    """Clockwise rotation (0, 90, 180, 270, or another whole degree) needed to show upright."""
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            # ffprobe reports the display matrix angle counter-clockwise.
            return round(-float(side["rotation"])) % 360
    tag = (stream.get("tags") or {}).get("rotate")
    if tag is not None:
        try:
            return round(float(tag)) % 360
        except ValueError:
            return 0
    return 0


def _sample_aspect(stream: dict[str, Any]) -> Fraction:
    text = stream.get("sample_aspect_ratio") or "1:1"
    try:
        num, den = (int(part) for part in text.split(":"))
    except ValueError:
        return Fraction(1)
    if num <= 0 or den <= 0:
        return Fraction(1)
    return Fraction(num, den)


def intervals_are_irregular(pts_s: list[float]) -> bool:
    """True when the gaps between (sorted) frame times are not all about equal."""
    times = sorted(set(pts_s))
    gaps = [b - a for a, b in itertools.pairwise(times) if b - a > 1e-6]
    if len(gaps) < 2:
        return False
    return max(gaps) / min(gaps) > VFR_INTERVAL_SPREAD


def _packet_times(path: Path) -> list[float]:
    try:
        data = ffprobe_json(
            path, "-select_streams", "v:0", "-show_entries", "packet=pts_time",
            "-read_intervals", f"%+#{VFR_SAMPLE_PACKETS}",
        )  # fmt: skip
    except ProbeFailed:
        return []
    return [t for p in data.get("packets", []) if (t := _float(p.get("pts_time"))) is not None]


#: ffprobe's ``field_order`` values of interlaced video ("progressive" and "unknown" are not).
INTERLACED_ORDERS = ("tt", "bb", "tb", "bt")


def _video_stream(path: Path, stream: dict[str, Any], check_intervals: bool) -> VideoStream:
    fps = _rate(stream.get("avg_frame_rate"))
    nominal = _rate(stream.get("r_frame_rate"))
    rate_mismatch = fps is not None and nominal is not None and abs(fps - nominal) / nominal > 0.02
    is_vfr = rate_mismatch or (check_intervals and intervals_are_irregular(_packet_times(path)))
    return VideoStream(
        codec=str(stream.get("codec_name") or "unknown"),
        profile=stream.get("profile"),
        pix_fmt=stream.get("pix_fmt"),
        width=_int(stream.get("width")) or 0,
        height=_int(stream.get("height")) or 0,
        sample_aspect=_sample_aspect(stream),
        rotation_deg=rotation_of(stream),
        fps=fps or nominal,
        nominal_fps=nominal,
        is_vfr=is_vfr,
        bitrate_kbps=_kbps(stream.get("bit_rate")),
        frame_count=_int(stream.get("nb_frames")),
        interlaced=str(stream.get("field_order") or "") in INTERLACED_ORDERS,
    )


def probe(path: Path, *, check_intervals: bool = True) -> MediaInfo:
    """Probe ``path``; unreadable media raises :class:`IngestRefused` with ffprobe's reason.

    ``check_intervals`` also reads the first packets' times to catch variable frame
    rate that the stream header hides (an extra, short ffprobe run).
    """
    try:
        data = ffprobe_json(path, "-show_format", "-show_streams")
    except ProbeFailed as exc:
        raise IngestRefused(
            f"the file could not be read as video ({exc.reason}); it may be damaged or incomplete."
        ) from exc
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    video_streams = [
        s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audio_streams = [s for s in streams if s.get("codec_type") == "audio"]
    video = _video_stream(path, video_streams[0], check_intervals) if video_streams else None
    duration = _float(fmt.get("duration"))
    if duration is None and video_streams:
        duration = _float(video_streams[0].get("duration"))
    return MediaInfo(
        container=str(fmt.get("format_name") or "unknown"),
        duration_s=duration,
        bitrate_kbps=_kbps(fmt.get("bit_rate")),
        video=video,
        has_audio=bool(audio_streams),
        audio_codec=audio_streams[0].get("codec_name") if audio_streams else None,
    )


def readable_frames(path: Path) -> int | None:
    """How many video packets can actually be read (demuxed, not decoded: fast); None if ffprobe fails.

    A file cut off while copying keeps its header (which still declares every
    frame) but holds fewer packets.
    """
    try:
        data = ffprobe_json(path, "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets")
    except ProbeFailed:
        return None
    streams = data.get("streams") or []
    return _int(streams[0].get("nb_read_packets")) if streams else None


def last_packet_end_s(path: Path) -> float | None:
    """When the video stream's last packet ends, in seconds (demuxed, not decoded); None if unknown.

    For files whose container declares no duration (e.g. Matroska written to a pipe):
    without it the length limit could not be checked.
    """
    try:
        data = ffprobe_json(path, "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time")
    except ProbeFailed:
        return None
    ends = [
        start + (_float(p.get("duration_time")) or 0.0)
        for p in data.get("packets", [])
        if (start := _float(p.get("pts_time"))) is not None
    ]
    return max(ends, default=None)


def mp4_is_faststart(path: Path) -> bool:
    """True when the MP4/MOV ``moov`` box comes before ``mdat`` (playable while downloading)."""
    with Path(path).open("rb") as fh:
        while True:
            header = fh.read(8)
            if len(header) < 8:
                return False
            size, box = struct.unpack(">I4s", header)
            if box == b"moov":
                return True
            if box == b"mdat":
                return False
            if size == 1:
                large = fh.read(8)
                if len(large) < 8:
                    return False
                size = struct.unpack(">Q", large)[0]
                skip = size - 16
            elif size == 0:
                return False
            else:
                skip = size - 8
            if skip < 0:
                return False
            fh.seek(skip, 1)
