"""Inbox folder: files dropped into ``inbox/<group>/`` become draft announcements.

* A file is taken only once its size and mtime have stayed the same for
  ``settle_s`` (it may still be copying over SMB/USB).
* ``<stem>.yaml`` / ``.yml`` next to it (optional) sets title, dates and layer.
* The caller's ``handle(drop)`` does the work (usually :func:`pipeline_handler`,
  which ingests and calls the scheduler's ``create_draft``). Nothing is published.
* Success removes the file (the original is kept in the media store). Failure
  moves it to ``inbox/failed/`` with ``<name>.error.txt`` saying why.

Watchdog events only wake the loop early; a periodic scan is the source of truth,
so files dropped while the service was down are picked up too.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from content.canvas import FitMode, Rgb
from content.drafts import CanvasesForGroup, CreateDraft, DraftRequest
from content.errors import IngestRefused
from content.names import title_from_name
from content.pipeline import ingest
from content.sidecar import SIDECAR_SUFFIXES, Sidecar, SidecarError, read_sidecar, sidecar_for
from content.store import MediaStore
from signage.errors import UserError
from signage.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

FAILED_DIR = "failed"
RESERVED_DIRS = frozenset({FAILED_DIR})
TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", ".filepart", "~")


@dataclass(frozen=True)
class InboxDrop:
    path: Path
    group: str
    sidecar: Sidecar


DropHandler = Callable[[InboxDrop], object]


@dataclass(frozen=True)
class InboxOutcome:
    name: str
    group: str | None
    ok: bool
    error: str | None = None
    failed_path: Path | None = None


@dataclass
class _Seen:
    signature: tuple[int, int]
    since: float
    sidecar_signature: tuple[int, int] | None = None


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _is_candidate(path: Path) -> bool:
    name = path.name
    return not (
        name.startswith(".")
        or name.lower().endswith(TEMP_SUFFIXES)
        or name.lower().endswith(SIDECAR_SUFFIXES)
        or name.endswith(".error.txt")
    )


@dataclass
class InboxWatcher:
    root: Path
    handle: DropHandler
    settle_s: float = 2.0
    poll_s: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[Path, _Seen] = field(default_factory=dict, init=False)
    _wake: threading.Event = field(default_factory=threading.Event, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _observer: object | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        (self.root / FAILED_DIR).mkdir(parents=True, exist_ok=True)

    # -- one pass (deterministic; the tests drive this with a fake clock) -----------------

    def candidates(self) -> list[Path]:
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            here = Path(dirpath)
            if here == self.root:
                dirnames[:] = sorted(d for d in dirnames if d not in RESERVED_DIRS)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found.extend(here / f for f in sorted(filenames) if _is_candidate(here / f))
        return found

    def poll(self) -> list[InboxOutcome]:
        """Check every candidate once; handle those that have settled."""
        now = self.clock()
        outcomes: list[InboxOutcome] = []
        current = self.candidates()
        for gone in set(self._seen) - set(current):
            del self._seen[gone]
        for path in current:
            signature = _signature(path)
            if signature is None:
                continue
            side = sidecar_for(path)
            side_sig = _signature(side) if side else None
            seen = self._seen.get(path)
            if seen is None or (seen.signature, seen.sidecar_signature) != (signature, side_sig):
                self._seen[path] = _Seen(signature, now, side_sig)
                continue
            if now - seen.since < self.settle_s:
                continue
            del self._seen[path]
            outcomes.append(self._process(path, side))
        return outcomes

    def _process(self, path: Path, side: Path | None) -> InboxOutcome:
        relative = path.relative_to(self.root)
        group = relative.parts[0] if len(relative.parts) == 2 else None
        try:
            if len(relative.parts) == 1:
                raise UserError("files must be put in a group folder, e.g. inbox/<group>/" + path.name)
            if group is None:
                raise UserError("put files directly in inbox/<group>/, not in a sub-folder of it")
            sidecar = read_sidecar(side) if side else Sidecar()
            self.handle(InboxDrop(path, group, sidecar))
        except (UserError, SidecarError, IngestRefused) as exc:
            return self._fail(path, side, group, str(exc))
        except Exception as exc:
            log.exception("inbox: ingesting %s failed", path)
            return self._fail(
                path, side, group,
                f"internal error ({type(exc).__name__}: {exc}); tell the administrator.",
            )  # fmt: skip
        for done in (path, side):
            if done is not None:
                done.unlink(missing_ok=True)
        log.info("inbox: %s ingested for group %s", relative, group)
        return InboxOutcome(path.name, group, True)

    def _fail(self, path: Path, side: Path | None, group: str | None, reason: str) -> InboxOutcome:
        failed_dir = self.root / FAILED_DIR
        target = _free_name(failed_dir, path.name)
        try:
            shutil.move(path, target)
            if side is not None and side.exists():
                shutil.move(side, _free_name(failed_dir, target.stem + side.suffix))
        except OSError:
            log.exception("inbox: could not move %s to %s", path, failed_dir)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        text = (
            f"File: {path.name}\nGroup: {group or '-'}\nWhen: {stamp}\n\n"
            f"Why it was not accepted:\n{reason}\n\n"
            "Fix the problem and drop the file into inbox/<group>/ again.\n"
        )
        atomic_write_bytes(target.with_name(target.name + ".error.txt"), text.encode("utf-8"))  # read whole or not
        log.warning("inbox: %s refused: %s", path.name, reason)
        return InboxOutcome(path.name, group, False, reason, target)

    # -- background service ---------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        observer = Observer()
        observer.schedule(_Wake(self._wake), str(self.root), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="inbox-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        observer = self._observer
        if observer is not None:
            observer.stop()  # type: ignore[attr-defined]
            observer.join()  # type: ignore[attr-defined]
            self._observer = None

    def __enter__(self) -> InboxWatcher:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # keep the service alive; the next pass retries
                log.exception("inbox: scan failed")
            pending = bool(self._seen)
            # While files are settling, re-check at the poll rate; else sleep until an event.
            self._wake.wait(self.poll_s if pending else max(self.poll_s, 30.0))
            self._wake.clear()


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event) -> None:
        self._event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._event.set()


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 2
    while target.exists() or target.with_name(target.name + ".error.txt").exists():
        target = folder / f"{stem} ({counter}){suffix}"
        counter += 1
    return target


def pipeline_handler(
    store: MediaStore,
    canvases_for_group: CanvasesForGroup,
    create_draft: CreateDraft,
    *,
    fit: FitMode | str = FitMode.CONTAIN,
    background: Rgb | str = "#000000",
    keep_audio: bool = False,
) -> DropHandler:
    """The usual ``handle``: ingest the drop, then ask the scheduler for a draft."""

    def handle(drop: InboxDrop) -> None:
        canvases = list(canvases_for_group(drop.group))
        if not canvases:
            raise UserError(f"group {drop.group!r} has no displays (unknown group?)")
        result = ingest(drop.path, store, canvases, fit, background, keep_audio)
        create_draft(
            DraftRequest(
                result=result,
                title=drop.sidecar.title or title_from_name(drop.path.name),
                group=drop.group,
                starts_at=drop.sidecar.starts_at,
                ends_at=drop.sidecar.ends_at,
                layer=drop.sidecar.layer,
                source="inbox",
            )
        )

    return handle
