"""A stand-in for the bus whose every publish goes through `publish_many`, for tests that intercept them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.envelope import Message
from infrastructure.bus.port import Bus


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
