"""What Flower does, reduced: consume the Celery task events into the in-memory cluster state.

`python -m bench.celery_monitor`: runs until terminated; prints `ready` once its event queue is consumed
(so no event of the measured tasks is missed), and on SIGTERM how many events and tasks it saw.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

from celery.events.receiver import EventReceiver

from bench.celery_app import app


class ReadyReceiver(EventReceiver):  # type: ignore[misc]
    def on_consume_ready(self, connection: Any, channel: Any, consumers: Any, **kwargs: Any) -> None:
        super().on_consume_ready(connection, channel, consumers, **kwargs)
        print("ready", flush=True)


def main() -> None:
    state = app.events.State()
    seen = 0

    def on_event(event: dict[str, Any]) -> None:
        nonlocal seen
        seen += 1
        state.event(event)

    def stop(signum: int, frame: FrameType | None) -> None:
        print(f"events {seen} tasks {len(state.tasks)}", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    with app.connection() as connection:
        ReadyReceiver(connection, handlers={"*": on_event}, app=app).capture(limit=None, timeout=None)


if __name__ == "__main__":
    main()
