"""``signage restore``: a backup archive (scheduler/backup.py) into a new data folder.

Everything is unpacked into a hidden staging folder next to the target and
checked there (every member's sha256 and size against ``backup.json``, no
member missing or extra, the store's integrity); the target is touched only
once all of that passed. The restored store gets a version floor
(scheduler/version_floor.py) so the players the old machine served accept the
next manifest and never see a version number twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from scheduler.backup import CHUNK_BYTES, FORMAT, FORMAT_VERSION, MANIFEST_NAME, SHA256_HEX_LEN, STORE_NAME
from signage.errors import UserError

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
MEDIA_FILE_MODE = 0o644


@dataclass
class RestoreReport:
    data_dir: Path
    files: int
    version_floor: int
    created_at: str
    media_missing: list[str] = field(default_factory=list)  # sha256 of media neither in the archive nor --media-dir
    media_copied: int = 0
    config_path: Path | None = None


def _corrupt(archive: Path, what: str) -> UserError:
    return UserError(
        f"{archive}: {what}; the archive is damaged or incomplete (copy it again, or use another backup). "
        "Nothing was restored.",
        field="archive",
    )


def _safe_name(archive: Path, member: tarfile.TarInfo) -> PurePosixPath:
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise _corrupt(archive, f"unsafe member name {member.name!r}")
    if not member.isfile():
        raise _corrupt(archive, f"member {member.name!r} is not a regular file")
    return name


def _copy_hashing(source: IO[bytes], target: Path, mode: int) -> tuple[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    digest = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


def _member_mode(name: PurePosixPath) -> int:
    if name.parts[0] == "media":
        return MEDIA_FILE_MODE
    if name.parts[0] == "manifests":
        return 0o644
    return PRIVATE_FILE_MODE


def _unpack(archive: Path, staging: Path) -> tuple[dict[str, Any], dict[str, tuple[str, int]]]:
    """Unpack every member into ``staging``; the manifest and what each member really hashes to."""
    seen: dict[str, tuple[str, int]] = {}
    manifest_bytes: bytes | None = None
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = _safe_name(archive, member)
                source = tar.extractfile(member)
                assert source is not None  # a regular file (checked above)
                if str(name) == MANIFEST_NAME:
                    manifest_bytes = source.read()
                    if len(manifest_bytes) != member.size:
                        raise _corrupt(archive, f"{MANIFEST_NAME} is cut short")
                    continue
                if str(name) in seen:
                    raise _corrupt(archive, f"member {name} appears twice")
                seen[str(name)] = _copy_hashing(source, staging / name, _member_mode(name))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, tarfile.TarError) and exc.errno is not None:
            raise  # the disk, not the archive (full, read-only...): propagate as is
        raise _corrupt(archive, f"cannot be read ({exc})") from exc
    if manifest_bytes is None:
        raise _corrupt(archive, f"{MANIFEST_NAME} is missing (an archive cut short loses it: it is the last member)")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as exc:
        raise _corrupt(archive, f"{MANIFEST_NAME} is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError(f"{archive}: not a Mempawah signage backup (made by `signage backup`)", field="archive")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise UserError(
            f"{archive}: backup format {manifest.get('format_version')!r} is newer than this program reads "
            f"({FORMAT_VERSION}); restore with the signage version that made it ({manifest.get('signage_version')})",
            field="archive",
        )
    return manifest, seen


def _verify(archive: Path, manifest: dict[str, Any], seen: dict[str, tuple[str, int]]) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise _corrupt(archive, f"{MANIFEST_NAME} has no file list")
    for name, expected in sorted(files.items()):
        if name not in seen:
            raise _corrupt(archive, f"member {name} is missing")
        sha256, size = seen[name]
        if size != expected.get("size") or sha256 != expected.get("sha256"):
            raise _corrupt(archive, f"member {name} does not match its checksum (sha256 {sha256[:16]}…, {size} bytes)")
    extra = sorted(set(seen) - set(files))
    if extra:
        raise _corrupt(archive, f"member {extra[0]} is not in {MANIFEST_NAME}")
    if STORE_NAME not in seen:
        raise _corrupt(archive, f"the store {STORE_NAME} is missing")


def _check_store(archive: Path, store: Path) -> None:
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise _corrupt(archive, f"the store does not open ({exc})") from exc
    finally:
        connection.close()
    if result != "ok":
        raise _corrupt(archive, f"the store fails its integrity check ({result})")


def _copy_media(manifest: dict[str, Any], staging: Path, media_dir: Path | None) -> tuple[int, list[str]]:
    """Copy the media the archive only lists from ``media_dir`` (checking each sha256); (copied, missing)."""
    copied, missing = 0, []
    for entry in manifest.get("media") or []:
        sha256 = str(entry.get("sha256", ""))
        if entry.get("included") or len(sha256) != SHA256_HEX_LEN:
            continue
        source = media_dir / sha256 if media_dir is not None else None
        if source is None or not source.is_file():
            missing.append(sha256)
            continue
        target = staging / "media" / sha256
        with source.open("rb") as fh:
            digest, _ = _copy_hashing(fh, target, MEDIA_FILE_MODE)
        if digest != sha256:
            target.unlink()
            missing.append(sha256)
            continue
        copied += 1
    return copied, missing


def _raise_floor(staging: Path) -> int:
    """Migrate the restored store to this version and raise its version floor."""
    from scheduler.store import open_store
    from scheduler.version_floor import restore_floor
    from signage.clock import format_utc, system_clock

    db = open_store(staging / STORE_NAME)
    try:
        return restore_floor(db, format_utc(system_clock()))
    finally:
        db.conn.close()


def _is_empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _move_into(staging: Path, target: Path, force: bool) -> None:
    if not target.exists():
        staging.replace(target)
        return
    if force:
        for child in target.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    for child in staging.iterdir():
        child.replace(target / child.name)
    staging.rmdir()
    os.chmod(target, PRIVATE_DIR_MODE)


def restore_backup(
    archive: Path, target: Path, *, force: bool = False, media_dir: Path | None = None
) -> RestoreReport:
    """Restore ``archive`` into ``target`` (a new or empty folder; any folder with ``force``)."""
    archive, target = Path(archive), Path(target)
    if not archive.is_file():
        raise UserError(f"{archive}: no such backup file", field="archive")
    if target.exists() and not target.is_dir():
        raise UserError(f"--data-dir: {target} is a file, not a folder", field="data_dir")
    if not force and not _is_empty(target):
        raise UserError(
            f"--data-dir: {target} is not empty; restore into a new or empty folder, or pass --force to replace "
            "its contents",
            field="data_dir",
        )
    if media_dir is not None and not Path(media_dir).is_dir():
        raise UserError(f"--media-dir: {media_dir} is not a folder", field="media_dir")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.restore-"))
    except OSError as exc:
        raise UserError(f"--data-dir: cannot write next to {target} ({exc.strerror or exc})", field="data_dir") from exc
    os.chmod(staging, PRIVATE_DIR_MODE)
    try:
        manifest, seen = _unpack(archive, staging)
        _verify(archive, manifest, seen)
        _check_store(archive, staging / STORE_NAME)
        copied, missing = _copy_media(manifest, staging, Path(media_dir) if media_dir is not None else None)
        for folder in (staging / "keys",):
            if folder.is_dir():
                os.chmod(folder, PRIVATE_DIR_MODE)
        floor = _raise_floor(staging)
        _move_into(staging, target, force)
    except OSError as exc:  # the disk (full, read-only), not the archive: nothing was restored either
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(
            f"--data-dir: cannot write the restore into {target} ({exc.strerror or exc}); nothing was restored",
            field="data_dir",
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    config = target / "config" / "scheduler.yaml"
    return RestoreReport(
        target,
        files=len(seen),
        version_floor=floor,
        created_at=str(manifest.get("created_at")),
        media_missing=missing,
        media_copied=copied,
        config_path=config if config.is_file() else None,
    )
