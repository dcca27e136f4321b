"""`/docs`: Swagger UI served by the service itself (many operators' networks cannot reach a public CDN).

The assets come from the `swagger-ui-bundle-v2` package, the page and its start-up script from here (a
script file, not inline: the Content-Security-Policy allows no inline script).
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS_PATH = "/docs/assets"
PAGE_PATH = "/docs"


def mount_docs(app: FastAPI) -> None:
    """Swagger UI at `/docs` for the app's `/openapi.json` (build the app with `docs_url=None`)."""

    @app.get(PAGE_PATH, include_in_schema=False)
    async def docs_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    @app.get(f"{PAGE_PATH}/start.js", include_in_schema=False)
    async def docs_start() -> FileResponse:
        return FileResponse(STATIC_DIR / "start.js", media_type="text/javascript; charset=utf-8")

    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")
