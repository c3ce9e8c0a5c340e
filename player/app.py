"""PlayerApp: builds the player's objects and wires them together.

Every signal connection is made in :meth:`PlayerApp._connect_signals` (a
rebuilt main presenter is wired by :meth:`PlayerApp._connect_presenter`); the
objects themselves know nothing about each other::

    Enroller --enrolled--> PlayerApp --> SyncService (worker thread)
    SyncService --manifestChanged--> TimelineRunner --cueChanged--> ZonePresenter --> Canvas
    SyncService --syncFinished--> clock correction + status file
    EventStream (SSE) --manifestHint--> SyncService.trigger; --screenshotRequested--> Reporter
    EventStream --emergencyPushed--> EmergencyBook (verify, keep) --> played over the manifest; ReceiptSender
    ZonePresenter --itemFailed--> TimelineRunner.skip + PlayLog;  TimelineRunner --upcoming--> preload
    TimelineRunner --cueChanged--> PlayLog (proof of play) --> Reporter (worker thread) --> scheduler
    CacheVerifier (worker thread) --corrupt file--> SyncService.media_damaged
    RenderWatchdog --rebuildRequested--> new presenter at the next item boundary
    OverlayZones (ticker, clock strip ...) --changed--> Canvas
    LocalFolder --changed--> played only while there is no manifest at all
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import requests
from PySide6.QtCore import QObject, Qt, QTimer, Slot

from player.cache import LoadedManifest, ManifestStore, MediaCache
from player.clock import ClockFloorFile, PlayerClock
from player.diskwriter import DiskWriter
from player.download import CHUNK_BYTES
from player.emergency import EmergencyBook, overlay
from player.emergency_receipts import ReceiptSender
from player.emergency_slide import EmergencySlides
from player.enrol import CODE_PLACEHOLDER, Enroller, display_code
from player.events import EventStream
from player.fsutil import WriteFaults
from player.health import (
    RenderWatchdog,
    free_disk_bytes,
    heartbeat_payload,
    memory_rss_bytes,
    screenshot_png_b64,
)
from player.identity import Identity, IdentityError, identity_path, load_identity, save_identity
from player.kiosk import hide_cursor, prevent_blanking, screen_geometry
from player.localfolder import LocalFolder
from player.overlays import OverlayZones
from player.playlog import PlayLog
from player.release_state import LAUNCHER_ENV
from player.render.canvas import MAIN_ZONE, CanvasWidget
from player.render.compose import strip_insets
from player.render.presenter import ZonePresenter
from player.render.video import VideoVisual
from player.report import Reporter
from player.runner import Cue, TimelineRunner
from player.screenshot import Screenshotter
from player.sdnotify import SystemdNotifier
from player.status import StatusFile, iso
from player.switch_bridge import mark_painted
from player.switch_handover import SwitchHandover
from player.sync import SyncEngine, SyncOutcome, SyncService
from player.texts import text
from player.tuning import PlayerTuning
from player.update import UpdateEngine
from player.updater import UpdateService
from player.verifier import CacheVerifier
from signage import __version__
from signage.canvas import Canvas
from signage.config import PlayerConfig
from signage.emergency_message import EmergencyRefused
from signage.manifest import MediaRef, Zone
from signage.ratelimit import TokenBucket
from signage.reason_codes import coded

log = logging.getLogger("player.app")

STATUS_INTERVAL_S = 2.0
WINDOWED_SIZE = (1280, 720)
PLAYLOG_FILE = "playlog.sqlite"


class PlayerApp(QObject):
    def __init__(
        self,
        config: PlayerConfig,
        *,
        clock: PlayerClock | None = None,
        session: requests.Session | None = None,
        tuning: PlayerTuning | None = None,
        time_scale: float = 1.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.tuning = tuning or PlayerTuning()
        self.data_dir = Path(config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock or PlayerClock()
        self.session = session
        self.started_mono_s = time.monotonic()
        self.identity: Identity | None = None
        self.faults = WriteFaults()  # every write path reports a full or failing disk here
        self.disk_writer = DiskWriter()  # commits and fsyncs off the GUI thread (a slow disk must not freeze frames)
        self.status = StatusFile(self.data_dir, wall_clock=self.clock, faults=self.faults)
        self.clock_floor = ClockFloorFile(self.data_dir, self.faults, writer=self.disk_writer)
        self._free_disk_bytes: int | None = None  # measured at each status tick, not at each item change
        self.cache = MediaCache(self.data_dir / "cache", quota_bytes=self.tuning.cache_quota_bytes)
        self.store = ManifestStore(self.data_dir / "manifest")
        self.limiter = TokenBucket(self.tuning.max_bandwidth_bps, CHUNK_BYTES)
        self.canvas = CanvasWidget(rotation=config.rotation)
        self.presenter = self._new_presenter()
        self._main_zone: Zone = MAIN_ZONE
        self.canvas.set_zones([(MAIN_ZONE, self.presenter)])
        self.runner = TimelineRunner(self.clock, "main", self, time_scale=time_scale)
        self.overlays = OverlayZones(self.clock, self._media_path, config.language, self)
        self.local: LocalFolder | None = None
        if config.local_folder:
            self.local = LocalFolder(Path(config.local_folder), config.timezone, self)
        self.manifest: LoadedManifest | None = None  # from the cache or the scheduler
        self.enroller = Enroller(
            self.data_dir, config.server_url, config.player_name, session=session,
            server_key=config.server_key_fingerprint, parent=self
        )
        self.sync = SyncService(config.poll_interval_s, parent=self)
        self.events = EventStream(self)
        self.verifier = CacheVerifier(self.cache, self.tuning.verify_interval_s, self.sync.media_damaged)
        self.playlog: PlayLog | None = None
        self.reporter: Reporter | None = None
        self.updates = UpdateService(self.data_dir, config.poll_interval_s, self.faults)
        self.emergencies: EmergencyBook | None = None  # pushed emergencies (after enrolment)
        self.receipts: ReceiptSender | None = None
        self.emergency_slides = EmergencySlides(self.cache)
        self.notifier = SystemdNotifier(parent=self)
        self.watchdog = RenderWatchdog(
            clock=self.clock,
            cue_until=lambda: self.runner.cue.until if self.runner.cue is not None else None,
            video_frames=self._video_frames,
            animated=lambda: self.presenter.visual.frame_interval_ms > 0 or self.presenter.video is not None,
            paint_count=lambda: self.canvas.paint_count,
            memory_ceiling_bytes=self.tuning.memory_ceiling_bytes,
            video_stall_s=self.tuning.video_stall_s,
            parent=self,
        )
        self.screenshotter: Screenshotter | None = None
        if config.screenshot_path:
            self.screenshotter = Screenshotter(
                self.canvas, Path(config.screenshot_path), config.screenshot_interval_s, self, faults=self.faults
            )
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(int(STATUS_INTERVAL_S * 1000))
        self._enrolling = False
        self._enrol_registered = False  # the scheduler accepted our request: the code may be shown
        self._rebuild_reason: str | None = None
        self.rebuilds = 0
        self.first_content_s: float | None = None
        self._painted_marked = False
        self.handover = SwitchHandover(self.data_dir, self.canvas, self)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._connect_presenter(self.presenter)
        self.runner.cueChanged.connect(self._on_cue)
        self.overlays.changed.connect(self.canvas.update)
        if self.local is not None:
            self.local.changed.connect(self._on_local_changed)
        self.enroller.codeChanged.connect(self._on_enrol_code)
        self.enroller.statusChanged.connect(self._on_enrol_status)
        self.enroller.enrolled.connect(self._on_enrolled)
        self.sync.syncFinished.connect(self._on_sync_finished)
        self.sync.manifestChanged.connect(self._on_manifest_changed)
        self.events.manifestHint.connect(self.sync.trigger)
        self.events.emergencyPushed.connect(self._on_emergency_pushed)
        self.events.screenshotRequested.connect(self._on_screenshot_requested)
        self.watchdog.rebuildRequested.connect(self._on_rebuild_requested)
        self.watchdog.timelineStalled.connect(self.runner.reevaluate)
        self.canvas.painted.connect(self._on_painted, Qt.ConnectionType.DirectConnection)
        self._status_timer.timeout.connect(self._on_status_tick)
        if self.screenshotter is not None:
            self.runner.cueChanged.connect(self.screenshotter.capture_soon)

    def _connect_presenter(self, presenter: ZonePresenter) -> None:
        presenter.changed.connect(self.canvas.update)
        presenter.itemFailed.connect(self.runner.skip)
        presenter.itemFailed.connect(self._on_item_failed)
        self.runner.upcoming.connect(presenter.preload)

    def _disconnect_presenter(self, presenter: ZonePresenter) -> None:
        presenter.changed.disconnect(self.canvas.update)
        presenter.itemFailed.disconnect(self.runner.skip)
        presenter.itemFailed.disconnect(self._on_item_failed)
        self.runner.upcoming.disconnect(presenter.preload)

    def _new_presenter(self) -> ZonePresenter:
        return ZonePresenter("main", self._media_path, self.clock, self.config.timezone, self.config.language,
                             parent=self)

    # -- lifecycle -------------------------------------------------------

    def show_window(self) -> None:
        config = self.config
        if config.geometry:
            x, y, width, height = config.geometry
            self.canvas.setWindowFlag(Qt.WindowType.FramelessWindowHint)
            self.canvas.setGeometry(x, y, width, height)
            self.canvas.show()
        elif config.fullscreen:
            geometry = screen_geometry(self.tuning.screen) if self.tuning.screen >= 0 else None
            if geometry is not None:
                self.canvas.setGeometry(geometry)
                handle = self.canvas.windowHandle()
                if handle is not None:
                    from PySide6.QtGui import QGuiApplication

                    handle.setScreen(QGuiApplication.screens()[self.tuning.screen])
            else:
                # The screen's size up front: a bare X server (no window manager, as on a kiosk
                # PC started with xinit) ignores the fullscreen request and keeps the default size.
                from PySide6.QtGui import QGuiApplication

                primary = QGuiApplication.primaryScreen()
                if primary is not None:
                    self.canvas.setGeometry(primary.geometry())
            self.canvas.showFullScreen()
        else:
            self.canvas.resize(*WINDOWED_SIZE)
            self.canvas.show()
        if config.fullscreen or config.geometry:
            hide_cursor()
            if self.tuning.prevent_blanking:
                from PySide6.QtGui import QGuiApplication

                prevent_blanking(qpa=QGuiApplication.platformName())

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
        self._free_disk_bytes = free_disk_bytes(self.data_dir)
        self._status_timer.start()
        self.watchdog.start()
        if self.local is not None:
            self.local.start()
        if self.screenshotter is not None:
            self.screenshotter.start()
            self.screenshotter.capture_soon()
        self.status.write()
        self.notifier.ready()

    def shutdown(self) -> None:
        log.info("player stopping")
        self.notifier.stopping()
        if self.screenshotter is not None:
            self.screenshotter.stop()  # first: a screenshot of a half-torn-down canvas would be wrong
        self._status_timer.stop()
        self.watchdog.stop()
        self.runner.stop()
        if self.playlog is not None:
            self.playlog.finish(ended_at=self.clock(), mono_s=time.monotonic())
        self.overlays.shutdown()
        if self.local is not None:
            self.local.stop()
        self.enroller.stop()
        self.events.stop()
        self.verifier.stop()
        self.sync.stop()
        self.updates.stop()
        if self.reporter is not None:
            self.reporter.stop()
        if self.receipts is not None:
            self.receipts.stop()
        if self.playlog is not None:
            self.playlog.close()  # commits the plays still on the writer thread
        self.disk_writer.stop()
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
        self.playlog = PlayLog(self.data_dir / PLAYLOG_FILE, identity.display_id,
                               max_rows=self.tuning.playlog_max_rows, faults=self.faults, writer=self.disk_writer)
        self._apply_clock_floor(identity)
        loaded = self.store.load(identity.trusted_keys(), self.cache, identity.display_id,
                                 now=self.clock(), horizon_s=self.tuning.commit_horizon_s)
        if loaded is None:
            log.info("no usable cached manifest: slate until the first sync")
        self.emergencies = EmergencyBook(self.data_dir, identity.display_id, self.faults)
        self.emergencies.load(identity.trusted_keys(), self.clock())
        self.emergencies.superseded_by(loaded.manifest if loaded is not None else None)
        self._apply_manifest(loaded)
        engine = SyncEngine(
            identity,
            self.cache,
            self.store,
            manifest_url=self.config.manifest_url or None,
            current=loaded,
            session=self.session,
            data_dir=self.data_dir,
            clock=self.clock,
            max_parallel=self.tuning.max_parallel_downloads,
            limiter=self.limiter,
            commit_horizon_s=self.tuning.commit_horizon_s,
            faults=self.faults,
            wall_s=self.clock.wall_s,
        )
        self.sync.start(engine)
        self.verifier.start()
        server_url = identity.server_url or self.config.server_url
        if self.tuning.use_events:
            self.events.start(server_url, identity.token)
        self.reporter = Reporter(server_url, identity.token, self._heartbeat,
                                 interval_s=self.tuning.heartbeat_interval_s, playlog=self.playlog,
                                 playlog_batch=self.tuning.playlog_batch)
        self.reporter.start()
        self.updates.start(UpdateEngine(identity, self.data_dir, server_url, limiter=self.limiter,
                                        can_switch=os.environ.get(LAUNCHER_ENV) == "1"))
        self.receipts = ReceiptSender(server_url, identity.token, session=self.session)
        self.receipts.start()

    def _apply_clock_floor(self, identity: Identity) -> None:
        """A PC clock behind a moment known to have passed (offline, dead CMOS battery) is moved up to it."""
        floors: list[tuple[float, str]] = []
        saved_s = self.clock_floor.load()
        if saved_s is not None:
            floors.append((saved_s, "the last server-corrected time"))
        generated = self.store.newest_generated_at(identity.trusted_keys(), identity.display_id)
        if generated is not None:
            floors.append((generated.timestamp(), "the newest signed manifest's generated_at"))
        if floors and self.clock.apply_floor(*max(floors)):
            self.status.update(clock_fault=self.clock.fault, clock_fault_code=self.clock.fault_code,
                               clock_offset_s=round(self.clock.offset_s, 3))

    def _apply_manifest(self, loaded: LoadedManifest | None) -> None:
        """Play ``loaded`` (None: no manifest; the local folder if any, else the slate)."""
        self.manifest = loaded
        self.status.update(manifest_version=loaded.version if loaded else None)
        self._play(loaded or (self.local.loaded if self.local is not None else None))

    def _play(self, loaded: LoadedManifest | None) -> None:
        loaded = self._with_emergencies(loaded)
        main = MAIN_ZONE
        if loaded is not None:
            manifest = loaded.manifest
            self.presenter.timezone = manifest.timezone
            self.presenter.safe_area = strip_insets(manifest.zones)
            main = next((z for z in manifest.zones if z.id == "main"), MAIN_ZONE)
        self._main_zone = main
        self.overlays.set_manifest(loaded)
        self.canvas.set_zones([(main, self.presenter), *self.overlays.zones()])
        self.runner.set_manifest(loaded)

    def _with_emergencies(self, loaded: LoadedManifest | None) -> LoadedManifest | None:
        """``loaded`` with the pushed emergencies its manifest does not carry yet laid over it."""
        book = self.emergencies
        if book is None or self.identity is None:
            return loaded
        now = self.clock()
        active, cancelled = book.active(now), book.cancelled(now)
        if not active and not cancelled:
            return loaded
        size = self.canvas.size()
        canvas = Canvas(max(1, size.width()), max(1, size.height()))
        return overlay(loaded, active, cancelled, self.emergency_slides, display_id=self.identity.display_id,
                       timezone=self.config.timezone, canvas=canvas)

    def _media_path(self, media: MediaRef) -> Path:
        if self.local is not None and media.sha256 in self.local.paths:
            return self.local.paths[media.sha256]
        self.cache.touch(media.sha256)
        return self.cache.path_for(media.sha256)

    def _show_enrolment(self, status_text: str) -> None:
        # The code goes on the (public) screen only once the scheduler holds our request for it:
        # before that, someone reading it could request it first with their own secret.
        code = display_code(self.enroller.code) if self._enrol_registered else CODE_PLACEHOLDER
        self.presenter.show_enrolment(code, self.config.server_url, status_text)

    def _video_frames(self) -> int | None:
        """Frames decoded by the playing video, None when no video is playing."""
        video = self.presenter.video
        if video is None or not video.is_playing or video.ended:
            return None
        return video.frames_seen

    def _rebuild_presenter(self, reason: str) -> None:
        """Replace the main presenter (and its decoders); the new one starts from a still of the old."""
        old = self.presenter
        new = self._new_presenter()
        new.timezone = old.timezone
        new.safe_area = old.safe_area
        new.take_over(old)
        self._disconnect_presenter(old)
        self.presenter = new
        self._connect_presenter(new)
        self.canvas.set_zones([(self._main_zone, new), *self.overlays.zones()])
        old.shutdown()
        old.deleteLater()
        self.rebuilds += 1
        self.watchdog.rebuilt()
        log.warning("renderer rebuilt (%s)", reason)

    def _save_identity(self, identity: Identity) -> None:
        try:
            save_identity(self.data_dir, identity)
        except OSError as exc:
            self.faults.failed("identity.json", exc)
            return
        self.faults.ok("identity.json")

    def _warnings(self) -> list[str]:
        return [text for text, _ in self._coded_warnings()]

    def _warning_status(self) -> dict[str, list[Any]]:
        """The status' ``warnings`` (English) and ``warning_codes`` (the same as signage.reason_codes)."""
        warnings = self._coded_warnings()
        return {"warnings": [text for text, _ in warnings], "warning_codes": [code for _, code in warnings]}

    def _coded_warnings(self) -> list[tuple[str, dict[str, Any]]]:
        warnings: list[tuple[str, dict[str, Any]]] = []
        loaded = self.manifest
        if loaded is not None and self.runner.past_horizon:
            warnings.append((f"manifest version {loaded.version} past its horizon "
                             f"({iso(loaded.manifest.valid_until)}), playing last good",
                             coded("past_horizon", {"version": loaded.version})))  # fmt: skip
        elif loaded is not None and loaded.source == "last_good":
            warnings.append((f"current manifest unusable, playing last good version {loaded.version}",
                             coded("last_good", {"version": loaded.version})))  # fmt: skip
        engine = self.sync.engine
        if engine is not None and engine.pending:
            version = loaded.version if loaded else "?"
            warnings.append((f"{len(engine.pending)} media file(s) of manifest version {version} still downloading",
                             coded("media_downloading", {"count": len(engine.pending), "version": str(version)})))
        if self._rebuild_reason is not None:
            warnings.append((f"renderer rebuild pending: {self._rebuild_reason}", coded("renderer_rebuild")))
        if self.reporter is not None and self.reporter.last_error:
            warnings.append((self.reporter.last_error, coded("heartbeat_failed")))
        free_bytes = self._free_disk_bytes
        if free_bytes is not None and free_bytes < self.tuning.low_disk_bytes:
            warnings.append((f"low disk: {free_bytes} bytes free in {self.data_dir}",
                             coded("low_disk", {"free_bytes": free_bytes})))  # fmt: skip
        warnings.extend(self.faults.coded_warnings())
        return warnings

    def _heartbeat(self) -> dict[str, object]:
        """Worker thread: the heartbeat document (status snapshot is thread-safe)."""
        return heartbeat_payload(self.status.snapshot(), self.cache.cached(), self.data_dir,
                                 update=self.updates.report())

    # -- slots -----------------------------------------------------------

    @Slot()
    def _on_status_tick(self) -> None:
        self._free_disk_bytes = free_disk_bytes(self.data_dir)
        if self.playlog is not None:
            self.playlog.checkpoint(at=self.clock(), mono_s=time.monotonic())
        if self.identity is not None and not identity_path(self.data_dir).exists():
            self._save_identity(self.identity)  # enrolled while the disk was full
        self.status.update(**self._warning_status())
        self.status.write()
        self._check_healthy()

    def _check_healthy(self) -> None:
        """Synced once and painted something: the launcher may keep this version."""
        if self.status.snapshot().get("last_sync_ok") and self.canvas.paint_count > 0 and self.runner.cue:
            self.updates.mark_healthy(__version__)
        cue = self.runner.cue
        if (cue is None or cue.item is None) and not self._enrolling and self.updates.switch_now():
            self._switch()  # slate or off: no item boundary to wait for

    def _switch(self) -> None:
        """Leave for the installed release, covered by the launcher's bridge window (player/switch_handover.py)."""
        self.handover.begin()

    def _mark_painted(self) -> None:
        """First frame on screen: the launcher may close the bridge of a switch (once, under the launcher)."""
        self._painted_marked = True
        if os.environ.get(LAUNCHER_ENV) != "1":
            return
        try:
            mark_painted(self.data_dir)
        except OSError as exc:
            log.warning("cannot write painted.json for the launcher: %s", exc)

    @Slot()
    def _on_painted(self) -> None:
        if self.first_content_s is not None:
            return
        cue = self.presenter.cue
        visual = self.presenter.visual
        if isinstance(visual, VideoVisual) and visual.source.last_frame is None:
            return  # a clip's first frame has not arrived: black, not yet something to show
        if not self._painted_marked:
            self._mark_painted()
        if cue is None or cue.item is None:
            return
        self.first_content_s = time.monotonic() - self.started_mono_s
        log.info("first content frame painted %.2f s after start (item %s)", self.first_content_s, cue.item.id)

    @Slot(str)
    def _on_enrol_code(self, code: str) -> None:
        self._enrol_registered = False
        self.status.update(enrol_code=code)
        self._show_enrolment(text(self.config.language, "enrol_contacting"))
        self.status.write()

    @Slot(str, str)
    def _on_enrol_status(self, key: str, detail: str) -> None:
        if key in ("enrol_pending", "enrol_wrong_server"):
            self._enrol_registered = key == "enrol_pending"
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
        if self.updates.switch_now():  # an installed release takes over at this boundary (player/updater.py)
            self._switch()
            return
        if self._rebuild_reason is not None:
            reason, self._rebuild_reason = self._rebuild_reason, None
            self._rebuild_presenter(reason)
        self.presenter.show_cue(cue)
        self._record_play(cue)
        current = None
        if cue.item is not None:
            current = {
                "zone": cue.zone,
                "item_id": cue.item.id,
                "item_type": cue.item.type,
                "title": cue.item.title,
                "since": iso(cue.start),
            }
        emergency = list(cue.loop or (cue.item.id,)) if cue.item is not None and cue.layer == "emergency" else []
        emergency_changed = emergency != self.status.snapshot()["emergency_items"]
        self.status.update(
            state=cue.state,
            source=cue.source if cue.state != "slate" else "slate",
            current=current,
            emergency_items=emergency,
            **self._warning_status(),
        )
        self.status.write()
        if emergency_changed and self.reporter is not None:
            self.reporter.send_now()  # the scheduler shows the acknowledgement within seconds, not a minute

    def _record_play(self, cue: Cue) -> None:
        if self.playlog is None:
            return
        now, mono_s = self.clock(), time.monotonic()
        if cue.item is None or cue.source == "local":
            self.playlog.finish(ended_at=now, mono_s=mono_s)
            return
        sha = cue.item.media.sha256 if cue.item.media is not None else None
        self.playlog.start(cue.item.id, zone=cue.zone, sha256=sha, started_at=now, mono_s=mono_s)

    @Slot(object)
    def _on_sync_finished(self, outcome: SyncOutcome) -> None:
        if outcome.server_epoch_s is not None and outcome.at_monotonic_s is not None:
            local_s = outcome.local_epoch_s if outcome.local_epoch_s is not None else 0.0
            floored = self.clock.floored
            moved = self.clock.correct(outcome.server_epoch_s, outcome.at_monotonic_s, local_s)
            if moved and floored and self.playlog is not None:
                self.playlog.restamp(self.clock.last_drift_s)  # plays recorded on the floor get the true time
            if moved:
                self.runner.reevaluate()
            self.clock_floor.save(self.clock, force=moved)
            self.status.update(clock_offset_s=round(self.clock.offset_s, 3), clock_fault=self.clock.fault,
                               clock_fault_code=self.clock.fault_code)
        if outcome.ok:
            self.status.update(last_sync_ok=iso(outcome.finished_at), last_error=None)
        else:
            self.status.update(last_error=outcome.reason)
        self.status.update(**self._warning_status())
        self.status.write()

    @Slot(object)
    def _on_manifest_changed(self, loaded: LoadedManifest) -> None:
        if self.clock.apply_floor(loaded.manifest.generated_at.timestamp(), "the new manifest's generated_at"):
            self.status.update(clock_fault=self.clock.fault, clock_fault_code=self.clock.fault_code,
                               clock_offset_s=round(self.clock.offset_s, 3))
        if self.emergencies is not None:
            self.emergencies.superseded_by(loaded.manifest)  # it carries the pushed emergency (or its end)
        self._apply_manifest(loaded)
        self.status.write()

    @Slot(object)
    def _on_emergency_pushed(self, envelope: object) -> None:
        """A signed emergency (or cancel) from the event stream: verify it, show it at once, send a receipt."""
        if self.emergencies is None or self.identity is None:
            return
        try:
            message = self.emergencies.receive(envelope, self.identity.trusted_keys(), self.clock())
        except EmergencyRefused as exc:
            self.status.update(last_error=f"emergency push refused: {exc.reason}")
            seq = _seq_of(envelope)
            if self.receipts is not None and seq is not None and exc.code not in ("not_for_me", "replayed"):
                self.receipts.send(seq, "refused", exc.reason, exc.code, exc.params)
            return
        self._play(self.manifest or (self.local.loaded if self.local is not None else None))
        self.status.write()
        if self.receipts is not None:
            self.receipts.send(message.seq, "shown" if message.kind == "emergency" else "cancelled")

    @Slot(str, str)
    def _on_item_failed(self, item_id: str, reason: str) -> None:
        self.status.update(last_error=f"item {item_id} skipped: {reason}")
        if self.playlog is not None:
            self.playlog.skipped(item_id, reason, at=self.clock(), mono_s=time.monotonic())
        self.status.write()

    @Slot(object)
    def _on_local_changed(self, loaded: LoadedManifest | None) -> None:
        if self.manifest is None and not self._enrolling:
            self._play(loaded)

    @Slot()
    def _on_screenshot_requested(self) -> None:
        if self.reporter is None:
            return
        image = self.canvas.grab().toImage()
        self.reporter.send_now(screenshot_png_b64(image))
        log.info("screenshot requested: sending it with a heartbeat")

    @Slot(str)
    def _on_rebuild_requested(self, reason: str) -> None:
        self._rebuild_reason = reason
        self.status.update(**self._warning_status())


def _seq_of(envelope: object) -> int | None:
    """The sequence number a (refused) pushed message claims, if any, for its receipt."""
    message = envelope.get("message") if isinstance(envelope, dict) else None
    seq = message.get("seq") if isinstance(message, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


__all__ = ["PlayerApp", "memory_rss_bytes"]
