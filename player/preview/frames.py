"""One instant of one display, drawn by the player's renderer.

For every zone of the manifest's layout the cue comes from the player's own
decision (:func:`player.runner.decide_at`: emergencies, interrupts, operating
hours, fallback, replay past the horizon), the visual from the same factory
the live presenter uses (:mod:`player.render.items`) and the frame from the
same compositor as the canvas (:mod:`player.render.compose`). What differs
from the live screen: a video shows the frame decoded at that offset, the
ticker's position is measured from its item's start, and the first
``TRANSITION_MS`` of an item show the crossfade from the item before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtGui import QImage

from player.preview.stills import VideoStills
from player.render.compose import logical_size, render_image, shown_zones, strip_insets
from player.render.items import idle_visual, placeholder_for, still_visual
from player.render.presenter import TRANSITION_MS
from player.render.visuals import BlackVisual, CrossfadeVisual, EmptyVisual, ImageVisual, Visual
from player.runner import Cue, decide_at
from signage.manifest import Manifest, MediaRef, Zone

MAIN_ZONE = Zone("main", 0.0, 0.0, 1.0, 1.0, 0)


@dataclass(frozen=True)
class ZoneCue:
    zone: Zone
    cue: Cue


class FrameRenderer:
    def __init__(
        self,
        manifest: Manifest,
        media_path: Callable[[MediaRef], Path],
        language: str = "id",
        stills: VideoStills | None = None,
    ) -> None:
        self.manifest = manifest
        self.media_path = media_path
        self.language = language
        self.stills = stills or VideoStills()
        self.failures: dict[str, str] = {}  # item id -> why its own content could not be drawn

    @property
    def size(self) -> tuple[int, int]:
        canvas = self.manifest.canvas
        return logical_size(canvas.width, canvas.height, canvas.rotation)  # the swap undoes itself

    def zones(self) -> list[Zone]:
        zones = list(self.manifest.zones) or [MAIN_ZONE]
        if not any(z.id == "main" for z in zones):
            zones.insert(0, MAIN_ZONE)
        return zones

    def cues(self, moment: datetime) -> list[ZoneCue]:
        source = "manifest"
        return [ZoneCue(zone, decide_at(self.manifest, moment, zone.id, source)) for zone in self.zones()]

    def main_cue(self, moment: datetime) -> Cue:
        return decide_at(self.manifest, moment, "main", "manifest")

    def frame(self, moment: datetime) -> QImage:
        """The output frame (panel pixels, rotation applied) at ``moment``."""
        width, height = self.size
        cues = [(zc.zone, zc) for zc in self.cues(moment)]
        main_layer = next((zc.cue.layer for zone, zc in cues if zone.id == "main"), None)
        painted = [(zone, self._zone_visual(zc, moment)) for zone, zc in shown_zones(cues, main_layer)]
        return render_image(width, height, self.manifest.canvas.rotation, painted)

    def _zone_visual(self, zone_cue: ZoneCue, moment: datetime) -> Visual:
        zone, cue = zone_cue.zone, zone_cue.cue
        overlay = zone.id != "main"
        visual = self._cue_visual(cue, moment, overlay)
        if overlay or cue.start is None or cue.state != "playing":
            return visual
        into_ms = (moment - cue.start).total_seconds() * 1000
        if into_ms >= TRANSITION_MS or isinstance(visual, BlackVisual | EmptyVisual):
            return visual
        before = decide_at(self.manifest, cue.start - timedelta(microseconds=1), zone.id, "manifest")
        if before.state != "playing" or before.item is None or before.item == cue.item:
            return visual
        old = self._cue_visual(before, cue.start, overlay)
        progress = into_ms / TRANSITION_MS
        return CrossfadeVisual(old, visual, lambda: progress)

    def _cue_visual(self, cue: Cue, moment: datetime, overlay: bool) -> Visual:
        timezone = self.manifest.timezone

        def clock() -> datetime:
            return moment

        if cue.state == "off":
            return EmptyVisual() if overlay else BlackVisual()
        if cue.item is None:
            return idle_visual(clock, timezone, self.language, overlay=overlay)
        item = cue.item
        elapsed_s = max(0.0, (moment - cue.start).total_seconds()) if cue.start is not None else 0.0
        if item.type == "video" and item.media is not None:
            image = self.stills.frame(self.media_path(item.media), elapsed_s)
            if image is None:
                self.failures[item.id] = f"video {item.media.sha256[:12]} has no frame to show"
                return placeholder_for(item)
            return ImageVisual(image)
        made = still_visual(item, media_path=self.media_path, clock=clock, timezone=timezone,
                            language=self.language, overlay=overlay, elapsed_s=lambda: elapsed_s,
                            safe_area=strip_insets(self.zones()))
        if made.failure is not None:
            self.failures[item.id] = made.failure
        return made.visual
