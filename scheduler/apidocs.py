"""``/api/v1/docs``: Swagger UI served from the scheduler itself (the ``swagger-ui-bundle`` package),
so the API docs work on an office network without internet (no CDN)."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/api/v1/docs"
ASSETS_URL = "/api/v1/docs-assets"
ASSETS_DIR = Path(swagger_ui_bundle.swagger_ui_path)


def install_api_docs(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS_DIR)), name="api-docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/api/v1/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        )
