"""The one atomic-write helper: whole file or nothing, fsynced (file and folder), mode set before it appears."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from signage.fsutil import atomic_copy, atomic_write_bytes, atomic_write_json, atomic_writer
from signage.signing import load_or_create_key

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What got fsynced: "file" or "dir" (the real fsync still runs)."""
    seen: list[str] = []
    real: Callable[[int], None] = os.fsync

    def recording(fd: int) -> None:
        seen.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return seen


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_is_fsynced_renamed_and_leaves_no_temp(tmp_path: Path, fsyncs: list[str]) -> None:
    target = tmp_path / "sub" / "manifest.json"
    atomic_write_bytes(target, b"v1")
    atomic_write_json(target, {"b": 1, "a": "é"})
    assert target.read_text("utf-8") == '{\n  "a": "é",\n  "b": 1\n}\n'
    assert fsyncs == ["file", "dir", "file", "dir"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert leftovers(target.parent) == []


def test_failure_while_writing_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_writer(target) as out:
        out.write(b"half")
        raise RuntimeError("disk gone")
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_copy_streams_and_sync_false_skips_fsync(tmp_path: Path, fsyncs: list[str]) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 << 20))
    atomic_copy(source, tmp_path / "copy.bin", sync=False)
    assert (tmp_path / "copy.bin").read_bytes() == source.read_bytes()
    assert fsyncs == []


def test_new_signing_key_is_fsynced_and_private(tmp_path: Path, fsyncs: list[str]) -> None:
    path = tmp_path / "keys" / "signing.pem"
    key = load_or_create_key(path)
    assert fsyncs == ["file", "dir"]  # the old writer never fsynced: a power cut could leave an empty key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path).key_id == key.key_id
    assert leftovers(path.parent) == []


def test_no_other_module_renames_files_itself() -> None:
    """Every atomic write goes through signage.fsutil (there used to be seven, one without fsync)."""
    offenders = []
    for package in ("signage", "scheduler", "content", "player", "playlists"):
        for path in sorted((REPO / package).rglob("*.py")):
            if path == REPO / "signage" / "fsutil.py":
                continue
            text = path.read_text("utf-8")
            for match in re.finditer(r"os\.replace\(|os\.rename\(|\.rename\(|tempfile\.mkstemp\(", text):
                offenders.append(f"{path.relative_to(REPO)}:{text[: match.start()].count(chr(10)) + 1}")
    # content/store.py put_file makes its own temp file (the name is its hash, known only after writing)
    # and commits it with signage.fsutil.commit_file
    assert [o for o in offenders if not o.startswith("content/store.py:")] == []
    assert len(offenders) == 1
