"""Local folder fallback: loop the media of a folder (e.g. a USB stick).

Used only while the player has no manifest at all (never enrolled, or the
cache is empty and the scheduler unreachable). Images show for
``IMAGE_DURATION_S``; videos for their length (ffprobe) or
``VIDEO_DEFAULT_S``. A watchdog observer rescans the folder (debounced) when
files appear or disappear; scanning and hashing run on a worker thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from player.cache import LoadedManifest
from signage.clock import format_utc
from signage.manifest import SCHEMA, parse_manifest

log = logging.getLogger("player.local")

IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                  ".webp": "image/webp", ".bmp": "image/bmp"}
VIDEO_SUFFIXES = {".mp4": "video/mp4", ".mkv": "video/x-matroska", ".webm": "video/webm",
                  ".mov": "video/quicktime", ".avi": "video/x-msvideo", ".ts": "video/mp2t"}
IMAGE_DURATION_S = 10.0
VIDEO_DEFAULT_S = 30.0
DEBOUNCE_S = 1.0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def video_duration_s(path: Path) -> float:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return VIDEO_DEFAULT_S
    try:
        out = subprocess.run(
            [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
            capture_output=True, timeout=15, check=True, text=True,
        ).stdout
        duration_s = float(json.loads(out)["format"]["duration"])
    except (subprocess.SubprocessError, OSError, ValueError, KeyError, TypeError):
        return VIDEO_DEFAULT_S
    return duration_s if duration_s > 0 else VIDEO_DEFAULT_S


def scan_folder(folder: Path, timezone: str = "Asia/Pontianak",
                now: datetime | None = None) -> tuple[LoadedManifest | None, dict[str, Path]]:
    """A synthetic manifest whose fallback loops the folder's media (sorted by name)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    items: dict[str, dict[str, Any]] = {}
    paths: dict[str, Path] = {}
    try:
        files = sorted(p for p in Path(folder).iterdir() if p.is_file())
    except OSError as exc:
        log.warning("cannot read local folder %s: %s", folder, exc)
        return None, {}
    for path in files:
        suffix = path.suffix.lower()
        if path.name.startswith(".") or suffix not in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
            continue
        try:
            sha, size = _sha256(path), path.stat().st_size
        except OSError as exc:
            log.warning("skipping %s: %s", path, exc)
            continue
        kind = "image" if suffix in IMAGE_SUFFIXES else "video"
        duration_s = IMAGE_DURATION_S if kind == "image" else video_duration_s(path)
        mime = IMAGE_SUFFIXES.get(suffix) or VIDEO_SUFFIXES[suffix]
        item_id = f"local-{len(items) + 1:03d}"
        items[item_id] = {"type": kind, "duration_s": duration_s, "title": path.name,
                          "media": {"sha256": sha, "size": size, "mime": mime,
                                    "url": path.as_uri()}}
        paths[sha] = path
    if not items:
        return None, {}
    data = {
        "schema": SCHEMA, "display_id": "local", "version": 1,
        "generated_at": format_utc(now), "valid_until": format_utc(now + timedelta(days=3650)),
        "timezone": timezone, "canvas": {"width": 1920, "height": 1080, "rotation": 0},
        "layout": "full", "layouts": {"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1}]},
        "items": items, "timeline": [], "fallback": list(items), "operating_hours": [],
    }
    envelope = json.dumps(data, sort_keys=True).encode()
    return LoadedManifest(parse_manifest(data), envelope, "local"), paths


class _Handler(FileSystemEventHandler):
    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.wake.set()


class LocalFolder(QObject):
    """Watches ``folder``; emits ``changed(LoadedManifest | None)`` after each rescan."""

    changed = Signal(object)
    _scanned = Signal(object, object)  # worker -> GUI thread

    def __init__(self, folder: Path, timezone: str = "Asia/Pontianak",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder)
        self.timezone = timezone
        self.loaded: LoadedManifest | None = None
        self.paths: dict[str, Path] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Any = None
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._scanned.connect(self._on_scanned, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="player-local", daemon=True)
        self._thread.start()
        if self.folder.is_dir():
            observer = Observer()
            observer.schedule(_Handler(self._wake), str(self.folder), recursive=False)
            observer.daemon = True
            observer.start()
            self._observer = observer
        else:
            log.warning("local folder %s does not exist (yet); polling for it", self.folder)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(3)
            self._observer = None
        if self._thread is not None:
            self._thread.join(3)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            loaded, paths = scan_folder(self.folder, self.timezone)
            self._scanned.emit(loaded, paths)
            self._wake.wait(60 if self._observer is not None else 10)
            self._wake.clear()
            self._stopping.wait(DEBOUNCE_S)  # let a copy finish before rescanning

    @Slot(object, object)
    def _on_scanned(self, loaded: LoadedManifest | None, paths: dict[str, Path]) -> None:
        old = self.loaded
        same = (old is None and loaded is None) or (
            old is not None and loaded is not None
            and old.manifest.items == loaded.manifest.items)
        if same:
            return
        self.loaded, self.paths = loaded, paths
        count = len(loaded.manifest.items) if loaded else 0
        log.info("local folder %s: %d playable file(s)", self.folder, count)
        self.changed.emit(loaded)
