"""The web console: static HTML, CSS and JavaScript modules served by the API process, no build step.

`mount_console(app)` serves the page at `/` and its assets under `/console/`. The page talks only to the
public REST API and the live event stream, with the token the user signs in with; it holds no secret.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS_PATH = "/console"

# The page loads nothing but its own files (no CDN, no inline script), talks only to its own origin: the
# Content-Security-Policy and the other security headers come from `services.api.security_headers`.
PAGE_HEADERS = {
    # The page is tiny and changes with each release: always revalidate (ETag) instead of a stale copy.
    "Cache-Control": "no-cache",
}


def mount_console(app: FastAPI) -> None:
    """Serve the console at `/` (and `/console/`), its assets under `/console/...`."""
    index = STATIC_DIR / "index.html"

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR, html=True), name="console")
