from __future__ import annotations

import pytest

from content.errors import IngestRefused
from content.sniff import sniff_bytes

ACCEPTED = [
    (b"\xff\xd8\xff\xe0" + b"\0" * 20, "image", "jpeg"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image", "png"),
    (b"GIF89a" + b"\0" * 20, "image", "gif"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "image", "webp"),
    (b"\0\0\0\x20ftypisom\0\0\0\0", "video", "mp4"),
    (b"\0\0\0\x14ftypqt  \0\0\0\0", "video", "mov"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "video", "webm"),
    (b"RIFF\0\0\0\0AVI LIST", "video", "avi"),
    (b"\0\0\0\x20ftypavif\0\0\0\0avifmif1miafMA1B", "image", "avif"),
    (b"\0\0\0\x1cftypmif1\0\0\0\0mif1avifmiaf", "image", "avif"),  # AVIF under the generic HEIF brand
]


@pytest.mark.parametrize(("head", "kind", "fmt"), ACCEPTED)
def test_accepted_formats_are_recognised_by_content(head: bytes, kind: str, fmt: str) -> None:
    sniffed = sniff_bytes(head)
    assert (sniffed.kind, sniffed.fmt) == (kind, fmt)


REFUSED = [
    (b"%PDF-1.7\n", "PDF"),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">', "SVG"),
    (b"<!-- Generator: Adobe Illustrator -->\n<svg><script>alert(1)</script>", "SVG"),
    (b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">', "SVG"),
    (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC"),
    (b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic", "HEIC"),
    (b"MZ\x90\0\x03\0\0\0", "executable"),
    (b"\x7fELF\x02\x01\x01", "executable"),
    (b"PK\x03\x04\x14\0", "ZIP"),
    (b"ID3\x04\0\0\0\0", "Audio-only"),
    (b"\0\0\0\x20ftypM4A \0\0\0\0", "Audio-only"),
    (b"hello, this is not a video\n", "Text"),
]


@pytest.mark.parametrize(("head", "what"), REFUSED)
def test_other_formats_are_refused_with_the_accepted_list(head: bytes, what: str) -> None:
    with pytest.raises(IngestRefused) as caught:
        sniff_bytes(head)
    assert what in caught.value.reason
    assert "JPEG, PNG, WebP, GIF" in caught.value.reason
    assert caught.value.field == "file"


def test_empty_is_refused() -> None:
    with pytest.raises(IngestRefused, match="empty"):
        sniff_bytes(b"")
