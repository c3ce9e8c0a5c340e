"""Registering uploaded media in the store (probe, content-address, record)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import ffmpeg
from PIL import Image, UnidentifiedImageError
from sqlite_utils import Database

from content.store import MediaStore
from signage.clock import format_utc
from signage.errors import UserError

IMAGE_MIMES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
Image.MAX_IMAGE_PIXELS = 50_000_000


def describe_media(path: Path) -> dict[str, Any]:
    """Kind, mime, size and duration of a media file; UserError when it is neither image nor video."""
    if path.stat().st_size == 0:
        raise UserError("file: the file is empty", field="file")
    try:
        with Image.open(path) as img:
            img.verify()
            fmt = img.format or ""
        with Image.open(path) as img:
            width, height = img.size
        if fmt in IMAGE_MIMES:
            return {"kind": "image", "mime": IMAGE_MIMES[fmt], "width": width, "height": height, "duration_s": None}
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        pass
    try:
        info = ffmpeg.probe(str(path))
    except ffmpeg.Error:
        raise UserError(
            "file: not a supported image (JPEG, PNG, WebP, GIF) or video (MP4, WebM, MOV)", field="file"
        ) from None
    video = [s for s in info.get("streams", []) if s.get("codec_type") == "video"]
    if not video:
        raise UserError("file: has no video stream (audio only?)", field="file")
    duration_s = float(info.get("format", {}).get("duration") or video[0].get("duration") or 0)
    if duration_s <= 0:
        raise UserError("file: video has no duration", field="file")
    return {
        "kind": "video",
        "mime": "video/mp4",
        "width": int(video[0].get("width", 0)),
        "height": int(video[0].get("height", 0)),
        "duration_s": duration_s,
    }


def register_media(db: Database, store: MediaStore, path: Path, original_name: str, now: datetime) -> dict[str, Any]:
    info = describe_media(path)
    stored = store.put_file(path)
    row = {
        "sha256": stored.sha256,
        "size": stored.size,
        "original_name": original_name[:200],
        "created_at": format_utc(now),
        **info,
    }
    db["media"].upsert(row, pk="sha256")
    return row
