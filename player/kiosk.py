"""Kiosk helpers: which screen to cover, keeping the screen awake, no cursor.

The player never opens a dialog: every error is logged and shown (if at all)
on the canvas, because nobody is at the keyboard of a videotron PC.
"""

from __future__ import annotations

import ctypes
import logging
import shutil
import subprocess
import sys
from collections.abc import Mapping

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QCursor, QGuiApplication

log = logging.getLogger("player.kiosk")

# SetThreadExecutionState flags (winbase.h)
ES_CONTINUOUS = 0x80000000
ES_SYSTEM_REQUIRED = 0x00000001
ES_DISPLAY_REQUIRED = 0x00000002


def screen_geometry(index: int) -> QRect | None:
    """Geometry of screen ``index`` (0-based), or None (with a warning) if there is no such screen."""
    screens = QGuiApplication.screens()
    if 0 <= index < len(screens):
        return screens[index].geometry()
    log.warning("no screen %d (this PC has %d); using the primary screen", index, len(screens))
    return None


def hide_cursor() -> None:
    """Hide the mouse cursor application-wide (the canvas hides it too)."""
    if QGuiApplication.overrideCursor() is None:
        QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))


def prevent_blanking(platform: str = sys.platform, environ: Mapping[str, str] | None = None,
                     qpa: str = "") -> str:
    """Switch off screen savers / power saving for the display; return what was done."""
    import os

    environ = os.environ if environ is None else environ
    if platform == "win32":
        try:
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetThreadExecutionState(ES_CONTINUOUS | ES_DISPLAY_REQUIRED | ES_SYSTEM_REQUIRED)
        except (AttributeError, OSError) as exc:
            log.warning("cannot keep the display awake: %s", exc)
            return "failed"
        log.info("display kept awake (SetThreadExecutionState)")
        return "windows"
    if qpa in ("offscreen", "minimal"):
        return "offscreen"
    if environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        xset = shutil.which("xset")
        if xset is None:
            log.warning("xset is not installed: cannot switch off X11 screen blanking "
                        "(apt-get install x11-xserver-utils)")
            return "no-xset"
        ok = True
        for args in (["s", "off"], ["s", "noblank"], ["-dpms"]):
            try:
                subprocess.run([xset, *args], check=True, timeout=5, capture_output=True)
            except (subprocess.SubprocessError, OSError) as exc:
                log.warning("xset %s failed: %s", " ".join(args), exc)
                ok = False
        if ok:
            log.info("X11 screen blanking and DPMS switched off (xset s off -dpms)")
        return "xset" if ok else "failed"
    log.info("screen blanking not changed (no X11 display; configure the compositor/OS power settings)")
    return "unchanged"
