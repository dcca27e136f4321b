"""Caps on live-stream connections and the watch that ends revoked ones.

Caps per user and in total; a stream whose token was revoked or whose user was disabled ends within
`stream_auth_check_s`.

The watch asks the authenticator again (the user store, or the platform's cached users collection), so it
sees a change made through any API process or the `users` command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from collections.abc import Iterator

from services.api.auth_errors import AuthProblem
from services.api.authenticator import Authenticator
from services.api.stream import StreamClient

logger = logging.getLogger(__name__)
RETRY_AFTER_S = "5"


class StreamLimits:
    """Caps on open live streams, in total and per user."""

    def __init__(self, *, total: int, per_user: int, check_interval_s: float) -> None:
        self.total = total
        self.per_user = per_user
        self.check_interval_s = check_interval_s
        self._open: Counter[str] = Counter()

    @property
    def open_count(self) -> int:
        """How many streams are open."""
        return self._open.total()

    @contextlib.contextmanager
    def slot(self, username: str) -> Iterator[None]:
        """Hold one connection slot of `username`; 429 when the user's or the total cap is reached."""
        if self.open_count >= self.total or self._open[username] >= self.per_user:
            limit = self.per_user if self._open[username] >= self.per_user else self.total
            raise AuthProblem(429, "too_many_streams", headers={"Retry-After": RETRY_AFTER_S}, limit=limit)
        self._open[username] += 1
        try:
            yield
        finally:
            self._open[username] -= 1
            if self._open[username] <= 0:
                del self._open[username]


class RevocationWatch:
    """Ends `client` once `token` stops being valid; `revoked` says whether that is why it ended."""

    def __init__(self, auth: Authenticator, token: str, interval_s: float) -> None:
        self._auth = auth
        self._token = token
        self._interval_s = interval_s
        self.revoked = False

    @contextlib.asynccontextmanager
    async def watching(self, client: StreamClient, username: str) -> AsyncIterator[None]:
        """Watch the token while the block runs; the client's stream is ended if it is revoked."""
        task = asyncio.create_task(self._watch(client, username), name="stream revocation watch")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self, client: StreamClient, username: str) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                valid = await self._auth.still_valid(self._token)
            except Exception:  # a store hiccup is no reason to cut a stream: check again later
                logger.warning("could not re-check a live-stream token", exc_info=True)
                continue
            if not valid:
                logger.info("live stream of %s ended: token revoked or user disabled", username)
                self.revoked = True
                client.end()
                return
