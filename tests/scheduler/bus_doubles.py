"""A stand-in for the bus whose every publish goes through `publish_many`, for tests that intercept them."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from contracts.envelope import ExecutionEvent
from contracts.envelope import Message
from contracts.topology import QueueSpec
from infrastructure.bus.port import BatchHandler
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import Subscription


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
    """The wrapped bus, but the first batch carrying a `kind` of the job is refused (a nack), nothing sent.

    `meanwhile`: what happens while the refusal is on its way (awaited before the publish raises).
    """

    refusal = "nack"

    def __init__(
        self,
        bus: Bus,
        job_id: str,
        kind: type[ExecutionEvent],
        meanwhile: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        super().__init__(bus)
        self._job_id = job_id
        self._kind = kind
        self._meanwhile = meanwhile
        self.refused: list[ExecutionEvent] = []  # those of the refused batch
        self.raised = False  # its publish raised

    async def publish_many(self, messages: Sequence[Message]) -> None:
        ours = [m for m in messages if isinstance(m, self._kind) and m.job_id == self._job_id]
        if ours and not self.refused:
            self.refused = ours
            await self.refused_batch(messages)
            if self._meanwhile is not None:
                await self._meanwhile()
            self.raised = True
            raise BusUnavailable(f"{len(messages)} of {len(messages)} messages not confirmed: {self.refusal}")
        await self._bus.publish_many(messages)

    async def refused_batch(self, messages: Sequence[Message]) -> None:
        """What reaches the broker of the refused batch: nothing."""


class ConfirmsTooLate(RefusesFirst):
    """The wrapped bus, but the first batch carrying a `kind` of the job gets through unconfirmed.

    Its messages reach the broker (the projector, the workers, the leader's lifecycle queue), then the
    publish raises, as when a confirm times out after the broker took the batch. What the leader's batch
    consumers handled is counted (`handled`, by message id), so `meanwhile` can wait for its echo.
    """

    refusal = "no publisher confirm within 5.0 s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handled: set[str] = set()

    async def refused_batch(self, messages: Sequence[Message]) -> None:
        """All of it."""
        await self._bus.publish_many(messages)

    async def consume_batches(self, queue: QueueSpec, handler: BatchHandler, **options: Any) -> Subscription:
        """The wrapped bus's batches, each counted in `handled` once the handler returned."""

        async def counted(messages: Sequence[Message]) -> None:
            await handler(messages)
            self.handled.update(message.message_id for message in messages)

        return await self._bus.consume_batches(queue, counted, **options)
