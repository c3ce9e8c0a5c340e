"""The FastAPI application: player API, admin API, web admin, one error shape."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from content.inbox import InboxWatcher, pipeline_handler
from scheduler import (
    api_admin,
    api_emergency,
    api_fleet,
    api_player,
    api_preview,
    api_release,
    gcpause,
    mediagc,
    ops_api,
    proof_of_play,
    web,
)
from scheduler.apidocs import install_api_docs
from scheduler.drafts import canvases_for_group, create_draft
from scheduler.errors import install_error_handlers
from scheduler.fleet_alerts import FleetAlerts
from scheduler.gzip_middleware import GZipExceptPrecompressed
from scheduler.limits import BodyLimitMiddleware
from scheduler.metrics import Metrics, MetricsMiddleware
from scheduler.service import REVOCATION_POLL_S, Service
from scheduler.sources_jobs import SourcePoller
from signage import __version__

log = logging.getLogger("scheduler.app")
REPUBLISH_INTERVAL_S = 300.0
GC_INTERVAL_S = 3600.0
PLAY_RETENTION_INTERVAL_S = 3600.0  # raw play events past the retention are folded into hourly totals this often


async def _periodic_loop(service: Service, interval_s: float) -> None:
    """Roll the horizon forward and apply expiries (publish writes only what changed); GC media hourly."""
    last_gc_s = 0.0
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(service.publisher.publish_all)
            if time.monotonic() - last_gc_s >= GC_INTERVAL_S:
                last_gc_s = time.monotonic()
                await asyncio.to_thread(mediagc.collect, service, time.time())
        except Exception:  # the environment's fault (disk full...): logged, retried next round
            log.exception("periodic republish/gc failed")


async def _revocation_loop(service: Service, interval_s: float) -> None:
    """End the streams of tokens revoked by another process (the CLI) within ``interval_s``."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(service.sweep_revocations)
        except Exception:  # a busy or full store: retried next round
            log.exception("revocation sweep failed")


async def _retention_loop(service: Service, interval_s: float) -> None:
    """Fold raw proof-of-play rows older than ``play_retention_days`` into hourly totals (one chunk per commit)."""
    while True:
        try:
            cutoff = service.clock() - timedelta(days=service.config.play_retention_days)
            await asyncio.to_thread(proof_of_play.prune, service.intake.run, cutoff)
        except Exception:  # a busy or full store: retried next round
            log.exception("proof-of-play retention failed")
        await asyncio.sleep(interval_s)


async def _fleet_alert_loop(service: Service) -> None:
    """Evaluate the fleet alert rules and send their messages every ``alert_check_interval_s``."""
    alerts = FleetAlerts(service)
    while True:
        await asyncio.sleep(service.config.alert_check_interval_s)
        try:
            await asyncio.to_thread(alerts.run_once)
        except Exception:  # a busy store or a bug in one rule: logged, evaluated again next round
            log.exception("fleet alert evaluation failed")


async def _startup_publish(service: Service) -> None:
    """Publish what changed while the scheduler was down, after the server listens.

    Runs in a worker thread so a slow compile never keeps the API from
    answering; each display's compile is bounded (a bad rule fails only the
    displays it targets, with a warning) and any other fault is logged.
    """
    try:
        published = await asyncio.to_thread(service.publisher.publish_all)
        log.info("start-up publish: %d manifest(s) changed", len(published))
    except Exception:  # the environment's fault (disk full...): the periodic loop retries
        log.exception("start-up publish failed")
    gcpause.settle(full=True)  # the loaded store, manifests and caches: out of the collector's full passes


def _start_inbox(service: Service) -> InboxWatcher | None:
    setting = service.config.inbox_dir
    if setting == "-":
        return None
    root = Path(setting) if setting else service.data_dir / "inbox"
    handler = pipeline_handler(
        service.media,
        lambda group: canvases_for_group(service, group),
        lambda request: create_draft(service, request),
    )
    watcher = InboxWatcher(root, handler)
    watcher.start()
    log.info("watching inbox %s (files in inbox/<group>/ become drafts)", root)
    return watcher


def create_app(
    service: Service,
    republish_interval_s: float = REPUBLISH_INTERVAL_S,
    with_inbox: bool = True,
    publish_on_start: bool = False,
) -> FastAPI:
    """The app; ``publish_on_start`` publishes in the background once it serves (``signage scheduler serve``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_periodic_loop(service, republish_interval_s))
        revocations = asyncio.create_task(_revocation_loop(service, REVOCATION_POLL_S))
        retention = asyncio.create_task(_retention_loop(service, PLAY_RETENTION_INTERVAL_S))
        fleet_alerts = asyncio.create_task(_fleet_alert_loop(service))
        settling = asyncio.create_task(gcpause.settle_loop())  # no 350 ms GC pauses on the event loop
        service.start_publish_behind()  # large staff-caused publishes answer at once (scheduler/publish_behind.py)
        service.media_jobs.recover_interrupted()  # conversions a previous process left unfinished end failed
        startup = asyncio.create_task(_startup_publish(service)) if publish_on_start else None
        inbox = _start_inbox(service) if with_inbox else None
        poller = SourcePoller(service).start()
        try:
            yield
        finally:
            service.stopping.set()
            task.cancel()
            revocations.cancel()
            retention.cancel()
            fleet_alerts.cancel()
            settling.cancel()
            gcpause.release()
            if startup is not None:
                startup.cancel()
            poller.stop()
            if inbox is not None:
                inbox.stop()
            await asyncio.to_thread(service.stop_publish_behind)  # a round under way finishes

    app = FastAPI(
        title="Mempawah Signage Scheduler",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from local assets: the docs work without internet
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.metrics = metrics = Metrics(service)
    metrics.watch_publisher(service.publisher)
    app.add_middleware(GZipExceptPrecompressed, minimum_size=1024)  # not the manifest: gzipped at publish
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: counts every answer, errors included
    install_error_handlers(app)
    app.include_router(api_player.router)
    app.include_router(api_emergency.router)
    app.include_router(api_admin.router)
    app.include_router(api_preview.router)
    app.include_router(api_fleet.router)
    app.include_router(ops_api.router)
    app.include_router(api_release.router)
    web.install(app)

    install_api_docs(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/admin/", status_code=303)

    @app.get("/api/v1/health", tags=["ops"])
    def health() -> dict[str, object]:
        return {"ok": True, "version": __version__}

    return app
