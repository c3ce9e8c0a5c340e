"""The media pipeline's English warnings and refusals, said in the staff's words (``scheduler/web/refusals.py``)."""

from __future__ import annotations

from content.pipeline import _upscale_warning
from scheduler.i18n import translator
from scheduler.web.refusals import plain_warning
from signage.canvas import Canvas


def test_a_small_video_is_called_a_video_and_a_small_picture_a_picture() -> None:
    """Found by a staffer's walk: a 640x360 clip was warned about as "Gambarnya kecil" (the picture)."""
    t = translator("id")
    canvases = [Canvas(1920, 1080)]
    video = _upscale_warning(640, 360, canvases, "video")
    picture = _upscale_warning(640, 360, canvases)
    assert video is not None and picture is not None
    assert plain_warning(video, t).startswith("Videonya kecil (640x360) dan diperbesar 3.0 kali")
    assert plain_warning(picture, t).startswith("Gambarnya kecil (640x360)")
    assert _upscale_warning(1920, 1080, canvases, "video") is None
