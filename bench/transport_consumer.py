"""The consuming side of the transport ceiling, in a process of its own (as the projector would be).

`python -m bench.transport_consumer URL QUEUE COUNT`: consumes COUNT messages from QUEUE, acknowledging
each one, and prints `ready` once consuming, then `done <time.time() of the last ack> <of the first ack>`.
"""

from __future__ import annotations

import asyncio
import sys
import time

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

PREFETCH = 256  # what the projector asks for


async def consume(url: str, queue_name: str, count: int) -> tuple[float, float]:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.declare_queue(queue_name, durable=True)
        finished = asyncio.get_running_loop().create_future()
        received = 0
        first = 0.0

        async def on_message(message: AbstractIncomingMessage) -> None:
            nonlocal received, first
            await message.ack()
            received += 1
            if received == 1:
                first = time.time()
            if received == count and not finished.done():
                finished.set_result(time.time())

        await queue.consume(on_message)
        print("ready", flush=True)
        last: float = await finished
        return last, first


def main() -> None:
    url, queue_name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    last, first = asyncio.run(consume(url, queue_name, count))
    print(f"done {last:.6f} {first:.6f}", flush=True)


if __name__ == "__main__":
    main()
