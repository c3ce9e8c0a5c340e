"""Self-health: process metrics, the heartbeat document, the render watchdog.

:func:`heartbeat_payload` builds the shared ``signage.apimodels.Heartbeat`` model
(``scheduler/api_player.py``) from the status file's snapshot.
:class:`RenderWatchdog` notices a renderer that stopped advancing (a playing
video without new frames, an animated zone not repainted, a runner whose item
ended without a new one) or a process above its memory ceiling and asks for
the presenter to be rebuilt at the next item boundary.
"""

from __future__ import annotations

import base64
import ctypes
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from signage import __version__
from signage.apimodels import Heartbeat
from signage.manifest import SCHEMA_NUMBERS
from signage.reason_codes import coded

log = logging.getLogger("player.health")

HEARTBEAT_STATUSES = ("playing", "slate", "enrolling", "off", "local_folder", "last_good", "error")
MAX_CACHE_ENTRIES = 20_000
MAX_WARNINGS = 50
MAX_EMERGENCY_ITEMS = 50
SCREENSHOT_MAX_WIDTH_PX = 640
WATCHDOG_INTERVAL_MS = 2000
#: An item whose end passed this long ago without a new cue means the runner's timer is lost.
TIMELINE_STALL_S = 5.0
#: An animated zone not repainted for this long.
PAINT_STALL_S = 10.0


def memory_rss_bytes() -> int | None:
    """Resident memory of this process (Linux /proc, Windows psapi), or None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    if sys.platform == "win32":  # pragma: no cover - Windows only
        class Counters(ctypes.Structure):
            _fields_ = [("cb", ctypes.c_ulong), ("PageFaultCount", ctypes.c_ulong),
                        ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                        ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaNonPagedPoolUsage", ctypes.c_size_t), ("PagefileUsage", ctypes.c_size_t),
                        ("PeakPagefileUsage", ctypes.c_size_t)]

        counters = Counters()
        counters.cb = ctypes.sizeof(Counters)
        windll = ctypes.windll  # type: ignore[attr-defined]
        handle = windll.kernel32.GetCurrentProcess()
        if windll.psapi.GetProcessMemoryInfo(handle, ctypes.byref(counters), counters.cb):
            return int(counters.WorkingSetSize)
    return None


def free_disk_bytes(path: Path) -> int | None:
    try:
        return int(shutil.disk_usage(path).free)
    except OSError:
        return None


def heartbeat_status(status: dict[str, Any]) -> str:
    state = status.get("state")
    source = status.get("source")
    if state == "enrolling":
        return "enrolling"
    if state == "off":
        return "off"
    if state == "playing":
        if source == "local":
            return "local_folder"
        if source == "last_good":
            return "last_good"
        return "playing"
    if state == "error":
        return "error"
    return "slate"


def heartbeat_payload(
    status: dict[str, Any],
    cache: list[str],
    data_dir: Path,
    *,
    screenshot_png_b64: str | None = None,
    update: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``Heartbeat`` document, field for field (``update``: :meth:`player.update.UpdateEngine.report`)."""
    current = status.get("current") or {}
    warnings = [str(w)[:500] for w in (status.get("warnings") or [])][:MAX_WARNINGS]
    codes = status.get("warning_codes") or []
    offset = status.get("clock_offset_s")
    payload: dict[str, Any] = {
        "status": heartbeat_status(status),
        "manifest_version": status.get("manifest_version"),
        "current_item": (str(current["item_id"])[:200] if current.get("item_id") else None),
        "emergency_items": [str(i)[:200] for i in (status.get("emergency_items") or [])][:MAX_EMERGENCY_ITEMS],
        "cache": cache[:MAX_CACHE_ENTRIES],
        "free_disk_bytes": free_disk_bytes(data_dir),
        "memory_rss_bytes": memory_rss_bytes(),
        "clock_offset_s": float(offset) if isinstance(offset, int | float) else None,
        "app_version": __version__,
        "manifest_schemas": list(SCHEMA_NUMBERS),
        "update": update,
        "warnings": warnings,
        "screenshot_png_b64": screenshot_png_b64,
    }
    if isinstance(codes, list) and len(codes) >= len(warnings):  # the same order: warnings[i] is codes[i]
        payload["warning_codes"] = [_coded(c) for c in codes[: len(warnings)]]
    if status.get("clock_fault"):
        payload["clock_fault"] = str(status["clock_fault"])[:500]
        if status.get("clock_fault_code"):
            payload["clock_fault_code"] = _coded(status["clock_fault_code"])
    return Heartbeat.model_validate(payload).model_dump(mode="json")


def _coded(value: Any) -> dict[str, Any]:
    """A status file's ``{"code", "params"}`` as the API takes it (anything else: no code)."""
    return coded(value.get("code"), value.get("params")) if isinstance(value, dict) else coded(None)


def screenshot_png_b64(image: QImage, max_width_px: int = SCREENSHOT_MAX_WIDTH_PX) -> str:
    """A PNG of ``image`` scaled down to at most ``max_width_px`` wide, base64."""
    if image.width() > max_width_px:
        image = image.scaledToWidth(max_width_px, Qt.TransformationMode.SmoothTransformation)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.convertToFormat(QImage.Format.Format_RGB888).save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return base64.b64encode(bytes(data.data())).decode("ascii")


class RenderWatchdog(QObject):
    """Checks the renderer every 2 s; ``rebuildRequested(reason)`` when it is stuck or too big."""

    rebuildRequested = Signal(str)
    timelineStalled = Signal(str)

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        cue_until: Callable[[], datetime | None],
        video_frames: Callable[[], int | None],
        animated: Callable[[], bool],
        paint_count: Callable[[], int],
        memory_ceiling_bytes: int = 0,
        video_stall_s: float = 10.0,
        rss_bytes: Callable[[], int | None] = memory_rss_bytes,
        monotonic_s: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.cue_until = cue_until
        self.video_frames = video_frames
        self.animated = animated
        self.paint_count = paint_count
        self.memory_ceiling_bytes = memory_ceiling_bytes
        self.video_stall_s = video_stall_s
        self.rss_bytes = rss_bytes
        self.monotonic_s = monotonic_s
        self.rebuilds_requested = 0
        self._frames: tuple[int | None, float] = (None, monotonic_s())
        self._paints: tuple[int, float] = (-1, monotonic_s())
        self._requested = False
        self._timer = QTimer(self)
        self._timer.setInterval(WATCHDOG_INTERVAL_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def rebuilt(self) -> None:
        """The presenter was rebuilt: start watching afresh."""
        self._requested = False
        now_s = self.monotonic_s()
        self._frames = (None, now_s)
        self._paints = (-1, now_s)

    @Slot()
    def check(self) -> None:
        now_s = self.monotonic_s()
        until = self.cue_until()
        if until is not None and self.clock() > until + timedelta(seconds=TIMELINE_STALL_S):
            log.warning("render watchdog: the timeline stopped advancing (item ended at %s)", until)
            self.timelineStalled.emit("the timeline stopped advancing")
        frames = self.video_frames()
        if frames is None or frames != self._frames[0]:
            self._frames = (frames, now_s)
        elif now_s - self._frames[1] > self.video_stall_s:
            self._request(f"video shows no new frame for {now_s - self._frames[1]:.0f} s")
        paints = self.paint_count()
        if paints != self._paints[0] or not self.animated():
            self._paints = (paints, now_s)
        elif now_s - self._paints[1] > PAINT_STALL_S:
            self._request(f"no frame painted for {now_s - self._paints[1]:.0f} s")
        if self.memory_ceiling_bytes > 0:
            rss = self.rss_bytes()
            if rss is not None and rss > self.memory_ceiling_bytes:
                self._request(f"memory {rss // 1_000_000} MB above the ceiling of "
                              f"{self.memory_ceiling_bytes // 1_000_000} MB")

    def _request(self, reason: str) -> None:
        if self._requested:
            return
        self._requested = True
        self.rebuilds_requested += 1
        log.warning("render watchdog: %s; rebuilding the renderer at the next item", reason)
        self.rebuildRequested.emit(reason)
