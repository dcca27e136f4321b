"""The plumbing every pure ASGI middleware of the API shares: HTTP requests only, anything else untouched.

A middleware here handles one HTTP request in `handle`; the lifespan and other scopes pass straight on to
the application.
"""

from __future__ import annotations

from starlette.types import ASGIApp
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send


class HttpMiddleware:
    """Hands each HTTP request to `handle`; every other scope passes on to the application as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request (and pass it on to `self.app`)."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call: an HTTP request by `handle`, anything else by the application."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)
