"""The worker: takes runs from the shared queue, runs the job kind, publishes what happened.

A delivery is acknowledged as soon as its run has started (never held open for the whole run: long runs
must outlive RabbitMQ's consumer timeout). When all slots are busy the worker pauses its subscription, so
waiting runs stay in the queue for other workers.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from contracts.envelope import Event, Message, utc_now
from contracts.events import CancelRequested, ExecutionMarkedFailed, JobFinished, JobStarted
from contracts.runs import RunJob
from contracts.topology import EVENTS_EXCHANGE, RUNS, QueueSpec
from infrastructure.bus.port import Bus, Reject, Subscription
from services.workers.job_api import JobFunction, RunCancelled
from services.workers.run_context import RunContext

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def control_queue(worker_id: str) -> QueueSpec:
    """This worker's own queue of control events (cancel, marked failed), fanned out to every worker."""
    return QueueSpec(
        f"workers.control.{worker_id}",
        EVENTS_EXCHANGE,
        binding_keys=("CancelRequested", "ExecutionMarkedFailed"),
        durable=False,
        exclusive=True,
    )


class Worker:
    def __init__(
        self,
        bus: Bus,
        job_kinds: Mapping[str, JobFunction],
        *,
        worker_id: str,
        capacity: int = 1,
        clock: Clock = utc_now,
    ) -> None:
        self._bus = bus
        self._job_kinds = dict(job_kinds)
        self.worker_id = worker_id
        self._capacity = capacity
        self._clock = clock
        self._active: dict[str, tuple[RunContext, asyncio.Task[None]]] = {}
        self._seen: set[tuple[str, int]] = set()
        self._runs: Subscription | None = None
        self._control: Subscription | None = None
        self._paused = False

    @property
    def active_runs(self) -> int:
        return len(self._active)

    async def start(self) -> None:
        self._control = await self._bus.consume(control_queue(self.worker_id), self.on_control)
        self._runs = await self._bus.consume(RUNS, self.on_run, prefetch=self._capacity)

    async def stop(self) -> None:
        for subscription in (self._runs, self._control):
            if subscription is not None:
                await subscription.cancel()
        tasks = [task for _, task in self._active.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def on_run(self, message: Message) -> None:
        if not isinstance(message, RunJob):
            raise Reject(f"workers accept RunJob only, got {message.type}")
        key = (message.execution_id, message.attempt)
        if key in self._seen:
            logger.info("duplicate run ignored", extra={"execution_id": message.execution_id})
            return
        self._seen.add(key)
        context = RunContext(message, publish=self._publish, producer=f"worker:{self.worker_id}")
        started = asyncio.Event()
        task = asyncio.create_task(self._execute(context, started), name=f"run-{message.execution_id}")
        self._active[message.execution_id] = (context, task)
        await started.wait()
        if len(self._active) >= self._capacity and self._runs is not None and not self._paused:
            self._paused = True
            await self._runs.pause()

    async def on_control(self, message: Message) -> None:
        if not isinstance(message, CancelRequested | ExecutionMarkedFailed):
            return
        entry = self._active.get(message.execution_id)
        if entry is None:
            return
        context, _task = entry
        logger.info(
            "cancel requested for a run of this worker",
            extra={"execution_id": message.execution_id, "actor": message.actor},
        )
        context.request_cancel(message.actor)

    async def _publish(self, event: Event) -> None:
        await self._bus.publish(event)

    async def _execute(self, context: RunContext, started: asyncio.Event) -> None:
        run = context.run
        started_at = self._clock()
        try:
            await self._publish(
                JobStarted(
                    **context.envelope(),
                    job_name=run.job_name,
                    worker_id=self.worker_id,
                    started_at=started_at,
                    scheduled_time=run.scheduled_time,
                    is_manual=run.is_manual,
                )
            )
        finally:
            started.set()
        try:
            outcome = await self._run_job(context)
            await self._publish(
                JobFinished(**context.envelope(), started_at=started_at, finished_at=self._clock(), **outcome)
            )
        except Exception:
            logger.exception("could not report the end of a run", extra={"execution_id": run.execution_id})
        finally:
            self._active.pop(run.execution_id, None)
            await self._maybe_resume()

    async def _run_job(self, context: RunContext) -> dict[str, Any]:
        run = context.run
        function = self._job_kinds.get(run.job_kind)
        if function is None:
            return _failed(f"unknown job kind {run.job_kind!r} on worker {self.worker_id}", None)
        try:
            context.check_cancelled()
            result = await function(context)
        except RunCancelled as cancelled:
            return {"status": "cancelled", "cancelled_by": cancelled.actor, "error_message": str(cancelled)}
        except asyncio.CancelledError:
            if context.cancel_requested:
                return {"status": "cancelled", "cancelled_by": context.cancelled_by}
            raise
        except Exception as error:
            logger.info("run failed: %s", error, extra={"execution_id": run.execution_id})
            return _failed(f"{type(error).__name__}: {error}", traceback.format_exc())
        return {"status": "success", "return_value": _jsonable(result)}

    async def _maybe_resume(self) -> None:
        if self._paused and len(self._active) < self._capacity and self._runs is not None:
            self._paused = False
            await self._runs.resume()


def _failed(message: str, trace: str | None) -> dict[str, Any]:
    status: Literal["failed"] = "failed"
    return {"status": status, "error_message": message, "traceback": trace}


def _jsonable(value: Any) -> Any:
    """The job's result as JSON; anything else is kept as its text (never fails the run)."""
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value
