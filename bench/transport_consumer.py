"""The consuming side of the transport ceiling, in a process of its own (as the projector would be).

`python -m bench.transport_consumer URL QUEUE COUNT`: consumes COUNT messages from QUEUE and prints
`ready` once consuming, then `done <time.time() of the last ack> <of the first ack>`.

It acknowledges as the projector does (`infrastructure/bus/rabbitmq_subscription.py`, batch
subscriptions): the same prefetch, deliveries gathered into batches of what has arrived (at most
MAX_BATCH), each batch settled with one `ack(multiple=True)` of its last delivery. So the ratio of the
projector's rate to this one compares like with like: what our code adds, not a different ack pattern.
"""

from __future__ import annotations

import asyncio
import sys
import time

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

PREFETCH = 512  # the projector's (RabbitMQBus.consume_batches default)
MAX_BATCH = 256  # the projector's (SCHEDULER_PROJECTOR_MAX_BATCH default)


async def settle_in_batches(
    buffer: asyncio.Queue[AbstractIncomingMessage], count: int
) -> tuple[float, float]:
    """Take what has arrived (up to MAX_BATCH), ack it with one multiple ack; until COUNT are acked."""
    acked, first = 0, 0.0
    while acked < count:
        batch = [await buffer.get()]
        while len(batch) < MAX_BATCH and not buffer.empty():
            batch.append(buffer.get_nowait())
        await batch[-1].ack(multiple=True)
        acked += len(batch)
        if not first:
            first = time.time()
    return time.time(), first


async def consume(url: str, queue_name: str, count: int) -> tuple[float, float]:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.declare_queue(queue_name, durable=True)
        buffer: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()

        async def on_message(message: AbstractIncomingMessage) -> None:
            buffer.put_nowait(message)

        await queue.consume(on_message)
        print("ready", flush=True)
        return await settle_in_batches(buffer, count)


def main() -> None:
    url, queue_name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    last, first = asyncio.run(consume(url, queue_name, count))
    print(f"done {last:.6f} {first:.6f}", flush=True)


if __name__ == "__main__":
    main()
