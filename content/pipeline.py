"""The one entry point: a file in, normalised media for every canvas out (or a refusal).

Nothing is written to the store until every output has been produced and checked,
so a refused or failed ingest leaves no trace there (scratch files live in a
store work folder that is removed on exit).
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image

from content.canvas import FitMode, Rgb
from content.errors import IngestRefused, MediaToolError
from content.geometry import even_canvas
from content.images import (
    DEFAULT_MAX_PIXELS,
    LoadedImage,
    encode,
    fit_image,
    flatten,
    open_image,
    thumbnail_jpeg,
    to_srgb,
)
from content.names import display_name
from content.probe import MediaInfo, last_packet_end_s, probe, readable_frames
from content.progress import ProgressCallback, no_progress, sub_progress
from content.results import DerivedMedia, IngestResult, MediaFile, format_duration_s
from content.sniff import Sniffed, sniff_file
from content.store import MediaStore
from content.transcode import NormalisedVideo, extract_frame_png, normalise_video
from content.video import VideoOptions
from signage.canvas import Canvas

MAX_UPLOAD_BYTES = 4 * 1024**3
MAX_VIDEO_DURATION_S = 2 * 3600.0
UPSCALE_WARNING_FACTOR = 2.0
POSTER_AT_S = 1.0
COMPLETE_FRACTION = 0.9  # fewer readable frames than this share of the declared ones: the file was cut off
SHORT_CLIP_WARNING_S = 1.0


def _unique_canvases(canvases: Iterable[Canvas]) -> list[Canvas]:
    seen: list[Canvas] = []
    for canvas in canvases:
        if canvas not in seen:
            seen.append(canvas)
    if not seen:
        raise ValueError("ingest needs at least one target canvas")
    return seen


def _check_file(path: Path) -> int:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise IngestRefused(f"file not found: {display_name(str(path))}") from None
    if not stat.S_ISREG(info.st_mode):
        raise IngestRefused("only regular files can be uploaded (not folders or devices).")
    if info.st_size == 0:
        raise IngestRefused("the file is empty (0 bytes); upload it again.")
    if info.st_size > MAX_UPLOAD_BYTES:
        raise IngestRefused(
            f"the file is {info.st_size / 1024**3:.1f} GiB; the limit is {MAX_UPLOAD_BYTES / 1024**3:.0f} GiB."
        )
    return info.st_size


def _upscale_warning(width: int, height: int, canvases: Sequence[Canvas], what: str = "picture") -> str | None:
    worst = max(canvases, key=lambda c: min(c.width / width, c.height / height))
    factor = min(worst.width / width, worst.height / height)
    if factor > UPSCALE_WARNING_FACTOR:
        return (
            f"the {what} is small ({width}x{height}) and is enlarged {factor:.1f}x for "
            f"{worst}; it will look blurry. Use a larger original if you have one."
        )
    return None


def ingest(
    path: Path,
    store: MediaStore,
    canvases: Iterable[Canvas],
    fit: FitMode | str = FitMode.CONTAIN,
    background: Rgb | str = "#000000",
    keep_audio: bool = False,
    progress: ProgressCallback | None = None,
    *,
    original_name: str | None = None,
    video_options: VideoOptions | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> IngestResult:
    """Normalise ``path`` for every canvas and store original + derived files.

    Raises :class:`~content.errors.IngestRefused` (a ``UserError``) with a reason
    staff can act on for anything that is not usable screen content.
    """
    path = Path(path)
    targets = _unique_canvases(canvases)
    fit_mode = FitMode.parse(fit)
    bg = Rgb.parse(background)
    report = progress or no_progress
    name = display_name(original_name if original_name is not None else path.name)
    _check_file(path)
    sniffed = sniff_file(path)
    report(0.0)
    with store.workdir() as scratch:
        workdir = Path(scratch)
        if sniffed.kind == "image":
            loaded = _open_still(path, targets, fit_mode, max_pixels)
            if loaded is not None:
                result = _ingest_image(path, sniffed, loaded, store, targets, fit_mode, bg, name, report)
                report(100.0)
                return result
        try:
            result = _ingest_video(
                path, sniffed, store, targets, fit_mode, bg, keep_audio, name, report,
                video_options or VideoOptions(), workdir, max_pixels,
            )  # fmt: skip
        except MediaToolError as exc:
            raise IngestRefused(
                f"the video could not be converted ({exc}). The file may be damaged; export or download it again."
            ) from exc
    report(100.0)
    return result


# -- images ------------------------------------------------------------------------------


def _open_still(path: Path, targets: Sequence[Canvas], fit: FitMode, max_pixels: int) -> LoadedImage | None:
    """The decoded picture, or ``None`` for an animated GIF (handled as video)."""

    def needed_scale(width: int, height: int) -> float:
        pick = max if fit is FitMode.COVER else min
        if fit is FitMode.STRETCH:
            return max(max(c.width / width, c.height / height) for c in targets)
        return max(pick(c.width / width, c.height / height) for c in targets)

    loaded = open_image(path, max_pixels=max_pixels, draft_scale=needed_scale)
    if loaded.is_animated and loaded.fmt == "gif":
        return None
    return loaded


def _ingest_image(
    path: Path,
    sniffed: Sniffed,
    loaded: LoadedImage,
    store: MediaStore,
    targets: Sequence[Canvas],
    fit: FitMode,
    bg: Rgb,
    name: str,
    report: ProgressCallback,
) -> IngestResult:
    flat = flatten(loaded.image, bg)
    notes = list(loaded.notes)
    if loaded.image.mode == "RGBA":
        notes.append(f"transparency filled with {bg.hex}")
    warnings = list(loaded.warnings)
    upscale = _upscale_warning(flat.width, flat.height, targets)
    if upscale:
        warnings.append(upscale)
    out_fmt = "png" if sniffed.fmt in ("png", "gif") else "jpeg"
    mime = f"image/{out_fmt}"
    rendered: list[tuple[Canvas, bytes]] = []
    for index, canvas in enumerate(targets):
        rendered.append((canvas, encode(fit_image(flat, canvas, fit, bg), out_fmt)))
        report(90.0 * (index + 1) / len(targets))
    thumb = thumbnail_jpeg(flat, bg)
    thumb_size = _jpeg_size(thumb)

    original = store.put_file(path, mime=sniffed.mime)
    derived = []
    for canvas, data in rendered:
        stored = store.put_bytes(data, mime=mime)
        derived.append(
            DerivedMedia(
                canvas.key, stored.sha256, stored.size, mime, canvas.width, canvas.height,
                None, "rendered", f"{canvas}: {fit.value}, saved as {out_fmt.upper()}",
            )
        )  # fmt: skip
    first = derived[0]
    thumb_stored = store.put_bytes(thumb, mime="image/jpeg")
    return IngestResult(
        kind="image",
        name=name,
        original=MediaFile(
            original.sha256,
            original.size,
            sniffed.mime,
            loaded.source_width,
            loaded.source_height,
        ),
        derived=tuple(derived),
        poster=MediaFile(first.sha256, first.size, mime, first.width, first.height),
        thumbnail=MediaFile(thumb_stored.sha256, thumb_stored.size, "image/jpeg", *thumb_size),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def _jpeg_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


# -- video -------------------------------------------------------------------------------


def check_video(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """The refusals a video gets before any conversion (unreadable, no picture, too large, too long, cut off), at
    once: an upload is told while it waits, not after its turn in a busy queue. Raises :class:`IngestRefused`."""
    _probe_video(path, sniff_file(path), max_pixels)


def _probe_video(path: Path, sniffed: Sniffed, max_pixels: int) -> MediaInfo:
    info = probe(path)
    video = info.video
    if video is None:
        what = "only sound" if info.has_audio else "no picture"
        raise IngestRefused(f"the file has {what} (no video stream); upload a video or a picture.")
    if video.width < 1 or video.height < 1:
        raise IngestRefused("the video has no picture size; it may be damaged.")
    limit = VideoOptions().max_source_side_px
    if max(video.width, video.height) > limit:
        raise IngestRefused(f"the video is {video.width}x{video.height}; at most {limit} pixels a side.")
    if video.width * video.height > max_pixels:  # a still picture's limit: each frame is decoded whole
        raise IngestRefused(
            f"the video picture is too large ({video.width}x{video.height} pixels); the limit is "
            f"{max_pixels / 1e6:.0f} megapixels. Make it smaller (e.g. 3840x2160) and upload again."
        )
    if info.duration_s is None:  # not declared: measure it (reads the whole file: after the cheap refusals above),
        info = dataclasses.replace(info, duration_s=last_packet_end_s(path))  # or the length limit would not apply
    if info.duration_s is not None and info.duration_s > MAX_VIDEO_DURATION_S:
        raise IngestRefused(
            f"the video is {info.duration_s / 60:.0f} minutes long; the limit is "
            f"{MAX_VIDEO_DURATION_S / 60:.0f} minutes. Cut it shorter."
        )
    if info.duration_s is not None and info.duration_s <= 0:
        raise IngestRefused("the video has no length (0 s); it may be damaged.")
    _check_complete(path, info)
    return info


def _check_complete(path: Path, info: MediaInfo) -> None:
    """Refuse a file cut off while copying: its header declares more frames than it holds."""
    declared = info.video.frame_count if info.video else None
    if not declared or declared < 2:
        return
    readable = readable_frames(path)
    if readable is None or readable >= declared * COMPLETE_FRACTION:
        return
    length = f" ({format_duration_s(info.duration_s)})" if info.duration_s else ""
    raise IngestRefused(
        f"the video is incomplete: it declares {declared} frames{length} but only {readable} are in the file. "
        "It was probably cut off while copying or downloading; copy or download the whole file again."
    )


def _ingest_video(
    path: Path,
    sniffed: Sniffed,
    store: MediaStore,
    targets: Sequence[Canvas],
    fit: FitMode,
    bg: Rgb,
    keep_audio: bool,
    name: str,
    report: ProgressCallback,
    options: VideoOptions,
    workdir: Path,
    max_pixels: int,
) -> IngestResult:
    info = _probe_video(path, sniffed, max_pixels)
    video = info.video
    assert video is not None
    notes: list[str] = []
    warnings: list[str] = []
    if sniffed.fmt == "gif":
        notes.append("animated GIF converted to a video")
    upscale = _upscale_warning(video.display_width, video.display_height, targets, "video")
    if upscale:
        warnings.append(upscale)
    if keep_audio and not info.has_audio:
        warnings.append("keep audio was asked but the video has no sound")

    span = 90.0 / len(targets)
    outputs: list[tuple[Canvas, NormalisedVideo]] = []
    for index, canvas in enumerate(targets):
        encode_canvas = even_canvas(canvas)
        if encode_canvas != canvas:
            warnings.append(f"{canvas} has an odd side; video made {encode_canvas} (H.264 needs even sizes)")
        done = normalise_video(
            path, info, encode_canvas, fit, bg, keep_audio=keep_audio, options=options,
            workdir=workdir, progress=sub_progress(report, index * span, span),
        )  # fmt: skip
        outputs.append((canvas, done))
        notes.append(done.plan.describe())

    first = outputs[0][1]
    if first.info.duration_s is not None and first.info.duration_s < SHORT_CLIP_WARNING_S:
        warnings.append(
            f"the video is only {format_duration_s(first.info.duration_s)} long and will flash by; "
            "check that this is the right file."
        )
    at_s = min(POSTER_AT_S, (first.info.duration_s or 0.0) / 2)
    poster = _png_to_rgb(extract_frame_png(first.path, at_s), bg)
    poster_jpeg = encode(poster, "jpeg")
    report(95.0)
    # Thumbnail: the picture area of the poster (no letterbox bars), at its own shape.
    p = first.plan.placement
    picture = poster.crop((p.offset_x, p.offset_y, p.offset_x + p.crop_width, p.offset_y + p.crop_height))
    thumb = thumbnail_jpeg(picture, bg)
    thumb_size = _jpeg_size(thumb)

    original = store.put_file(path, mime=sniffed.mime)
    derived: list[DerivedMedia] = []
    for canvas, done in outputs:
        if done.path == path:
            stored_sha, stored_size = original.sha256, original.size
        else:
            stored = store.move_file(done.path, mime="video/mp4")
            stored_sha, stored_size = stored.sha256, stored.size
        out = done.info.video
        assert out is not None
        derived.append(
            DerivedMedia(
                canvas.key, stored_sha, stored_size, "video/mp4", out.width, out.height,
                _round_s(done.info.duration_s), done.plan.action.value, done.plan.describe(),
            )
        )  # fmt: skip
    poster_stored = store.put_bytes(poster_jpeg, mime="image/jpeg")
    thumb_stored = store.put_bytes(thumb, mime="image/jpeg")
    p0 = derived[0]
    return IngestResult(
        kind="video",
        name=name,
        original=MediaFile(
            original.sha256,
            original.size,
            sniffed.mime,
            video.display_width,
            video.display_height,
            _round_s(info.duration_s),
        ),
        derived=tuple(derived),
        poster=MediaFile(poster_stored.sha256, poster_stored.size, "image/jpeg", p0.width, p0.height),
        thumbnail=MediaFile(thumb_stored.sha256, thumb_stored.size, "image/jpeg", *thumb_size),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def _round_s(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 3)


def _png_to_rgb(data: bytes, bg: Rgb) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return flatten(to_srgb(im, []), bg)
