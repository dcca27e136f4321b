"""Composition root of the projector process (`python -m services.projector`).

Several projector processes may run: the projector queue is a single-active-consumer queue, so one of them
consumes and the others stand by until it goes away (its unacknowledged deliveries go to the next one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from prometheus_client import start_http_server
from pydantic import Field

from contracts.run_log_settings import RunLogSettings
from contracts.topology import PROJECTOR
from contracts.topology import RUN_LOGS
from infrastructure.adapters import make_bus
from infrastructure.adapters import make_run_logs
from infrastructure.adapters import make_store
from infrastructure.bus.retry import connect_with_retry
from infrastructure.process import configure_logging
from infrastructure.process import health_line
from infrastructure.process import run_until_stop_signal
from infrastructure.settings import CommonSettings
from services.projector.projector import Projector
from services.projector.run_logs import RunLogWriter
from services.projector.stats import metrics_registry

logger = logging.getLogger(__name__)


class ProjectorSettings(CommonSettings):
    """The projector process's settings: how often it reports its state, and its metrics port."""

    projector_state_interval_s: float = Field(
        default=5.0, gt=0, description="how often the projector writes its state (lag, counts) to the store"
    )
    projector_metrics_port: int | None = Field(
        default=None, description="serve Prometheus metrics (lag, counts) on this port; none by default"
    )
    projector_metrics_host: str = "127.0.0.1"
    projector_max_batch: int = Field(default=256, ge=1)
    projector_batch_gather_ms: float = Field(
        default=10.0,
        ge=0,
        le=100,
        description="how long a batch (of events, of run-log lines) waits after its first message for "
        "more to arrive: a batch costs the projector mostly per batch (a transaction, an acknowledgement), "
        "so under a steady trickle fewer and larger batches save CPU per event, at the price of this much "
        "latency (0: none)",
    )
    run_logs: RunLogSettings = Field(default_factory=RunLogSettings, description="run logs' retention")


def projector_id(settings: CommonSettings) -> str:
    """The projector's name in its state record and logs: the instance id, else host and process id."""
    return settings.instance_id or f"projector:{socket.gethostname()}-{os.getpid()}"


async def main(settings: ProjectorSettings) -> None:
    """Run the projector process: consume events and run logs into the stores until a stop signal."""
    configure_logging(settings.log_level, service="projector")
    name = projector_id(settings)
    store = make_store(settings)
    bus = make_bus(settings, connection_name=name)
    run_logs = make_run_logs(settings)
    await store.open()
    await run_logs.open()
    try:
        await connect_with_retry(bus)
        projector = Projector(store, projector_id=name, state_interval_s=settings.projector_state_interval_s)
        if settings.projector_metrics_port is not None:
            start_http_server(
                settings.projector_metrics_port,
                addr=settings.projector_metrics_host,
                registry=metrics_registry(projector.stats),
            )
        subscription = await bus.consume_batches(
            PROJECTOR,
            projector.on_events,
            max_batch=settings.projector_max_batch,
            gather_s=settings.projector_batch_gather_ms / 1000,
        )
        logger.info("projector %s consuming %s (or standing by)", name, PROJECTOR.name)
        writer = RunLogWriter(run_logs, settings.run_logs)
        run_log_subscription = await bus.consume_batches(
            RUN_LOGS, writer.on_batches, max_batch=64, gather_s=settings.projector_batch_gather_ms / 1000
        )
        await run_until_stop_signal(
            settings.liveness_file,
            lambda: health_line(bus.unreachable_since),
            background={
                "projector-state": projector.report_periodically(),
                "run-log-purge": writer.purge_periodically(),
            },
        )
        with contextlib.suppress(TimeoutError):
            # A batch held by an unavailable store would wait for ever: its deliveries go back to the
            # queue when the connection closes.
            await asyncio.wait_for(subscription.cancel(), 10)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run_log_subscription.cancel(), 10)
        with contextlib.suppress(Exception):
            await projector.report_state()
    finally:
        await bus.close()
        await run_logs.close()
        await store.close()
