"""Run an ffmpeg command, reporting progress and failing loudly with ffmpeg's reason."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Sequence

from content.errors import MediaToolError
from content.progress import FfmpegProgress, ProgressCallback, no_progress

FFMPEG = "ffmpeg"
# Flags every run gets: no prompts, quiet stderr, machine-readable progress on stdout.
BASE_FLAGS = ("-nostdin", "-hide_banner", "-loglevel", "error", "-y")
PROGRESS_FLAGS = ("-progress", "pipe:1", "-nostats")


def ffmpeg_command(args: Sequence[str]) -> list[str]:
    """The full argv for ``args`` (without the progress flags)."""
    return [FFMPEG, *BASE_FLAGS, *args]


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration_s: float | None = None,
    progress: ProgressCallback = no_progress,
    timeout_s: float | None = None,
) -> None:
    """Run ffmpeg with ``args``; raise :class:`MediaToolError` if it fails or times out."""
    argv = ffmpeg_command([*PROGRESS_FLAGS, *args])
    parser = FfmpegProgress(duration_s)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True)
        timed_out = threading.Event()

        def kill_on_timeout() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout_s, kill_on_timeout) if timeout_s else None
        if timer:
            timer.daemon = True
            timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                percent = parser.feed(line)
                if percent is not None:
                    progress(percent)
            returncode = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            if timer:
                timer.cancel()
            if proc.stdout:
                proc.stdout.close()
        if timed_out.is_set():
            raise MediaToolError(f"ffmpeg took longer than {timeout_s:.0f} s and was stopped")
        if returncode != 0:
            err.seek(0)
            tail = err.read()[-2000:].decode("utf-8", "replace").strip()
            raise MediaToolError(f"ffmpeg failed (exit {returncode}): {tail or 'no message'}")
