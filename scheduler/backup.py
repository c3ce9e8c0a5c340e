"""``signage backup``: one tar(.gz) of a scheduler's state, taken while it runs.

The archive holds

- ``signage.db``: the store, copied with SQLite's online backup API (a
  consistent snapshot; the running scheduler keeps writing meanwhile);
- ``keys/*.pem``: the signing key ring (private keys: the archive is a secret);
- ``manifests/**``: the signed manifests the store refers to;
- ``media/.meta/*``: media sizes and types, and with ``--with-media`` the media
  themselves (``media/<sha256>``); without it the manifest lists every medium by
  sha256 and size for a separate, incremental copy (rsync);
- ``config/scheduler.yaml`` when a config file was given;
- ``backup.json`` (the last member): format, versions, the sha256 and size of
  every member and the media list. A truncated archive therefore lacks it.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signage import __version__
from signage.clock import format_utc, system_clock
from signage.errors import UserError
from signage.fsutil import atomic_writer

FORMAT = "mempawah-signage-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "backup.json"
STORE_NAME = "signage.db"
ARCHIVE_MODE = 0o600  # private keys and token hashes inside
CHUNK_BYTES = 1 << 20
SHA256_HEX_LEN = 64


@dataclass
class BackupReport:
    path: Path
    files: int
    bytes_total: int
    media_included: int
    media_listed: int
    key_ids: list[str] = field(default_factory=list)


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def snapshot_store(store: Path, target: Path) -> None:
    """Copy the live store to ``target`` with SQLite's online backup API (readers and writers go on)."""
    source = sqlite3.connect(str(store), timeout=30)  # read-write open: a WAL store needs its -shm; nothing is written
    try:
        source.execute("PRAGMA busy_timeout = 30000")
        destination = sqlite3.connect(str(target))
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def _store_facts(snapshot: Path) -> tuple[list[str], dict[str, int]]:
    """The signing key ids and the highest manifest version per display in the snapshot."""
    connection = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    try:
        keys = [str(row[0]) for row in connection.execute("select key_id from signing_keys order by rowid")]
        versions = {
            str(row[0]): int(row[1])
            for row in connection.execute("select display_id, max(version) from manifests group by display_id")
        }
    finally:
        connection.close()
    return keys, versions


class _Writer:
    """Adds members to the tar and records their checksums."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.files: dict[str, dict[str, Any]] = {}

    def add_bytes(self, name: str, data: bytes, mode: int) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = mode
        info.mtime = int(time.time())
        self.tar.addfile(info, io.BytesIO(data))
        self.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "mode": f"{mode:o}"}

    def add_file(self, name: str, path: Path, mode: int) -> None:
        sha256, size = _sha256_file(path)
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = mode
        info.mtime = int(path.stat().st_mtime)
        with path.open("rb") as fh:
            self.tar.addfile(info, fh)
        self.files[name] = {"sha256": sha256, "size": size, "mode": f"{mode:o}"}


def _media_blobs(media_dir: Path) -> list[Path]:
    if not media_dir.is_dir():
        return []
    return sorted(p for p in media_dir.iterdir() if p.is_file() and len(p.name) == SHA256_HEX_LEN)


def _write_members(
    tar: tarfile.TarFile, data_dir: Path, snapshot: Path, config_path: Path | None, with_media: bool
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Every member, then ``backup.json``; the file checksums, the media list and the key ids."""
    key_ids, versions = _store_facts(snapshot)
    writer = _Writer(tar)
    writer.add_file(STORE_NAME, snapshot, 0o600)
    # The key files are read after the store: every key the snapshot names exists already.
    for key_id in key_ids:
        pem = data_dir / "keys" / f"{key_id}.pem"
        if not pem.is_file():
            raise UserError(f"keys: the store names signing key {key_id} but {pem} is missing")
        writer.add_bytes(f"keys/{key_id}.pem", pem.read_bytes(), 0o600)
    # Manifest files are written before their rows commit: reading them now gives all the snapshot names.
    manifests = data_dir / "manifests"
    if manifests.is_dir():
        for path in sorted(manifests.rglob("*.json")):
            writer.add_bytes(f"manifests/{path.relative_to(manifests).as_posix()}", path.read_bytes(), 0o644)
    media_dir = data_dir / "media"
    meta_dir = media_dir / ".meta"
    if meta_dir.is_dir():
        for path in sorted(meta_dir.glob("*.json")):
            writer.add_bytes(f"media/.meta/{path.name}", path.read_bytes(), 0o644)
    media_list: list[dict[str, Any]] = []
    for blob in _media_blobs(media_dir):
        if with_media:
            writer.add_file(f"media/{blob.name}", blob, 0o644)
            size = writer.files[f"media/{blob.name}"]["size"]
            media_list.append({"sha256": blob.name, "size": size, "included": True})
        else:
            media_list.append({"sha256": blob.name, "size": blob.stat().st_size, "included": False})
    if config_path is not None:
        writer.add_bytes("config/scheduler.yaml", Path(config_path).read_bytes(), 0o600)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": format_utc(system_clock()),
        "signage_version": __version__,
        "source_data_dir": str(data_dir.resolve()),
        "key_ids": key_ids,
        "manifest_versions": versions,
        "with_media": with_media,
        "files": writer.files,
        "media": media_list,
    }
    body = json.dumps(manifest, indent=1, sort_keys=True).encode()
    info = tarfile.TarInfo(MANIFEST_NAME)
    info.size = len(body)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(body))
    return writer.files, media_list, key_ids


def create_backup(
    data_dir: Path, output: Path, *, config_path: Path | None = None, with_media: bool = False
) -> BackupReport:
    """Write the archive ``output`` (gzip-compressed when it ends in .gz/.tgz) from a scheduler's ``data_dir``."""
    data_dir = Path(data_dir)
    output = Path(output)
    store = data_dir / STORE_NAME
    if not store.is_file():
        raise UserError(
            f"--data-dir: no scheduler store at {store}; name the scheduler's data folder",
            field="data_dir",
        )
    if config_path is not None and not Path(config_path).is_file():
        raise UserError(f"--config: {config_path} is not a file", field="config")
    if output.exists() and output.is_dir():
        raise UserError(f"-o: {output} is a folder; name the archive file to write", field="output")
    compress = output.name.endswith((".gz", ".tgz"))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as scratch:
            snapshot = Path(scratch) / STORE_NAME
            snapshot_store(store, snapshot)
            # written 0600 from the start, fsynced, renamed into place: never a half archive under the name
            with (
                atomic_writer(output, mode=ARCHIVE_MODE) as raw,
                tarfile.open(fileobj=raw, mode="w:gz" if compress else "w") as tar,
            ):
                files, media_list, key_ids = _write_members(tar, data_dir, snapshot, config_path, with_media)
    except OSError as exc:  # a disk (full, read-only...) or a file that vanished: no archive is left
        where = exc.filename or output
        message = f"-o {output}: backup failed at {where} ({exc.strerror or exc}); no backup was written"
        raise UserError(message, field="output") from exc
    return BackupReport(
        output,
        files=len(files),
        bytes_total=output.stat().st_size,
        media_included=sum(1 for m in media_list if m["included"]),
        media_listed=sum(1 for m in media_list if not m["included"]),
        key_ids=key_ids,
    )
