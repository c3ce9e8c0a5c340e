"""Decide what a file is from its first bytes (magic numbers), never its name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from content.errors import IngestRefused

SNIFF_BYTES = 4096

ACCEPTED_FORMATS = (
    "images: JPEG, PNG, WebP, GIF (animated GIFs become a short video), AVIF; "
    "videos: MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV"
)

# ftyp brands of AVIF pictures (Pillow decodes them; HEIC needs a codec we do not ship).
_AVIF_BRANDS = {b"avif", b"avis"}
# ftyp brands that are still pictures or audio, not video.
_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"mif1",
    b"msf1",
    b"avif",
    b"avis",
}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}


@dataclass(frozen=True)
class Sniffed:
    """What the bytes say: ``kind`` is ``image`` or ``video``; ``fmt`` a short name."""

    kind: str
    fmt: str
    mime: str


def _refuse(what: str) -> IngestRefused:
    return IngestRefused(f"{what} files are not accepted. Accepted: {ACCEPTED_FORMATS}.")


def sniff_bytes(head: bytes) -> Sniffed:
    """Classify ``head`` (the first bytes of a file) or raise :class:`IngestRefused`."""
    if not head:
        raise IngestRefused("the file is empty (0 bytes); upload it again.")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "jpeg", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "png", "image/png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "gif", "image/gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "webp", "image/webp")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "avi", "video/x-msvideo")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        raise _refuse("Audio-only (WAV)")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        size = int.from_bytes(head[:4], "big")
        compatible = {head[i : i + 4] for i in range(16, min(size, len(head), 64), 4)}
        if brand in _AVIF_BRANDS or (brand in (b"mif1", b"msf1") and compatible & _AVIF_BRANDS):
            return Sniffed("image", "avif", "image/avif")
        if brand in _HEIF_BRANDS:
            raise _refuse("HEIC/HEIF photo")
        if brand in _AUDIO_BRANDS:
            raise _refuse("Audio-only (M4A)")
        if brand == b"qt  ":
            return Sniffed("video", "mov", "video/quicktime")
        return Sniffed("video", "mp4", "video/mp4")
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return Sniffed("video", "mov", "video/quicktime")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        fmt = "webm" if b"webm" in head[:64] else "mkv"
        return Sniffed("video", fmt, "video/webm" if fmt == "webm" else "video/x-matroska")
    if head.startswith(b"FLV\x01"):
        return Sniffed("video", "flv", "video/x-flv")
    if head.startswith(b"\x00\x00\x01\xba"):
        return Sniffed("video", "mpeg-ps", "video/mpeg")
    if len(head) >= 189 and head[0] == 0x47 and head[188] == 0x47:
        return Sniffed("video", "mpeg-ts", "video/mp2t")
    raise _refuse(_describe_unknown(head))


def _describe_unknown(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "PDF"
    lowered = head[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if lowered.startswith(b"<") and b"<svg" in lowered:  # also after a comment or a BOM
        return "SVG"
    if head.startswith((b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")):
        return "Program/executable"
    if head.startswith(b"PK\x03\x04"):
        return "ZIP/Office document"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head.startswith(b"BM"):
        return "BMP"
    if head.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"fLaC")):
        return "Audio-only"
    if head.startswith(b"OggS"):
        return "Ogg"
    if b"\x00" in head:
        return "Unrecognised"
    return "Text"


def sniff_file(path: Path) -> Sniffed:
    with Path(path).open("rb") as fh:
        return sniff_bytes(fh.read(SNIFF_BYTES))
