"""Overlay zones: every zone of the layout other than ``main``.

Each overlay zone gets its own :class:`TimelineRunner` (``overlay`` segments
in that zone, e.g. a news ticker or a clock strip) and a
:class:`ZonePresenter` that paints nothing while the zone has no item, so the
main zone shows through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from player.cache import LoadedManifest
from player.render.presenter import ZonePresenter
from player.runner import TimelineRunner
from signage.manifest import MediaRef, Zone

log = logging.getLogger("player.overlays")


class OverlayZones(QObject):
    changed = Signal()  # some overlay needs a repaint

    def __init__(
        self,
        clock: Callable[[], datetime],
        media_path: Callable[[MediaRef], Path],
        language: str = "id",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.media_path = media_path
        self.language = language
        self._zones: list[tuple[Zone, TimelineRunner, ZonePresenter]] = []
        self._layout_key: tuple[Zone, ...] = ()

    def zones(self) -> list[tuple[Zone, ZonePresenter]]:
        return [(zone, presenter) for zone, _runner, presenter in self._zones]

    def set_manifest(self, loaded: LoadedManifest | None) -> None:
        zones = tuple(z for z in loaded.manifest.zones if z.id != "main") if loaded else ()
        if zones != self._layout_key:
            self._teardown()
            timezone = loaded.manifest.timezone if loaded else "Asia/Pontianak"
            for zone in zones:
                self._zones.append((zone, *self._build(zone, timezone)))
            self._layout_key = zones
            if zones:
                log.info("overlay zones: %s", ", ".join(z.id for z in zones))
        for _zone, runner, _presenter in self._zones:
            runner.set_manifest(loaded)

    def shutdown(self) -> None:
        self._teardown()

    def _build(self, zone: Zone, timezone: str) -> tuple[TimelineRunner, ZonePresenter]:
        runner = TimelineRunner(self.clock, zone.id, self)
        presenter = ZonePresenter(zone.id, self.media_path, self.clock, timezone, self.language,
                                  overlay=True, parent=self)
        # per-zone wiring (zones come and go with the layout)
        runner.cueChanged.connect(presenter.show_cue)
        runner.upcoming.connect(presenter.preload)
        presenter.itemFailed.connect(runner.skip)
        presenter.changed.connect(self.changed)
        return runner, presenter

    def _teardown(self) -> None:
        for _zone, runner, presenter in self._zones:
            runner.stop()
            presenter.shutdown()
            runner.deleteLater()
            presenter.deleteLater()
        self._zones = []
        self._layout_key = ()
