"""The FastAPI application: player API, admin API, web admin, one error shape."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import RedirectResponse

from scheduler import api_admin, api_player, web
from scheduler.errors import install_error_handlers
from scheduler.service import Service
from signage import __version__


def create_app(service: Service) -> FastAPI:
    app = FastAPI(title="Mempawah Signage Scheduler", version=__version__, openapi_url="/api/v1/openapi.json")
    app.state.service = service
    app.add_middleware(GZipMiddleware, minimum_size=1024)
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
