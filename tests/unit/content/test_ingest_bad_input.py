"""The bad input staff really upload: each is normalised correctly or refused clearly,
never a crash, never a partial file in the store."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image

from content.errors import IngestRefused
from content.pipeline import ingest
from content.probe import probe
from content.store import MediaStore
from content.transcode import extract_frame_png
from signage.canvas import Canvas

from .conftest import (
    assert_normalised,
    assert_store_empty,
    ffmpeg,
    has_encoder,
    make_clip,
    store_entries,
)

WIDE = Canvas(768, 432)
SMALL = Canvas(400, 300)
PORTRAIT = Canvas(432, 768)


def refuse(path: Path, store: MediaStore, match: str) -> IngestRefused:
    with pytest.raises(IngestRefused, match=match) as caught:
        ingest(path, store, [WIDE])
    assert_store_empty(store)
    return caught.value


def test_zero_byte_file(tmp_path: Path, store: MediaStore) -> None:
    empty = tmp_path / "kosong.mp4"
    empty.touch()
    refuse(empty, store, "empty")


def test_text_file_named_mp4(tmp_path: Path, store: MediaStore) -> None:
    fake = tmp_path / "video.mp4"
    fake.write_text("ini bukan video\n", "utf-8")
    reason = refuse(fake, store, "Text files are not accepted").reason
    assert "MP4" in reason and "JPEG" in reason


def test_truncated_jpeg(tmp_path: Path, store: MediaStore) -> None:
    whole = tmp_path / "whole.jpg"
    Image.effect_noise((400, 300), 60).convert("RGB").save(whole, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    refuse(cut, store, "damaged or incomplete")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_png_header_claiming_100000_squared_pixels(tmp_path: Path, store: MediaStore) -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
                     + png_chunk(b"IEND", b""))  # fmt: skip
    refuse(bomb, store, "too large")


def test_large_but_not_insane_png_is_refused_before_decoding(tmp_path: Path, store: MediaStore) -> None:
    big = tmp_path / "big.png"
    Image.new("RGB", (3000, 2000)).save(big)
    with pytest.raises(IngestRefused, match="too large"):
        ingest(big, store, [WIDE], max_pixels=5_000_000)
    assert_store_empty(store)


def test_audio_only_files(tmp_path: Path, store: MediaStore) -> None:
    m4a = tmp_path / "lagu.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", str(m4a))
    refuse(m4a, store, "Audio-only")
    as_mp4 = tmp_path / "lagu.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", "-f", "mp4", "-brand", "isom",
           str(as_mp4))  # fmt: skip
    refuse(as_mp4, store, "only sound")


def test_truncated_mp4_is_refused(tmp_path: Path, store: MediaStore) -> None:
    clip = make_clip(tmp_path / "clip.mp4", out_args=("-movflags", "+faststart"))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clip.read_bytes()[:2000])
    refuse(broken, store, "damaged|could not|incomplete")


def test_portrait_phone_video_comes_out_upright(tmp_path: Path, store: MediaStore) -> None:
    land = make_clip(tmp_path / "land.mp4", size="320x180")
    phone = tmp_path / "phone.mp4"
    ffmpeg("-i", str(land), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(phone))
    result = ingest(phone, store, [PORTRAIT, WIDE])
    portrait = store.path_for(result.for_canvas("432x768").sha256)
    assert_normalised(portrait, 432, 768, fps=25)
    wide = store.path_for(result.for_canvas("768x432").sha256)
    assert_normalised(wide, 768, 432)
    # On the wide canvas an upright portrait picture is pillar-boxed: black sides.
    with Image.open(io.BytesIO(extract_frame_png(wide, 0.5))) as frame:
        side = frame.convert("L").crop((0, 0, 100, 432))
        middle = frame.convert("L").crop((300, 0, 468, 432))
    assert side.getextrema()[1] < 40  # type: ignore[operator]
    assert middle.getextrema()[1] > 100  # type: ignore[operator]
    assert any("upright" in note for note in result.notes)
    assert result.original.width == 180 and result.original.height == 320


def test_hevc_source(tmp_path: Path, store: MediaStore) -> None:
    if not has_encoder("libx265"):
        pytest.skip("this ffmpeg has no libx265 encoder to make an HEVC sample")
    clip = make_clip(tmp_path / "hevc.mp4", vcodec="libx265", size="640x360")
    result = ingest(clip, store, [WIDE])
    assert_normalised(store.path_for(result.derived[0].sha256), 768, 432, fps=25)
    assert "HEVC -> H.264" in result.derived[0].note


def test_vp9_webm_source(tmp_path: Path, store: MediaStore) -> None:
    if not has_encoder("libvpx-vp9"):
        pytest.skip("this ffmpeg has no libvpx-vp9 encoder to make a VP9 sample")
    clip = make_clip(tmp_path / "clip.webm", vcodec="libvpx-vp9", size="320x240")
    result = ingest(clip, store, [SMALL])
    assert result.original.mime == "video/webm"
    assert_normalised(store.path_for(result.derived[0].sha256), 400, 300, fps=25)


def test_variable_frame_rate_becomes_constant(tmp_path: Path, store: MediaStore) -> None:
    vfr = tmp_path / "vfr.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=20:d=2", "-vf", "setpts=N*N/(400*TB)",
           "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", str(vfr))  # fmt: skip
    source = probe(vfr).video
    assert source is not None and source.is_vfr
    result = ingest(vfr, store, [SMALL])
    # Constant at the source's base rate (20 fps), not its low average (~9 fps).
    assert_normalised(store.path_for(result.derived[0].sha256), 400, 300, fps=20)
    assert any("variable frame rate" in n for n in result.notes)


@pytest.mark.slow
def test_4k_60fps_clip_is_scaled_and_halved(tmp_path: Path, store: MediaStore) -> None:
    clip = make_clip(tmp_path / "4k.mp4", size="3840x2160", rate=60, duration_s=1)
    seen: list[float] = []
    result = ingest(clip, store, [Canvas(1920, 1080), WIDE], progress=seen.append)
    for derived in result.derived:
        assert_normalised(store.path_for(derived.sha256), derived.width, derived.height, fps=30)
    assert seen == sorted(seen) and seen[-1] == 100.0
    assert result.derived[0].duration_s == pytest.approx(1.0, abs=0.1)


def test_cmyk_jpeg(tmp_path: Path, store: MediaStore) -> None:
    cmyk = tmp_path / "brosur.jpg"
    Image.new("CMYK", (400, 300), (255, 0, 0, 0)).save(cmyk, quality=95)  # pure cyan ink
    result = ingest(cmyk, store, [SMALL])
    assert any("CMYK" in n for n in result.notes)
    with Image.open(store.path_for(result.derived[0].sha256)) as out:
        assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (400, 300))
        red, green, blue = out.getpixel((200, 150))  # type: ignore[misc]
    assert red < 60 and green > 180 and blue > 180


def test_16_bit_png_with_alpha_is_flattened_on_the_background(tmp_path: Path, store: MediaStore) -> None:
    deep = tmp_path / "logo16.png"
    width, height = 200, 150
    pixel = struct.pack(">HHHH", 65535, 0, 0, 32768)  # red, 50 % opaque, 16 bits a channel
    raw = b"".join(b"\0" + pixel * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    deep.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
                     + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))  # fmt: skip
    result = ingest(deep, store, [SMALL], background="#FFFFFF")
    with Image.open(store.path_for(result.derived[0].sha256)) as out:
        assert (out.format, out.mode, out.size) == ("PNG", "RGB", (400, 300))
        red, green, blue = out.getpixel((200, 150))  # type: ignore[misc]
    assert red > 240 and 100 < green < 160 and 100 < blue < 160
    assert any("transparency" in n for n in result.notes)


def test_strange_file_name_is_only_a_label(tmp_path: Path, store: MediaStore) -> None:
    folder = tmp_path / "unggah"
    folder.mkdir()
    odd = folder / ".." / "Pengumuman Bupati — Ümit 漢字 ü.jpg"
    Image.new("RGB", (64, 48), (10, 200, 10)).save(odd)
    result = ingest(odd, store, [SMALL], original_name="../../etc/Pengumuman Ü.jpg")
    assert result.name == "Pengumuman Ü.jpg"
    assert all(len(name) == 64 for name in store_entries(store) if not name.startswith("."))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pengumuman Bupati — Ümit 漢字 ü.jpg",
                                                          "store", "unggah"]  # fmt: skip
    plain = ingest(odd, store, [SMALL])
    assert plain.name == "Pengumuman Bupati — Ümit 漢字 ü.jpg"
    assert any("enlarged" in w for w in plain.warnings)


def test_video_cut_off_in_the_middle_is_refused_as_incomplete(tmp_path: Path, store: MediaStore) -> None:
    # The header (moov first) declares 3 s / 90 frames; the file holds about a third of them.
    whole = make_clip(tmp_path / "whole.mp4", rate=30, duration_s=3, out_args=("-movflags", "+faststart"))
    assert probe(whole).video is not None and probe(whole).video.frame_count == 90  # type: ignore[union-attr]
    cut = tmp_path / "terpotong.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 35 // 100])
    reason = refuse(cut, store, "incomplete").reason
    assert "declares 90 frames (3.0 s)" in reason and "copy or download the whole file again" in reason
    # the same file whole is accepted
    assert ingest(whole, store, [WIDE]).derived[0].duration_s == pytest.approx(3.0, abs=0.1)


def test_very_short_clip_is_warned_and_summarised_with_its_real_length(tmp_path: Path, store: MediaStore) -> None:
    blink = make_clip(tmp_path / "kedip.mp4", duration_s=0.04)
    result = ingest(blink, store, [WIDE])
    assert any("only 0.04 s long" in w for w in result.warnings)
    assert result.summary() == "kedip.mp4: video for 768x432, 0.04 s; 1 warning(s)"


def _piped_mkv(out: Path, lavfi: str) -> Path:
    """Matroska written to a pipe: the container declares no duration at all."""
    with out.open("wb") as sink:
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", lavfi, "-c:v", "libx264",
                        "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "matroska", "pipe:1"],
                       stdout=sink, check=True)  # fmt: skip
    assert probe(out).duration_s is None
    return out


def test_video_without_a_declared_duration_is_measured_and_held_to_the_length_limit(
    tmp_path: Path, store: MediaStore
) -> None:
    # 2 h 5 min of a still 16x16 picture at 1 fps: a 200 kB file. Before, no duration meant no
    # length check: it was converted whole (minutes of CPU) into a 2 h 5 min video.
    long = _piped_mkv(tmp_path / "panjang.mkv", "color=black:s=16x16:r=1:d=7500")
    assert long.stat().st_size < 1_000_000
    refuse(long, store, "125 minutes long; the limit is 120 minutes")
    short = _piped_mkv(tmp_path / "pendek.mkv", "testsrc2=s=320x240:r=25:d=2")
    result = ingest(short, store, [SMALL])  # a short one is measured and converted as usual
    assert result.original.duration_s == pytest.approx(2.0, abs=0.1)
    assert_normalised(store.path_for(result.derived[0].sha256), 400, 300, fps=25)


def test_video_frames_larger_than_a_still_picture_are_refused(tmp_path: Path, store: MediaStore) -> None:
    # 150 kB of PNG-in-Matroska whose every frame decodes to 7200x7200 (52 megapixels, 155 MB):
    # a picture that size is refused, and before, the same picture as a video was converted.
    bomb = tmp_path / "raksasa.mkv"
    ffmpeg("-f", "lavfi", "-i", "color=black:s=7200x7200:r=1:d=1", "-c:v", "png", str(bomb))
    assert bomb.stat().st_size < 1_000_000
    reason = refuse(bomb, store, "too large").reason
    assert "7200x7200 pixels" in reason and "50 megapixels" in reason
