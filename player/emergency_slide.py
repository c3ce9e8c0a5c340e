"""The pushed emergency's slide, drawn by the player itself with the scheduler's slide renderer.

A text emergency in the manifest is a PNG slide the scheduler rendered with :mod:`content.slides`
(the emergency design: red band, warning sign, frame, issuer and time). The push carries the slide's
design fields instead of the picture, so the player renders the same slide at once, at the manifest's
canvas size, into its content-addressed cache; the full manifest then takes over with the same look.
If it cannot be rendered, the emergency is drawn as plain text (never nothing).
"""

from __future__ import annotations

import hashlib
import logging

from content.slides import SlideSpec, render_slide
from player.cache import MediaCache
from signage.canvas import Canvas
from signage.emergency_message import EmergencyMessage
from signage.fsutil import atomic_write_bytes
from signage.manifest import MediaRef

log = logging.getLogger("player.emergency")


class EmergencySlides:
    def __init__(self, cache: MediaCache) -> None:
        self.cache = cache
        self._made: dict[tuple[str, int, int], MediaRef] = {}  # (message id, width, height) -> slide

    def __call__(self, message: EmergencyMessage, canvas: Canvas) -> MediaRef | None:
        key = (message.id, canvas.width, canvas.height)
        made = self._made.get(key)
        if made is not None and self.cache.path_for(made.sha256).is_file():
            return made
        slide = message.slide
        spec = SlideSpec(
            title=slide.get("title") or message.title, body=message.body, style=slide.get("style") or "emergency",
            severity=slide.get("severity") or "emergency", header=slide.get("header") or "",
            issuer=slide.get("issuer") or "", issued=slide.get("issued") or "",
        )  # fmt: skip
        try:
            png = render_slide(spec, Canvas(canvas.width, canvas.height)).png
            sha256 = hashlib.sha256(png).hexdigest()
            path = self.cache.path_for(sha256)
            if not path.is_file():
                atomic_write_bytes(path, png)
        except Exception as exc:  # a font or disk problem must not keep the emergency off the screen
            log.warning("emergency %s: slide not rendered (%s); showing it as text", message.item_id, exc)
            return None
        made = MediaRef(sha256, len(png), "image/png", f"local:{sha256}")
        self._made[key] = made
        return made
