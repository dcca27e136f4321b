"""`python -m tests.browser.console_server`: the embedded system, with the console mounted if missing.

Until `create_app` mounts the console itself, the browser tests start the system through this wrapper; once
it does, the wrapper changes nothing (it never mounts twice).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from starlette.routing import Mount
from starlette.routing import Route

import services.embedded.bootstrap as embedded
from services.api.console import ASSETS_PATH
from services.api.console import mount_console
from services.embedded.settings import EmbeddedSettings


def serves_console(app: FastAPI) -> bool:
    for route in app.routes:
        if isinstance(route, Route) and route.path == "/":
            return True
        if isinstance(route, Mount) and route.path == ASSETS_PATH:
            return True
    return False


def with_console(create_app: Any) -> Any:
    def create_app_with_console(**kwargs: Any) -> FastAPI:
        app: FastAPI = create_app(**kwargs)
        if not serves_console(app):
            mount_console(app)
        return app

    return create_app_with_console


if __name__ == "__main__":
    embedded.create_app = with_console(embedded.create_app)  # type: ignore[attr-defined]
    asyncio.run(embedded.main(EmbeddedSettings()))  # the data-sync jobs paused by its caller's base_env
