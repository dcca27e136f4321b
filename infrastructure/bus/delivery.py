"""What both bus adapters do with one delivery: decode it, hand it to the handler, decide ack or dead-letter.

Kept in one place so the in-memory and RabbitMQ adapters cannot drift apart in what they reject and why.
"""

from __future__ import annotations

import logging

from contracts.codec import MessageRejected, decode
from infrastructure.bus.port import Handler, Reject

logger = logging.getLogger(__name__)


async def handle_delivery(body: bytes, handler: Handler, *, queue: str) -> str | None:
    """Run `handler` on the decoded `body`; return the dead-letter reason, or None to acknowledge.

    Any handler exception is caught (and logged with its traceback) so that one bad message never stops
    a consumer; cancellation (a `BaseException`) is not caught and propagates.
    """
    try:
        message = decode(body)
    except MessageRejected as rejected:
        logger.warning("dead-lettering undecodable message from %s: %s", queue, rejected.reason)
        return rejected.reason
    fields = {
        "queue": queue,
        "message_id": message.message_id,
        "message_type": message.type,
        "correlation_id": message.correlation_id,
        **{name: getattr(message, name) for name in ("job_id", "execution_id") if hasattr(message, name)},
    }
    try:
        await handler(message)
    except Reject as rejected:
        logger.warning(
            "handler rejected %s %s from %s: %s",
            message.type,
            message.message_id,
            queue,
            rejected.reason,
            extra=fields,
        )
        return rejected.reason
    except Exception as error:
        logger.exception(
            "handler failed on %s %s from %s", message.type, message.message_id, queue, extra=fields
        )
        return f"handler failed: {type(error).__name__}: {error}"
    return None
