"""The Celery side of (3): one no-op task, configured the usual way to watch it (events, result backend).

Settings (documented in bench/README.md): RabbitMQ broker in a throw-away virtual host
(`BENCH_CELERY_BROKER`), result backend `BENCH_CELERY_BACKEND` (Redis when reachable, else `rpc://`),
`task_track_started` (a STARTED state is stored, like our `running`), `task_send_sent_event` plus the
workers' `-E` (task events), default prefetch multiplier and acknowledgement (ack on receipt).
"""

from __future__ import annotations

import os

from celery import Celery

app = Celery(
    "bench",
    broker=os.environ.get("BENCH_CELERY_BROKER", "amqp://guest:guest@127.0.0.1:5672//"),
    backend=os.environ.get("BENCH_CELERY_BACKEND", "rpc://"),
)
app.conf.update(
    task_track_started=True,
    task_send_sent_event=True,
    result_expires=3600,
    task_default_queue="bench.noop",
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name="bench.noop")  # type: ignore[untyped-decorator]
def noop() -> None:
    """Does nothing: what is measured is the machinery around a task."""
