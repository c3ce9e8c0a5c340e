"""Where a preview reads a display's published manifest and media.

``StoreSource`` reads a scheduler's data directory directly (read-only: the
manifest files ``manifests/<display>/<version>.json`` and the content-addressed
``media/<sha256>``), so it needs no running scheduler and never writes to it.
``ApiSource`` reads the same over the scheduler's admin API, for an officer's
laptop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import requests

from signage.errors import UserError
from signage.manifest import Manifest, ManifestFormatError, MediaRef, parse_manifest

VERSION_FILE = re.compile(r"^(\d+)\.json$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DisplayInfo:
    id: str
    name: str


class PreviewSource(Protocol):
    def displays(self) -> list[DisplayInfo]: ...

    def manifest(self, display_id: str) -> Manifest: ...

    def media_path(self, ref: MediaRef) -> Path: ...


def parse_envelope(data: bytes, origin: str) -> Manifest:
    try:
        return parse_manifest(json.loads(data)["manifest"])
    except (ValueError, KeyError, TypeError, ManifestFormatError) as exc:
        raise UserError(f"{origin}: not a readable manifest ({exc})") from None


def _unknown(display_id: str, known: list[DisplayInfo]) -> UserError:
    names = ", ".join(d.id for d in known) or "none yet (approve an announcement first)"
    return UserError(f"display {display_id!r} has no published manifest; displays with one: {names}", field="display")


class StoreSource:
    """A scheduler data directory (``--data-dir``), read-only."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        if not (self.data_dir / "manifests").is_dir():
            raise UserError(
                f"{self.data_dir}: no scheduler data here (no manifests/ folder); pass the scheduler's --data-dir",
                field="data_dir",
            )

    def _versions(self, display_id: str) -> list[tuple[int, Path]]:
        folder = self.data_dir / "manifests" / display_id
        if not folder.is_dir() or "/" in display_id or display_id.startswith("."):
            return []
        found = []
        for path in folder.iterdir():
            match = VERSION_FILE.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
        return sorted(found)

    def displays(self) -> list[DisplayInfo]:
        out = []
        for folder in sorted((self.data_dir / "manifests").iterdir()):
            if folder.is_dir() and self._versions(folder.name):
                out.append(DisplayInfo(folder.name, folder.name))
        return out

    def manifest(self, display_id: str) -> Manifest:
        versions = self._versions(display_id)
        if not versions:
            raise _unknown(display_id, self.displays())
        path = versions[-1][1]
        return parse_envelope(path.read_bytes(), str(path))

    def media_path(self, ref: MediaRef) -> Path:
        if not SHA256.match(ref.sha256):
            raise UserError(f"media {ref.sha256!r} is not a sha256")
        return self.data_dir / "media" / ref.sha256


class ApiSource:
    """A running scheduler's admin API (an approver's or officer's account); media cached locally."""

    def __init__(self, server_url: str, username: str, password: str, cache_dir: Path, timeout_s: float = 30.0) -> None:
        self.server_url = server_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.cache_dir = Path(cache_dir)
        self.timeout_s = timeout_s

    def _get(self, path: str) -> requests.Response:
        try:
            response = self.session.get(self.server_url + path, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise UserError(f"cannot reach {self.server_url}: {exc}", field="server") from None
        if response.status_code == 401:
            raise UserError("the scheduler refused the user name or password", field="user")
        return response

    def displays(self) -> list[DisplayInfo]:
        response = self._get("/api/v1/admin/displays")
        response.raise_for_status()
        rows = response.json()
        rows = rows.get("displays", rows) if isinstance(rows, dict) else rows
        return [DisplayInfo(str(r["id"]), str(r.get("name") or r["id"])) for r in rows]

    def manifest(self, display_id: str) -> Manifest:
        response = self._get(f"/api/v1/admin/displays/{quote(display_id, safe='')}/manifest")
        if response.status_code == 404:
            raise _unknown(display_id, self.displays())
        response.raise_for_status()
        return parse_envelope(response.content, f"{self.server_url} manifest of {display_id}")

    def media_path(self, ref: MediaRef) -> Path:
        if not SHA256.match(ref.sha256):
            raise UserError(f"media {ref.sha256!r} is not a sha256")
        path = self.cache_dir / ref.sha256
        if not path.is_file():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            response = self._get(f"/api/v1/admin/media/{ref.sha256}")
            if response.status_code == 200:
                tmp = path.with_suffix(".part")
                tmp.write_bytes(response.content)
                tmp.replace(path)
        return path


class FileSource:
    """One manifest file (an envelope, signed or not) and a media folder: the scheduler's previews
    of announcements that are not published yet."""

    def __init__(self, manifest_file: Path, media_dir: Path) -> None:
        self.manifest_file = Path(manifest_file)
        self.media_dir = Path(media_dir)
        try:
            data = self.manifest_file.read_bytes()
        except OSError as exc:
            raise UserError(f"--manifest-file: cannot read {self.manifest_file}: {exc.strerror}",
                            field="manifest_file") from None
        self._manifest = parse_envelope(data, str(self.manifest_file))

    def displays(self) -> list[DisplayInfo]:
        return [DisplayInfo(self._manifest.display_id, self._manifest.display_id)]

    def manifest(self, display_id: str) -> Manifest:
        if display_id != self._manifest.display_id:
            raise _unknown(display_id, self.displays())
        return self._manifest

    def media_path(self, ref: MediaRef) -> Path:
        if not SHA256.match(ref.sha256):
            raise UserError(f"media {ref.sha256!r} is not a sha256")
        return self.media_dir / ref.sha256
