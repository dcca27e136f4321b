"""What both bus adapters do with one delivery: decode it, hand it to the handler, decide ack or dead-letter.

Kept in one place so the in-memory and RabbitMQ adapters cannot drift apart in what they reject and why.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from typing import TypeVar

from contracts.codec import MessageRejected
from contracts.codec import decode
from contracts.envelope import Message
from infrastructure.bus.port import BatchHandler
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import Handler
from infrastructure.bus.port import Reject
from infrastructure.store.port import StoreUnavailable

logger = logging.getLogger(__name__)
Delivery = TypeVar("Delivery")

# Messages dead-lettered by this process, per queue (read by consumers that report it, e.g. the projector).
_dead_lettered: Counter[str] = Counter()


def dead_lettered(queue: str) -> int:
    """How many messages from `queue` this process has sent to the dead-letter queue so far."""
    return _dead_lettered[queue]


# A store briefly unavailable (SQLite busy or locked, a MongoDB step-down) is waited for, handler retried.
STORE_RETRY_DELAYS_S = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0)


class NotHandled(Exception):
    """The handler could not run for want of the bus or the store.

    Not the message's fault: the delivery goes back to its queue, neither acknowledged nor dead-lettered.
    """


async def with_store_retries(action: Callable[[], Awaitable[None]], *, queue: str) -> None:
    """The result of `action`, run again with backoff while the store is unavailable.

    Run `action`, again with backoff while the store is unavailable; `NotHandled` once the delays are
    spent or when the bus is away (the broker redelivers).
    """
    for delay in (*STORE_RETRY_DELAYS_S, None):
        try:
            await action()
            return
        except StoreUnavailable as error:
            if delay is None:
                raise NotHandled(f"store unavailable: {error}") from error
            logger.info("store unavailable while handling from %s (%s); retry in %g s", queue, error, delay)
            await asyncio.sleep(delay)
        except BusUnavailable as error:
            raise NotHandled(f"bus unavailable: {error}") from error


async def next_batch(
    deliveries: asyncio.Queue[Delivery | None], max_batch: int, gather_s: float = 0.0
) -> tuple[list[Delivery], bool]:
    """The next batch: waits for one delivery, then takes those already queued, up to `max_batch` in all.

    With `gather_s`, what arrives in that long after the first delivery joins its batch (unless `max_batch`
    are there already): under a trickle, fewer and larger batches for a handler whose cost is mostly per
    batch. A None in the queue is its end; answers the batch and whether the end was reached (an empty batch
    when the end came first).
    """
    first = await deliveries.get()
    if first is None:
        return [], True
    if gather_s > 0 and deliveries.qsize() < max_batch - 1:
        await asyncio.sleep(gather_s)
    batch = [first]
    while len(batch) < max_batch and not deliveries.empty():
        delivery = deliveries.get_nowait()
        if delivery is None:
            return batch, True
        batch.append(delivery)
    return batch, False


def _rejected(queue: str, reason: str) -> str:
    _dead_lettered[queue] += 1
    return reason


def _decoded(body: bytes, queue: str) -> Message | str:
    """The message in `body`, or the reason it is dead-lettered (whatever went wrong while reading it)."""
    try:
        return decode(body)
    except MessageRejected as rejected:
        reason = rejected.reason
    except Exception as error:  # the codec bounds its input; anything it still trips on is one bad body
        reason = f"undecodable: {type(error).__name__}: {str(error)[:200]}"
    logger.warning("dead-lettering undecodable message from %s: %s", queue, reason)
    return _rejected(queue, reason)


async def handle_delivery(body: bytes, handler: Handler, *, queue: str) -> str | None:
    """Run `handler` on the decoded `body`; return the dead-letter reason, or None to acknowledge.

    Any handler exception is caught (and logged with its traceback) so that one bad message never stops
    a consumer; cancellation (a `BaseException`) is not caught and propagates.
    """
    message = _decoded(body, queue)
    if isinstance(message, str):
        return message
    fields = {
        "queue": queue,
        "message_id": message.message_id,
        "message_type": message.type,
        "correlation_id": message.correlation_id,
        **{name: getattr(message, name) for name in ("job_id", "execution_id") if hasattr(message, name)},
    }
    try:
        await with_store_retries(lambda: handler(message), queue=queue)
    except NotHandled:
        raise
    except Reject as rejected:
        logger.warning(
            "handler rejected %s %s from %s: %s",
            message.type,
            message.message_id,
            queue,
            rejected.reason,
            extra=fields,
        )
        return _rejected(queue, rejected.reason)
    except Exception as error:
        logger.exception(
            "handler failed on %s %s from %s", message.type, message.message_id, queue, extra=fields
        )
        return _rejected(queue, f"handler failed: {type(error).__name__}: {error}")
    return None


async def handle_batch(bodies: Sequence[bytes], handler: BatchHandler, *, queue: str) -> list[str | None]:
    """Run `handler` once on every decodable body of a batch; one dead-letter reason (or None) per body.

    Undecodable bodies are rejected on their own. If the handler fails on the batch, each message is
    handed over again alone, so that only the message(s) it fails on are dead-lettered.
    """
    reasons: list[str | None] = [None] * len(bodies)
    decoded: list[tuple[int, Message]] = []
    for index, body in enumerate(bodies):
        message = _decoded(body, queue)
        if isinstance(message, str):
            reasons[index] = message
        else:
            decoded.append((index, message))
    if not decoded:
        return reasons
    messages = [message for _, message in decoded]
    try:
        await with_store_retries(lambda: handler(messages), queue=queue)
        return reasons
    except NotHandled:
        raise
    except Exception:
        # Handlers of batches are idempotent (what they were given may be given again): find the culprit.
        logger.warning("a batch of %d from %s failed; handling its messages one by one", len(decoded), queue)
    for index, _message in decoded:
        reasons[index] = await handle_delivery(bodies[index], _single(handler), queue=queue)
    return reasons


def _single(handler: BatchHandler) -> Handler:
    async def one(message: Message) -> None:
        await handler([message])

    return one
