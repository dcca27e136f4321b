"""Pacing of provider calls: an injectable clock, a per-provider rate limiter, retries with backoff.

`ProviderCaller.call` is the one way an adapter calls its blocking library: it waits for the provider's
rate limiter, runs the call in a thread (off the event loop) with a timeout, turns exceptions into the
classes of `errors`, waits and continues on a quota answer, and retries transient network errors with
exponential backoff and jitter. All waiting goes through `Clock.sleep`, so tests drive it without real time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import KW_ONLY
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Protocol
from typing import TypeVar
from zoneinfo import ZoneInfo

from services.workers.providers.errors import ProviderError
from services.workers.providers.errors import RateLimited
from services.workers.providers.errors import TransientNetworkError
from services.workers.providers.ports import SessionBase

logger = logging.getLogger(__name__)

T = TypeVar("T")
Classifier = Callable[[str, Exception], ProviderError]


class Clock(Protocol):
    """Time as the providers see it (wall clock, monotonic, sleep), replaced in tests."""

    def now(self) -> datetime:
        """Aware UTC wall-clock time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for pacing and backoff."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (without blocking the event loop)."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time, aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds on the process's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` with asyncio (a negative value waits not at all)."""
        await asyncio.sleep(max(seconds, 0.0))


class RateLimiter:
    """At most `max_calls` calls in any window of `period` seconds (sliding window, like the provider's)."""

    def __init__(self, max_calls: int, period: float, clock: Clock) -> None:
        if max_calls < 1 or period <= 0:
            raise ValueError("a rate limit needs max_calls >= 1 and period > 0")
        self.max_calls = max_calls
        self.period = period
        self._clock = clock
        self._calls: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0

    @classmethod
    def per_minute(cls, calls: int, clock: Clock, *, safety_margin: float = 0.0) -> RateLimiter:
        """A per-minute quota, keeping `safety_margin` (a fraction) of it unused."""
        return cls(max(1, int(calls * (1.0 - safety_margin))), 60.0, clock)

    async def acquire(self, cost: int = 1) -> None:
        """Wait until `cost` calls are allowed by the limit."""
        async with self._lock:
            for _ in range(cost):
                await self._take_one()

    async def _take_one(self) -> None:
        while True:
            now = self._clock.monotonic()
            while self._calls and now - self._calls[0] >= self.period:
                self._calls.popleft()
            if len(self._calls) < self.max_calls:
                self._calls.append(now)
                return
            pause = self._calls[0] + self.period - now
            self.waited_seconds += pause
            await self._clock.sleep(pause)


@dataclass(frozen=True)
class RetryPolicy:
    """How a provider call is retried: attempts, backoff (s) with jitter, and waits on rate limits."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.25
    max_rate_limit_waits: int = 10

    def delay(self, attempt: int, draw: float) -> float:
        """Backoff before retry number `attempt` (1-based); `draw` is uniform in [0, 1)."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return float(backoff * (1.0 + self.jitter * draw))


class ProviderCaller:
    """Runs one provider's blocking calls: rate limit, thread, timeout, classification, retries."""

    def __init__(
        self,
        provider: str,
        classify: Classifier,
        *,
        clock: Clock,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.provider = provider
        self.clock = clock
        self._classify = classify
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._draw = draw

    async def call(self, call: str, function: Callable[[], T], *, cost: int = 1) -> T:
        """Run a blocking provider call in a thread, paced and retried.

        Network failures are retried with backoff and rate limits waited out, within the retry policy's
        limits; past them the provider error is raised.
        """
        attempt, quota_waits = 1, 0
        while True:
            if self._limiter is not None:
                await self._limiter.acquire(cost)
            try:
                return await self._run_in_thread(call, function)
            except RateLimited as error:
                quota_waits += 1
                if quota_waits > self._retry.max_rate_limit_waits:
                    raise ProviderError(
                        self.provider, call, f"still rate-limited after {quota_waits - 1} waits"
                    ) from error
                logger.warning("%s rate-limited, waiting %.0f s: %s", call, error.retry_after, error)
                await self.clock.sleep(error.retry_after)
            except TransientNetworkError as error:
                if attempt >= self._retry.attempts:
                    raise TransientNetworkError(
                        self.provider, call, f"{error.reason} (gave up after {attempt} attempts)"
                    ) from error
                pause = self._retry.delay(attempt, self._draw())
                logger.info("%s failed (%s), retry %d in %.1f s", call, error.reason, attempt, pause)
                await self.clock.sleep(pause)
                attempt += 1

    async def _run_in_thread(self, call: str, function: Callable[[], T]) -> T:
        try:
            return await asyncio.wait_for(asyncio.to_thread(function), timeout=self._timeout)
        except TimeoutError:
            raise TransientNetworkError(
                self.provider, call, f"no answer within {self._timeout:g} s"
            ) from None
        except ProviderError:
            raise
        except Exception as error:
            raise self._classify(call, error) from error


@dataclass(eq=False)
class PacedProvider(SessionBase):
    """A provider of the exchange's market: its calls go through `caller`, its library calls time out.

    `zone` is the exchange's time zone, in which its "today" and its quote times are read.
    """

    caller: ProviderCaller
    _: KW_ONLY
    zone: ZoneInfo
    timeout: float = 30.0

    def local_now(self) -> datetime:
        """Now on the exchange's clock (the caller's clock, which tests drive)."""
        return self.caller.clock.now().astimezone(self.zone)
