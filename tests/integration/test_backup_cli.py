"""`signage backup` / `signage restore` on real stores: contents, modes, refusals, damaged archives."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from procs import DISPLAY_ID, env, make_store, signage

from content.store import MediaStore
from scheduler.backup import MANIFEST_NAME, create_backup
from scheduler.restore import restore_backup
from scheduler.service import Service
from signage.config import SchedulerConfig
from signage.errors import UserError

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"uji-media" * 100


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(signage(*args), env=env(), capture_output=True, text=True, timeout=120)


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    data_dir = tmp_path / "old"
    make_store(data_dir)
    service = Service(SchedulerConfig(data_dir=str(data_dir)))
    try:
        service.publisher.publish_all()
        MediaStore(data_dir / "media").put_bytes(PNG_BYTES, mime="image/png")
    finally:
        service.close()
        service.db.conn.close()
    return data_dir


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        out = {}
        for member in tar:
            fh = tar.extractfile(member)
            assert fh is not None
            out[member.name] = fh.read()
        return out


def rewrite(archive: Path, target: Path, change: dict[str, bytes]) -> None:
    """A copy of ``archive`` with some members' bytes replaced (manifest untouched)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src:
            fh = src.extractfile(member)
            assert fh is not None
            data = change.get(member.name, fh.read())
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def test_backup_holds_store_keys_manifests_config_and_lists_media(old_store: Path, tmp_path: Path) -> None:
    config = tmp_path / "scheduler.yaml"
    config.write_text(f"data_dir: {old_store}\nport: 8471\n")
    archive = tmp_path / "b.tar.gz"
    result = run("backup", "-o", str(archive), "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "private signing keys" in result.stderr and "rsync" in result.stdout
    assert archive.stat().st_mode & 0o777 == 0o600
    contents = members(archive)
    manifest = json.loads(contents[MANIFEST_NAME])
    assert list(contents)[-1] == MANIFEST_NAME
    assert "signage.db" in contents and contents["config/scheduler.yaml"] == config.read_bytes()
    assert any(name.startswith("keys/") and name.endswith(".pem") for name in contents)
    assert f"manifests/{DISPLAY_ID}/1.json" in contents
    sha = next(m["sha256"] for m in manifest["media"])
    assert manifest["media"] == [{"sha256": sha, "size": len(PNG_BYTES), "included": False}]
    assert f"media/{sha}" not in contents
    assert manifest["manifest_versions"] == {DISPLAY_ID: 1}


def test_restore_with_media_dir_copies_listed_media_and_keeps_keys_private(old_store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar"
    create_backup(old_store, archive)
    target = tmp_path / "new"
    report = restore_backup(archive, target, media_dir=old_store / "media")
    assert report.media_copied == 1 and report.media_missing == []
    assert (target / "media").is_dir() and any(
        p.is_file() and p.read_bytes() == PNG_BYTES for p in (target / "media").iterdir()
    )
    assert target.stat().st_mode & 0o777 == 0o700
    for pem in (target / "keys").glob("*.pem"):
        assert pem.stat().st_mode & 0o777 == 0o600
    assert (target / "signage.db").stat().st_mode & 0o777 == 0o600
    # without the media the restore says what is missing
    report = restore_backup(archive, tmp_path / "bare")
    assert len(report.media_missing) == 1


def test_with_media_includes_them_and_the_restored_server_signs_with_the_same_key(
    old_store: Path, tmp_path: Path
) -> None:
    rotated = run("keys", "rotate", "--data-dir", str(old_store))  # the whole ring travels: old key and new
    assert rotated.returncode == 0, rotated.stderr
    archive = tmp_path / "b.tgz"
    report = create_backup(old_store, archive, with_media=True)
    assert len(report.key_ids) == 2
    target = tmp_path / "new"
    result = run("restore", str(archive), "--data-dir", str(target))
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    old = Service(SchedulerConfig(data_dir=str(old_store)))
    new = Service(SchedulerConfig(data_dir=str(target)))
    try:
        assert new.keyring.active.key_id == old.keyring.active.key_id
        assert new.keyring.public_keys() == old.keyring.public_keys() and len(new.keyring.public_keys()) == 2
        assert new.keyring.introductions() == old.keyring.introductions() != []
        assert [sha for sha, _ in new.media.iter_media()] == [sha for sha, _ in old.media.iter_media()]
        assert len(list(new.media.iter_media())) == 1
        published = new.publisher.publish_all()  # same content, but above the floor: republished
        assert [p.display_id for p in published] == [DISPLAY_ID]
        assert published[0].version > 1_000_000_000_000  # the restore time in ms, far past the old counter
        assert new.publisher.publish_all() == []  # and then only on change again
    finally:
        for service in (old, new):
            service.close()
            service.db.conn.close()


def test_truncated_archive_is_refused_by_name_and_the_target_untouched(old_store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    create_backup(old_store, archive)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = tmp_path / "new"
    result = run("restore", str(cut), "--data-dir", str(target))
    assert result.returncode == 2
    assert str(cut) in result.stderr and "damaged or incomplete" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".new")] == []  # no staging left behind


def test_uncompressed_archive_cut_at_a_member_boundary_misses_its_manifest(old_store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar"
    create_backup(old_store, archive)
    with tarfile.open(archive) as src, tarfile.open(tmp_path / "cut.tar", "w") as dst:
        for member in src:
            if member.name != MANIFEST_NAME:
                dst.addfile(member, src.extractfile(member))
    with pytest.raises(UserError, match=r"backup\.json is missing"):
        restore_backup(tmp_path / "cut.tar", tmp_path / "new")


def test_a_member_that_fails_its_checksum_is_named(old_store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    create_backup(old_store, archive)
    pem = next(name for name in members(archive) if name.startswith("keys/"))
    bad = tmp_path / "bad.tar.gz"
    rewrite(archive, bad, {pem: b"-----BEGIN PRIVATE KEY-----\nrusak\n"})
    target = tmp_path / "new"
    target.mkdir()
    with pytest.raises(UserError, match=f"member {pem} does not match its checksum"):
        restore_backup(bad, target)
    assert list(target.iterdir()) == []


def test_non_empty_target_needs_force(old_store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    create_backup(old_store, archive)
    target = tmp_path / "new"
    target.mkdir()
    (target / "lama.txt").write_text("isi lama")
    result = run("restore", str(archive), "--data-dir", str(target))
    assert result.returncode == 2 and "--force" in result.stderr and "not empty" in result.stderr
    assert (target / "lama.txt").read_text() == "isi lama"
    result = run("restore", str(archive), "--data-dir", str(target), "--force")
    assert result.returncode == 0, result.stderr
    assert not (target / "lama.txt").exists() and (target / "signage.db").is_file()


def test_a_tar_that_is_not_a_backup_and_a_missing_store_are_refused(old_store: Path, tmp_path: Path) -> None:
    other = tmp_path / "lain.tar"
    with tarfile.open(other, "w") as tar:
        data = json.dumps({"format": "something-else"}).encode()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(UserError, match="not a Mempawah signage backup"):
        restore_backup(other, tmp_path / "new")
    result = run("backup", "-o", str(tmp_path / "x.tar"), "--data-dir", str(tmp_path / "kosong"))
    assert result.returncode == 2 and "--data-dir" in result.stderr and "no scheduler store" in result.stderr
    assert not (tmp_path / "x.tar").exists()


def test_unwritable_output_and_target_are_named(old_store: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "berkas"
    blocker.write_text("bukan folder")
    result = run("backup", "-o", str(blocker / "b.tar"), "--data-dir", str(old_store))
    assert result.returncode == 2 and "no backup was written" in result.stderr and str(blocker) in result.stderr
    assert "Traceback" not in result.stderr
    archive = tmp_path / "b.tar"
    create_backup(old_store, archive)
    result = run("restore", str(archive), "--data-dir", str(blocker / "new"))
    assert result.returncode == 2 and "--data-dir" in result.stderr and "Traceback" not in result.stderr
    assert blocker.read_text() == "bukan folder"
