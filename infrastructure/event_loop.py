"""The event loop every service process runs on: uvloop (libuv) by default, the standard one on request.

Most of a service's CPU goes to the event loop and the AMQP client's many small callbacks (bench, "CPU
profile by process and layer"); uvloop runs the same asyncio code with its loop, transports and timers in C.
`SCHEDULER_EVENT_LOOP=asyncio` chooses the standard library's loop (a platform uvloop does not support, or to
compare); where uvloop is not installed the standard loop is used and said so in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from collections.abc import Coroutine
from typing import Any
from typing import Literal
from typing import TypeVar

logger = logging.getLogger(__name__)

EventLoopKind = Literal["uvloop", "asyncio"]
T = TypeVar("T")


def loop_factory(kind: EventLoopKind) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the process's event loop: uvloop's when asked for and installed, else the standard one."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:  # not installed on this platform (uvloop has no Windows build)
            logger.warning("uvloop is not installed: running on the standard asyncio event loop")
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], kind: EventLoopKind) -> T:
    """Run `main` to its end on a new event loop of `kind` (what `asyncio.run` does, on the chosen loop)."""
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        return runner.run(main)
