"""Still images with Pillow: safe decoding, upright sRGB, alpha flattening, canvas fitting."""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from content.canvas import FitMode, Rgb
from content.errors import IngestRefused
from content.geometry import plan_fit
from signage.canvas import Canvas

# Decoded pixels allowed (~ 8000x6000); anything bigger is refused before decoding.
DEFAULT_MAX_PIXELS = 50_000_000
THUMBNAIL_MAX_PX = 320
JPEG_QUALITY = 90
EXIF_ORIENTATION = 0x0112


@dataclass
class LoadedImage:
    """An upright picture in RGB or RGBA (sRGB), ready to place on canvases."""

    image: Image.Image
    fmt: str  # "jpeg", "png", "webp", "gif"
    source_width: int  # as stored in the file, before EXIF rotation
    source_height: int
    is_animated: bool
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _damaged(exc: BaseException) -> IngestRefused:
    return IngestRefused(f"the image is damaged or incomplete ({exc}); save or export it again and re-upload.")


def _too_big(width: int | None, height: int | None, max_pixels: int, declared: str = "") -> IngestRefused:
    """``declared``: Pillow's refusal of a file that declares an enormous size ("Image size (N pixels) ...")."""
    pixels = re.search(r"\((\d+) pixels\)", declared)
    size = (f"{width}x{height} pixels" if width and height
            else f"{int(pixels.group(1)) / 1e6:.0f} megapixels" if pixels else "larger than allowed")  # fmt: skip
    return IngestRefused(
        f"the image is too large ({size}); the limit is {max_pixels / 1e6:.0f} megapixels. "
        "Resize it (e.g. to 3840x2160) and upload again."
    )


def open_image(
    path: Path,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft_scale: Callable[[int, int], float] | None = None,
) -> LoadedImage:
    """Open and decode ``path`` safely; refuse bombs and broken files with a clear reason.

    ``draft_scale(upright_width, upright_height)`` returns the largest scale factor
    the picture will be resized by; JPEGs are then decoded at a reduced size that is
    still at least that large (much faster for 40-megapixel phone photos).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except Image.DecompressionBombError as exc:
            raise _too_big(None, None, max_pixels, str(exc)) from None
        except Image.UnidentifiedImageError as exc:
            raise IngestRefused("the file looks like an image but cannot be read; it may be damaged.") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _damaged(exc) from exc
    try:
        return _decode(im, max_pixels, draft_scale)
    finally:
        im.close()


def _decode(im: Image.Image, max_pixels: int, draft_scale: Callable[[int, int], float] | None) -> LoadedImage:
    width, height = im.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _too_big(width, height, max_pixels)
    fmt = (im.format or "").lower()
    n_frames = getattr(im, "n_frames", 1)
    animated = bool(getattr(im, "is_animated", False)) and n_frames > 1
    loaded = LoadedImage(im, fmt, width, height, animated)
    if animated and fmt != "gif":
        loaded.warnings.append(f"animated {fmt.upper()} is shown as a still picture (first frame only)")
    if fmt == "jpeg" and draft_scale is not None:
        _apply_draft(im, draft_scale)
    try:
        im.seek(0)
        im.load()
    except Image.DecompressionBombError:
        raise _too_big(width, height, max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _damaged(exc) from exc
    try:
        orientation = im.getexif().get(EXIF_ORIENTATION, 1)
        upright = ImageOps.exif_transpose(im)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError) as exc:
        orientation, upright = 1, im
        loaded.warnings.append(f"EXIF orientation could not be read ({exc}); shown as stored")
    if orientation in (2, 3, 4, 5, 6, 7, 8):  # what exif_transpose acts on; any other value is ignored
        loaded.notes.append(f"turned upright (EXIF orientation {orientation})")
    elif orientation not in (1, None):
        loaded.notes.append(f"EXIF orientation {orientation!r} is not a valid value; shown as stored")
    loaded.image = to_srgb(upright, loaded.notes)
    return loaded


def _apply_draft(im: Image.Image, draft_scale: Callable[[int, int], float]) -> None:
    width, height = im.size
    try:
        orientation = im.getexif().get(EXIF_ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        orientation = 1
    upright = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    scale = draft_scale(*upright)
    if scale < 0.5:
        im.draft(im.mode, (math.ceil(width * scale), math.ceil(height * scale)))


def _icc_to_srgb(im: Image.Image, icc: bytes, out_mode: str) -> Image.Image | None:
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(im, src, dst, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


def to_srgb(im: Image.Image, notes: list[str]) -> Image.Image:
    """Any Pillow mode -> ``RGB`` or ``RGBA`` (8 bits), colour profile applied when present."""
    mode = im.mode
    icc = im.info.get("icc_profile")
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        notes.append(f"{mode} grey converted to 8 bits")
        im = im.point(lambda v: v / 256).convert("L") if mode != "F" else im.convert("L")
        mode = "L"
    if mode == "CMYK":
        converted = _icc_to_srgb(im, icc, "RGB") if icc else None
        notes.append("CMYK converted to sRGB" + (" with its colour profile" if converted else ""))
        return converted if converted is not None else im.convert("RGB")
    if mode == "P":
        notes.append("palette converted to RGB")
        return im.convert("RGBA" if "transparency" in im.info else "RGB")
    if mode in ("LA", "La", "PA", "RGBa"):
        return im.convert("RGBA")
    if mode in ("RGB", "RGBA") and icc:
        converted = _icc_to_srgb(im, icc, mode)
        if converted is not None:
            return converted
    if mode in ("RGB", "RGBA"):
        return im.copy()
    if mode == "1":
        return im.convert("L").convert("RGB")
    return im.convert("RGB")


def flatten(im: Image.Image, background: Rgb) -> Image.Image:
    """Composite any transparency onto ``background``; always returns ``RGB``."""
    if im.mode != "RGBA":
        return im if im.mode == "RGB" else im.convert("RGB")
    base = Image.new("RGB", im.size, background.tuple)
    base.paste(im, mask=im.getchannel("A"))
    return base


def fit_image(im: Image.Image, canvas: Canvas, fit: FitMode, background: Rgb) -> Image.Image:
    """Place an ``RGB`` picture on an exactly canvas-sized ``RGB`` image."""
    p = plan_fit(im.width, im.height, canvas, fit)
    scaled = im
    if im.size != (p.scaled_width, p.scaled_height):
        scaled = im.resize((p.scaled_width, p.scaled_height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if p.needs_crop:
        scaled = scaled.crop((p.crop_x, p.crop_y, p.crop_x + p.crop_width, p.crop_y + p.crop_height))
    if not p.needs_pad:
        return scaled
    out = Image.new("RGB", (canvas.width, canvas.height), background.tuple)
    out.paste(scaled, (p.offset_x, p.offset_y))
    return out


def encode(im: Image.Image, fmt: str) -> bytes:
    """Deterministic bytes: no metadata, fixed settings. ``fmt`` is ``jpeg`` or ``png``."""
    buf = io.BytesIO()
    if fmt == "jpeg":
        im.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling="4:2:0", optimize=False)
    else:
        im.save(buf, "PNG", compress_level=6, optimize=False)
    return buf.getvalue()


def thumbnail_jpeg(im: Image.Image, background: Rgb, max_px: int = THUMBNAIL_MAX_PX) -> bytes:
    """A small JPEG keeping the picture's own shape (for lists in the admin UI)."""
    thumb = flatten(im, background).copy()
    thumb.thumbnail((max_px, max_px), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return encode(thumb, "jpeg")
