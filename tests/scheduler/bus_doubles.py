"""A stand-in for the bus whose every publish goes through `publish_many`, for tests that intercept them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.envelope import ExecutionEvent
from contracts.envelope import Message
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable


class PublishInterceptor:
    """The wrapped bus as it is, but `publish` goes through `publish_many`, which a test overrides."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)

    async def publish(self, message: Message) -> None:
        await self.publish_many((message,))

    async def publish_many(self, messages: Sequence[Message]) -> None:
        await self._bus.publish_many(messages)


class RefusesFirst(PublishInterceptor):
    """The wrapped bus, but the first batch carrying a `kind` of the job is refused (a nack), nothing sent."""

    def __init__(self, bus: Bus, job_id: str, kind: type[ExecutionEvent]) -> None:
        super().__init__(bus)
        self._job_id = job_id
        self._kind = kind
        self.refused: list[ExecutionEvent] = []  # those of the refused batch

    async def publish_many(self, messages: Sequence[Message]) -> None:
        ours = [m for m in messages if isinstance(m, self._kind) and m.job_id == self._job_id]
        if ours and not self.refused:
            self.refused = ours
            raise BusUnavailable(f"{len(messages)} of {len(messages)} messages not confirmed: nack")
        await self._bus.publish_many(messages)
