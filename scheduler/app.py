"""The FastAPI application: player API, admin API, web admin, one error shape."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import RedirectResponse

from scheduler import api_admin, api_player, web
from scheduler.errors import install_error_handlers
from scheduler.limits import BodyLimitMiddleware
from scheduler.service import Service
from signage import __version__

log = logging.getLogger("scheduler.app")
REPUBLISH_INTERVAL_S = 300.0


async def _republish_loop(service: Service, interval_s: float) -> None:
    """Roll the horizon forward and apply expiries: publish writes only what changed."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(_republish, service)
        except Exception:  # a failed round is retried next interval; the cause is logged
            log.exception("periodic republish failed")


def _republish(service: Service) -> None:
    service.publisher.publish_all()


def create_app(service: Service, republish_interval_s: float = REPUBLISH_INTERVAL_S) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_republish_loop(service, republish_interval_s))
        try:
            yield
        finally:
            service.stopping.set()
            task.cancel()

    app = FastAPI(
        title="Mempawah Signage Scheduler",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(BodyLimitMiddleware)
    install_error_handlers(app)
    app.include_router(api_player.router)
    app.include_router(api_admin.router)
    app.include_router(web.router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/admin/", status_code=303)

    @app.get("/api/v1/health", tags=["ops"])
    def health() -> dict[str, object]:
        return {"ok": True, "version": __version__}

    return app
