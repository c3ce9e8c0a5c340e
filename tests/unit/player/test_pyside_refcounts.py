"""Guard against PySide6 builds that drop references to None/True (6.12.0 on CPython 3.11).

Such a build aborts any long-running player with ``Fatal Python error: none_dealloc``;
pyproject.toml excludes it, and this test fails loudly if one is installed anyway.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
app = QCoreApplication([])
timer = QTimer()
class Emitter(QObject):
    fired = Signal(int)
emitter = Emitter()
none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(200):
    timer.setInterval(5)
    emitter.fired.emit(1)
print(sys.getrefcount(None) - none_before, sys.getrefcount(True) - true_before)
"""


def test_qt_calls_do_not_leak_references_to_none_or_true() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-500:]
    none_delta, true_delta = (int(v) for v in proc.stdout.split())
    assert abs(none_delta) < 20 and abs(true_delta) < 20, (none_delta, true_delta)
