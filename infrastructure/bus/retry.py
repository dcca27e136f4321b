"""Start a bus whose broker may not be up yet (containers start in any order): retry with backoff."""

from __future__ import annotations

import asyncio
import logging

from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable

logger = logging.getLogger(__name__)


async def connect_with_retry(
    bus: Bus,
    *,
    attempts: int | None = None,
    initial_delay: float = 0.5,
    max_delay: float = 10.0,
    log: logging.Logger = logger,
) -> None:
    """Call `bus.start()` until it succeeds, doubling the delay after each failure up to `max_delay`.

    `attempts=None` retries forever (a service that cannot work without its broker); otherwise the last
    `BusUnavailable` is raised after `attempts` failures.
    """
    delay = initial_delay
    attempt = 0
    while True:
        attempt += 1
        try:
            await bus.start()
        except BusUnavailable as error:
            if attempts is not None and attempt >= attempts:
                log.error("broker unreachable after %d attempts: %s", attempt, error)
                raise
            log.warning("broker unreachable, retrying in %g s (attempt %d): %s", delay, attempt, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
        else:
            if attempt > 1:
                log.info("connected to the broker after %d attempts", attempt)
            return
