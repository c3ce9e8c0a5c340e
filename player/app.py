"""PlayerApp: builds the player's objects and wires them together.

Every signal connection is made in :meth:`PlayerApp._connect_signals`; the
objects themselves know nothing about each other::

    Enroller --enrolled--> PlayerApp --> SyncService (worker thread)
    SyncService --manifestChanged--> TimelineRunner --cueChanged--> ZonePresenter --> Canvas
    SyncService --syncFinished--> clock correction + status file
    ZonePresenter --itemFailed--> TimelineRunner.skip;  TimelineRunner --upcoming--> preload
    OverlayZones (ticker, clock strip ...) --changed--> Canvas
    LocalFolder --changed--> played only while there is no manifest at all
"""

from __future__ import annotations

import logging
from pathlib import Path

import requests
from PySide6.QtCore import QObject, Qt, QTimer, Slot

from player.cache import LoadedManifest, ManifestStore, MediaCache
from player.clock import PlayerClock
from player.enrol import Enroller, display_code
from player.identity import Identity, IdentityError, identity_path, load_identity
from player.localfolder import LocalFolder
from player.overlays import OverlayZones
from player.render.canvas import MAIN_ZONE, Canvas
from player.render.presenter import ZonePresenter
from player.runner import Cue, TimelineRunner
from player.screenshot import Screenshotter
from player.status import StatusFile, iso
from player.sync import SyncEngine, SyncOutcome, SyncService
from player.texts import text
from signage.config import PlayerConfig
from signage.manifest import MediaRef

log = logging.getLogger("player.app")

STATUS_INTERVAL_S = 2.0
WINDOWED_SIZE = (1280, 720)


class PlayerApp(QObject):
    def __init__(
        self,
        config: PlayerConfig,
        *,
        clock: PlayerClock | None = None,
        session: requests.Session | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.data_dir = Path(config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock or PlayerClock()
        self.session = session
        self.identity: Identity | None = None
        self.status = StatusFile(self.data_dir)
        self.cache = MediaCache(self.data_dir / "cache")
        self.store = ManifestStore(self.data_dir / "manifest")
        self.canvas = Canvas(rotation=config.rotation)
        self.presenter = ZonePresenter(
            "main", self._media_path, self.clock, config.timezone, config.language, parent=self
        )
        self.canvas.set_zones([(MAIN_ZONE, self.presenter)])
        self.runner = TimelineRunner(self.clock, "main", self)
        self.overlays = OverlayZones(self.clock, self._media_path, config.language, self)
        self.local: LocalFolder | None = None
        if config.local_folder:
            self.local = LocalFolder(Path(config.local_folder), config.timezone, self)
        self.manifest: LoadedManifest | None = None  # from the cache or the scheduler
        self.enroller = Enroller(
            self.data_dir, config.server_url, config.player_name, session=session, parent=self
        )
        self.sync = SyncService(
            config.poll_interval_s, heartbeat=self.status.snapshot, parent=self
        )
        self.screenshotter: Screenshotter | None = None
        if config.screenshot_path:
            self.screenshotter = Screenshotter(
                self.canvas, Path(config.screenshot_path), config.screenshot_interval_s, self
            )
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(int(STATUS_INTERVAL_S * 1000))
        self._enrolling = False
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.presenter.changed.connect(self.canvas.update)
        self.presenter.itemFailed.connect(self.runner.skip)
        self.presenter.itemFailed.connect(self._on_item_failed)
        self.runner.cueChanged.connect(self._on_cue)
        self.runner.upcoming.connect(self.presenter.preload)
        self.overlays.changed.connect(self.canvas.update)
        if self.local is not None:
            self.local.changed.connect(self._on_local_changed)
        self.enroller.codeChanged.connect(self._on_enrol_code)
        self.enroller.statusChanged.connect(self._on_enrol_status)
        self.enroller.enrolled.connect(self._on_enrolled)
        self.sync.syncFinished.connect(self._on_sync_finished)
        self.sync.manifestChanged.connect(self._on_manifest_changed)
        self._status_timer.timeout.connect(self.status.write)
        if self.screenshotter is not None:
            self.runner.cueChanged.connect(self.screenshotter.capture_soon)

    # -- lifecycle -------------------------------------------------------

    def show_window(self) -> None:
        config = self.config
        if config.geometry:
            x, y, width, height = config.geometry
            self.canvas.setWindowFlag(Qt.WindowType.FramelessWindowHint)
            self.canvas.setGeometry(x, y, width, height)
            self.canvas.show()
        elif config.fullscreen:
            self.canvas.showFullScreen()
        else:
            self.canvas.resize(*WINDOWED_SIZE)
            self.canvas.show()

    def start(self) -> None:
        """Play from the cache at once, then enrol or sync in the background."""
        self.show_window()
        try:
            identity = load_identity(self.data_dir)
        except IdentityError as exc:
            broken = identity_path(self.data_dir)
            log.error("%s; moving it aside and enrolling again", exc)
            broken.replace(broken.with_suffix(".json.broken"))
            identity = None
        if identity is None:
            self._start_enrolment()
        else:
            self._start_with_identity(identity)
        self._status_timer.start()
        if self.local is not None:
            self.local.start()
        if self.screenshotter is not None:
            self.screenshotter.start()
            self.screenshotter.capture_soon()
        self.status.write()

    def shutdown(self) -> None:
        log.info("player stopping")
        if self.screenshotter is not None:
            self.screenshotter.stop()  # first: a screenshot of a half-torn-down canvas would be wrong
        self._status_timer.stop()
        self.runner.stop()
        self.overlays.shutdown()
        if self.local is not None:
            self.local.stop()
        self.enroller.stop()
        self.sync.stop()
        self.presenter.shutdown()
        self.status.write()

    def _start_enrolment(self) -> None:
        self._enrolling = True
        code = self.enroller.code
        self.status.update(state="enrolling", enrol_code=code, source="slate", current=None)
        self._show_enrolment(text(self.config.language, "enrol_contacting"))
        self.enroller.start()

    def _start_with_identity(self, identity: Identity) -> None:
        self._enrolling = False
        self.identity = identity
        self.status.update(display_id=identity.display_id, enrol_code=None)
        loaded = self.store.load(identity.trusted_keys(), self.cache, identity.display_id)
        if loaded is None:
            log.info("no usable cached manifest: slate until the first sync")
        self._apply_manifest(loaded)
        engine = SyncEngine(
            identity,
            self.cache,
            self.store,
            manifest_url=self.config.manifest_url or None,
            current=loaded,
            session=self.session,
        )
        self.sync.start(engine, identity.server_url or self.config.server_url)

    def _apply_manifest(self, loaded: LoadedManifest | None) -> None:
        """Play ``loaded`` (None: no manifest; the local folder if any, else the slate)."""
        self.manifest = loaded
        self.status.update(manifest_version=loaded.version if loaded else None)
        self._play(loaded or (self.local.loaded if self.local is not None else None))

    def _play(self, loaded: LoadedManifest | None) -> None:
        main = MAIN_ZONE
        if loaded is not None:
            manifest = loaded.manifest
            self.presenter.timezone = manifest.timezone
            main = next((z for z in manifest.zones if z.id == "main"), MAIN_ZONE)
        self.overlays.set_manifest(loaded)
        self.canvas.set_zones([(main, self.presenter), *self.overlays.zones()])
        self.runner.set_manifest(loaded)

    def _media_path(self, media: MediaRef) -> Path:
        if self.local is not None and media.sha256 in self.local.paths:
            return self.local.paths[media.sha256]
        return self.cache.path_for(media.sha256)

    def _show_enrolment(self, status_text: str) -> None:
        self.presenter.show_enrolment(
            display_code(self.enroller.code), self.config.server_url, status_text
        )

    # -- slots -----------------------------------------------------------

    @Slot(str)
    def _on_enrol_code(self, code: str) -> None:
        self.status.update(enrol_code=code)
        self._show_enrolment(text(self.config.language, "enrol_contacting"))
        self.status.write()

    @Slot(str, str)
    def _on_enrol_status(self, key: str, detail: str) -> None:
        self._show_enrolment(text(self.config.language, key))
        self.status.update(last_error=None if key == "enrol_pending" else detail)

    @Slot(object)
    def _on_enrolled(self, identity: Identity) -> None:
        self._show_enrolment(text(self.config.language, "enrol_approved"))
        self.status.update(last_error=None)
        self._start_with_identity(identity)
        self.status.write()

    @Slot(object)
    def _on_cue(self, cue: Cue) -> None:
        if self._enrolling:
            return
        self.presenter.show_cue(cue)
        current = None
        if cue.item is not None:
            current = {
                "zone": cue.zone,
                "item_id": cue.item.id,
                "item_type": cue.item.type,
                "title": cue.item.title,
                "since": iso(cue.start),
            }
        self.status.update(
            state=cue.state,
            source=cue.source if cue.state != "slate" else "slate",
            current=current,
        )
        self.status.write()

    @Slot(object)
    def _on_sync_finished(self, outcome: SyncOutcome) -> None:
        if outcome.server_epoch_s is not None and outcome.at_monotonic_s is not None:
            local_s = outcome.local_epoch_s if outcome.local_epoch_s is not None else 0.0
            if self.clock.correct(outcome.server_epoch_s, outcome.at_monotonic_s, local_s):
                self.runner.reevaluate()
            self.status.update(clock_offset_s=round(self.clock.offset_s, 3))
        if outcome.ok:
            self.status.update(last_sync_ok=iso(outcome.finished_at), last_error=None)
        else:
            self.status.update(last_error=outcome.reason)
        self.status.write()

    @Slot(object)
    def _on_manifest_changed(self, loaded: LoadedManifest) -> None:
        self._apply_manifest(loaded)
        self.status.write()

    @Slot(str, str)
    def _on_item_failed(self, item_id: str, reason: str) -> None:
        self.status.update(last_error=f"item {item_id} skipped: {reason}")
        self.status.write()

    @Slot(object)
    def _on_local_changed(self, loaded: LoadedManifest | None) -> None:
        if self.manifest is None and not self._enrolling:
            self._play(loaded)
