"""Process plumbing shared by the entry points: logging set-up and running until a stop signal."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

_RUN_FIELDS = ("job_id", "execution_id", "correlation_id", "command_id", "actor", "request_id")


class RunFieldsFormatter(logging.Formatter):
    """Appends the structured run fields (job_id, execution_id, ...) given as `extra=` to each line."""

    def format(self, record: logging.LogRecord) -> str:
        """The usual log line, then the run's fields (job_id, execution_id, ...) the record carries."""
        line = super().format(record)
        fields = [f"{name}={getattr(record, name)}" for name in _RUN_FIELDS if hasattr(record, name)]
        return f"{line} [{' '.join(fields)}]" if fields else line


def configure_logging(level: str, *, service: str) -> None:
    """Log to stderr at `level`, each line naming `service`; quieter broker and scheduler libraries."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RunFieldsFormatter(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    if root.level > logging.DEBUG:
        # aio-pika logs each reconnection attempt (and a traceback per lost connection); an outage is said
        # once, when it begins and when it ends, by the bus adapter (`infrastructure.bus.outage`).
        for chatty in ("aiormq.connection", "aio_pika.robust_connection", "aio_pika.tools"):
            logging.getLogger(chatty).setLevel(logging.CRITICAL)


async def wait_for_stop_signal() -> None:
    """Returns on SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def run_until_stop_signal(
    liveness_file: Path | None,
    status: Callable[[], str] | None = None,
    background: dict[str, Coroutine[Any, Any, None]] | None = None,
) -> None:
    """What every service process does once started.

    Keep its liveness file, run its `background` tasks (name -> coroutine), and return on SIGINT or SIGTERM
    once they are all cancelled and ended.
    """
    tasks = [asyncio.create_task(keep_alive_file(liveness_file, status=status), name="liveness")]
    tasks += [asyncio.create_task(work, name=name) for name, work in (background or {}).items()]
    try:
        await wait_for_stop_signal()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def health_line(unreachable_since: datetime | None) -> str:
    """What a process says of itself: `healthy`, or `degraded: broker unreachable since <time>`."""
    if unreachable_since is None:
        return "healthy"
    return f"degraded: broker unreachable since {unreachable_since.isoformat(timespec='seconds')}"


async def keep_alive_file(
    path: Path | None, interval_s: float = 5.0, *, status: Callable[[], str] | None = None
) -> None:
    """Keep the liveness file at `path` up to date.

    Write `status()` (default `healthy`) to `path` every `interval_s` while the event loop is responsive
    (container healthchecks read it with `python -m infrastructure.healthcheck PATH`, which prints it).
    Does nothing without a path.
    """
    if path is None:
        return
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    while True:
        line = status() if status is not None else "healthy"
        await asyncio.to_thread(path.write_text, line + "\n")
        await asyncio.sleep(interval_s)
