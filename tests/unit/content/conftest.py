"""Fixtures for the content tests: tiny media generated with ffmpeg/Pillow into tmp dirs."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from content.probe import MediaInfo, mp4_is_faststart, probe
from content.store import MediaStore

MakeVideo = Callable[..., Path]


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


def has_encoder(name: str) -> bool:
    done = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, check=False)
    return any(line.split()[1:2] == [name] for line in done.stdout.splitlines())


def make_clip(
    out: Path,
    *,
    size: str = "320x240",
    rate: int = 25,
    duration_s: float = 1.0,
    vcodec: str = "libx264",
    pix_fmt: str = "yuv420p",
    audio: bool = False,
    out_args: tuple[str, ...] = (),
) -> Path:
    inputs = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d={duration_s}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=f=440:d={duration_s}"]
    codec = ["-c:v", vcodec, "-pix_fmt", pix_fmt]
    if vcodec == "libx264":
        codec += ["-preset", "ultrafast"]
    if vcodec == "libx265":
        codec += ["-preset", "ultrafast", "-x265-params", "log-level=none"]
    if vcodec == "libvpx-vp9":
        codec += ["-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"]
    audio_args = ["-c:a", "aac", "-shortest"] if audio else []
    ffmpeg(*inputs, *codec, *audio_args, *out_args, str(out))
    return out


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of shared source clips, generated once per session."""
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "store")


def store_entries(store: MediaStore) -> list[str]:
    """Everything in the store except side data (which may legitimately be empty)."""
    return sorted(p.name for p in store.root.iterdir() if p.name != ".meta")


def assert_store_empty(store: MediaStore) -> None:
    assert store_entries(store) == []
    meta = store.root / ".meta"
    assert not meta.exists() or list(meta.iterdir()) == []


def assert_normalised(path: Path, width: int, height: int, fps: int | None = None) -> MediaInfo:
    info = probe(path)
    video = info.video
    assert video is not None
    assert (video.codec, video.pix_fmt) == ("h264", "yuv420p")
    assert (video.width, video.height) == (width, height)
    assert video.rotation_deg == 0
    assert not video.is_vfr
    assert video.sample_aspect == 1
    if fps is not None:
        assert video.fps == pytest.approx(fps, abs=0.01)
    assert mp4_is_faststart(path)
    return info
