"""One RabbitMQ consumer: its own channel (QoS = prefetch) and worker tasks handling the deliveries.

aio-pika runs each delivery callback as its own task; handing them to a local FIFO and one worker task is
what keeps handling sequential and in order (with `concurrency` N, N workers take from the FIFO in turn).
Pausing cancels the basic.consume (waiting for cancel-ok) and gives back (nack with requeue) what was
delivered but not yet handled, so a worker busy with a long run holds no delivery open. After a
reconnection aio-pika's robust channel re-declares the queue and restarts the consumer with the same
callback; deliveries buffered from the lost channel are dropped here because the broker redelivers them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from collections.abc import Callable

from aio_pika.abc import AbstractChannel
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.abc import AbstractQueue
from aio_pika.exceptions import AMQPError
from aio_pika.exceptions import ChannelInvalidStateError

from infrastructure.bus.delivery import NotHandled
from infrastructure.bus.delivery import handle_batch
from infrastructure.bus.delivery import handle_delivery
from infrastructure.bus.delivery import next_batch
from infrastructure.bus.port import BatchHandler
from infrastructure.bus.port import Batching
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import Handler

logger = logging.getLogger(__name__)

DeadLetterSender = Callable[[AbstractIncomingMessage, str, str], Awaitable[None]]
"""(message, reason, original queue): publish the message to the dead-letter exchange, confirmed."""

# ChannelInvalidStateError (a delivery's channel is gone) is a RuntimeError, not an AMQPError: left out, it
# ended the consumer's task after a reconnection and the subscription sat on its prefetch window for ever.
BROKER_ERRORS = (AMQPError, ChannelInvalidStateError, ConnectionError, OSError, TimeoutError)
RPC_TIMEOUT_SECONDS = 5.0
_BACKGROUND: set[asyncio.Task[None]] = set()


class RabbitMQSubscription:
    """One consumer of a RabbitMQ queue: acknowledges what its handler took, dead-letters what failed."""

    def __init__(
        self,
        channel: AbstractChannel,
        queue: AbstractQueue,
        handler: Handler,
        dead_letter: DeadLetterSender,
        *,
        concurrency: int = 1,
        batch_handler: BatchHandler | None = None,
        batching: Batching | None = None,
    ) -> None:
        self._channel = channel
        self._queue = queue
        self._handler = handler
        self._dead_letter = dead_letter
        self._buffer: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self._consumer_tag: str | None = None
        self._paused = False
        self._pausing = False  # between our basic.cancel and its cancel-ok
        self._given_back: list[AbstractIncomingMessage] = []
        self._cancelled = False
        if batch_handler is not None and concurrency > 1:
            raise ValueError("a batch subscription has one worker: its batches are acknowledged in order")
        self._concurrency = max(1, concurrency)
        self._batch_handler = batch_handler
        self._max_batch = max(1, batching.max_batch) if batching else 1
        self._gather_s = batching.gather_s if batching else 0.0
        self._workers: list[asyncio.Task[None]] = []

    @property
    def queue_name(self) -> str:
        """The name of the queue consumed (an exclusive queue's generated name)."""
        return self._queue.name

    @property
    def cancelled(self) -> bool:
        """Whether `cancel` was called: no more deliveries will come."""
        return self._cancelled

    async def start(self) -> None:
        """Connect and declare the topology (exchanges, durable queues, the dead-letter queue)."""
        self._workers = [
            asyncio.create_task(self._run(), name=f"consume {self._queue.name} #{number}")
            for number in range(self._concurrency)
        ]
        try:
            self._consumer_tag = await self._queue.consume(self._on_delivery)
        except BaseException:
            self._cancelled = self._paused = True
            await self._end_workers()
            raise

    async def pause(self) -> None:
        """Stop consuming (the broker keeps the messages) until `resume`; idempotent."""
        if self._paused or self._cancelled:
            return
        self._paused = True
        self._pausing = True
        try:
            await self._stop_consuming()
        finally:
            self._pausing = False
        await self._requeue_buffered()

    async def resume(self) -> None:
        """Consume again after `pause`; nothing happens once cancelled."""
        if not self._paused or self._cancelled:
            return
        self._paused = False
        try:
            async with asyncio.timeout(RPC_TIMEOUT_SECONDS):
                self._consumer_tag = await self._queue.consume(self._on_delivery)
        except BROKER_ERRORS as error:
            self._paused = True
            raise BusUnavailable(f"cannot resume consuming {self._queue.name}: {error}") from error

    async def cancel(self) -> None:
        """Stop consuming and close the channel; waits for a handler in progress unless called from it."""
        if self._cancelled:
            return
        self._cancelled = True
        self._paused = True
        await self._stop_consuming()
        await self._requeue_buffered()
        await self._end_workers()

    async def _end_workers(self) -> None:
        """Let the workers finish what they handle, then close the channel (not awaited from a handler)."""
        for _ in self._workers:
            self._buffer.put_nowait(None)
        current = asyncio.current_task()
        others = [worker for worker in self._workers if worker is not current]
        if len(others) == len(self._workers):
            await asyncio.gather(*others, return_exceptions=True)
            await self._close_channel()
        else:  # called from a handler: close once the other workers are done
            closing = asyncio.create_task(self._close_after(others), name=f"close {self._queue.name}")
            _BACKGROUND.add(closing)
            closing.add_done_callback(_BACKGROUND.discard)

    async def _close_after(self, workers: list[asyncio.Task[None]]) -> None:
        await asyncio.gather(*workers, return_exceptions=True)
        await self._close_channel()

    async def _on_delivery(self, message: AbstractIncomingMessage) -> None:
        if self._paused:
            # Delivered between our basic.cancel and its cancel-ok: not ours to handle any more.
            await self._give_back(message)
            return
        self._buffer.put_nowait(message)

    async def _give_back(self, message: AbstractIncomingMessage) -> None:
        """Requeue `message`; while a pause waits for its cancel-ok, with the rest, in delivery order."""
        self._given_back.append(message)
        if not self._pausing:
            await self._requeue_buffered()

    async def _run(self) -> None:
        if self._batch_handler is not None:
            await self._run_batches(self._batch_handler)
            return
        while True:
            message = await self._buffer.get()
            if message is None:
                return
            try:
                await self._handle_one(message)
            except NotHandled as error:
                logger.info("delivery from %s given back: %s", self._queue.name, error)
                await _requeue(message)
            except Exception:  # never let one delivery end the consumer (it would sit idle for ever)
                logger.exception("delivery from %s not handled; the broker redelivers it", self._queue.name)
                await _requeue(message)

    async def _handle_one(self, message: AbstractIncomingMessage) -> None:
        if self._paused:
            await self._give_back(message)
        elif _channel_is_open(message):  # else its channel is gone: the broker redelivers it
            reason = await handle_delivery(message.body, self._handler, queue=self._queue.name)
            await self._settle(message, reason)

    async def _run_batches(self, handler: BatchHandler) -> None:
        ending = False
        while not ending:
            batch, ending = await next_batch(self._buffer, self._max_batch, self._gather_s)
            if not batch:
                return
            try:
                await self._handle_batch(handler, batch)
            except NotHandled as error:
                logger.info("a batch of %d from %s given back: %s", len(batch), self._queue.name, error)
                for message in batch:
                    await _requeue(message)
            except Exception:  # never let one batch end the consumer (it would sit idle for ever)
                logger.exception("a batch from %s not handled; the broker redelivers it", self._queue.name)
                for message in batch:
                    await _requeue(message)

    async def _handle_batch(self, handler: BatchHandler, batch: list[AbstractIncomingMessage]) -> None:
        if self._paused:
            for message in batch:
                await _requeue(message)
            return
        # Deliveries of a channel that is gone (a reconnection) are redelivered on the new one: skip them.
        batch = [message for message in batch if _channel_is_open(message)]
        if not batch:
            return
        reasons = await handle_batch([message.body for message in batch], handler, queue=self._queue.name)
        await self._settle_batch(batch, reasons)

    async def _settle_batch(self, batch: list[AbstractIncomingMessage], reasons: list[str | None]) -> None:
        """Settle a handled batch: dead-letter the rejected messages, acknowledge the rest.

        Dead-letter the rejected messages of a handled batch, then acknowledge all of it with one ack of
        its last delivery (`multiple`): a batch subscription has one worker, so every earlier delivery on
        this channel is settled already, and the batch's own are in delivery order.
        """
        if not batch:
            return
        try:
            for message, reason in zip(batch, reasons, strict=True):
                if reason is not None:
                    await self._dead_letter(message, reason, self._queue.name)
            if _channel_is_open(batch[-1]):  # never a delivery tag on another channel than its own
                await batch[-1].ack(multiple=True)
        except (BusUnavailable, *BROKER_ERRORS) as error:
            logger.info(
                "could not settle a batch of %d from %s (%r); the broker will redeliver it",
                len(batch),
                self._queue.name,
                error,
            )
            for message in batch:
                await _requeue(message)

    async def _settle(self, message: AbstractIncomingMessage, reason: str | None) -> None:
        try:
            if reason is not None:
                await self._dead_letter(message, reason, self._queue.name)
            if _channel_is_open(message):
                await message.ack()
        except (BusUnavailable, *BROKER_ERRORS) as error:
            logger.info(
                "could not settle message %s from %s (%r); the broker will redeliver it",
                message.message_id,
                self._queue.name,
                error,
            )
            await _requeue(message)

    async def _stop_consuming(self) -> None:
        tag, self._consumer_tag = self._consumer_tag, None
        if tag is None:
            return
        try:
            async with asyncio.timeout(RPC_TIMEOUT_SECONDS):
                await self._queue.cancel(tag)  # waits for cancel-ok
        except BROKER_ERRORS as error:
            # The consumer died with the channel; aio-pika forgot it, so it is not restored either.
            logger.info("consumer of %s already gone (%r)", self._queue.name, error)

    async def _requeue_buffered(self) -> None:
        """Give back what was delivered and not handled, in delivery order.

        A quorum queue redelivers what comes back in the order it came back (a classic queue put it back in
        its place).
        """
        messages, self._given_back = self._given_back, []
        while not self._buffer.empty():
            message = self._buffer.get_nowait()
            if message is not None:
                messages.append(message)
        for message in sorted(messages, key=lambda message: message.delivery_tag or 0):
            await _requeue(message)

    async def _close_channel(self) -> None:
        if self._queue.exclusive:
            try:
                async with asyncio.timeout(RPC_TIMEOUT_SECONDS):
                    await self._queue.delete(if_unused=False, if_empty=False)
            except BROKER_ERRORS as error:
                logger.info("exclusive queue %s not deleted (%r)", self._queue.name, error)
        try:
            async with asyncio.timeout(RPC_TIMEOUT_SECONDS):
                await self._channel.close()
        except BROKER_ERRORS as error:
            logger.info("channel of %s closed uncleanly (%r)", self._queue.name, error)


def _channel_is_open(message: AbstractIncomingMessage) -> bool:
    try:
        return not message.channel.is_closed
    except BROKER_ERRORS:  # ChannelInvalidStateError: the delivery's channel is gone
        return False


async def _requeue(message: AbstractIncomingMessage) -> None:
    if message.processed:
        return
    try:
        await message.nack(requeue=True)
    except BROKER_ERRORS:
        # The channel is gone, and with it every unacknowledged delivery went back to the queue.
        logger.debug("requeue of %s skipped: channel closed", message.message_id, exc_info=True)
