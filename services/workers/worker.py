"""The worker: takes runs from the shared queue, runs the job kind, publishes what happened.

- A delivery is acknowledged when its run ends, or after `hold_delivery_s` if the run goes on: long runs
  never hold a delivery open (they must outlive RabbitMQ's consumer timeout). While long runs fill every
  slot the subscription is paused, so waiting runs stay in the queue for other workers. The end of a run
  does not wait for its outcome's publisher confirm: the outcome is in the outbox (published in order,
  held while the broker is away), and a redelivered request of a claimed attempt is ignored anyway, so
  holding the delivery until the confirm bought nothing but a broker round trip per run; a worker that dies
  before its outcome is out is a lost worker, whose runs the scheduler fails by their heartbeats.
- Each run is claimed in the store first (execution, attempt): a redelivered or duplicated request runs once.
- While runs are alive the worker sends a heartbeat listing them; the scheduler fails runs whose
  heartbeats stop (worker lost).
- A cancel (or an operator's "mark failed") sets the run's cancel flag, seen at the job's next check point;
  a run still going after `cancel_grace_s` is stopped by force. A run over its `timeout_s` is stopped too.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.envelope import Message
from contracts.envelope import utc_now
from contracts.events import AttemptFailed
from contracts.events import CancelRequested
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobStarted
from contracts.events import RunRef
from contracts.events import WorkerHeartbeat
from contracts.run_log_settings import RunLogSettings
from contracts.runs import RunJob
from contracts.topology import DEFAULT_POOL
from contracts.topology import runs_queue
from contracts.topology import worker_control_queue
from infrastructure.background import BackgroundLoop
from infrastructure.background import Repeating
from infrastructure.background import every
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import Reject
from infrastructure.bus.port import Subscription
from infrastructure.store.claims_port import RunClaims
from services.workers import outcomes
from services.workers.job_api import JobFunction
from services.workers.job_api import RunCancelled
from services.workers.outbox import Outbox
from services.workers.outcomes import Outcome
from services.workers.run_context import RunContext
from services.workers.run_log_buffer import RunLogBuffer
from services.workers.run_log_capture import capturing
from services.workers.run_log_capture import install_capture
from services.workers.run_log_capture import run_level
from services.workers.run_log_redaction import Redactor
from services.workers.run_log_shipper import RunLogShipper

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class WorkerTimings:
    """A worker's timings (seconds): heartbeats, cancel and shutdown grace, how long a delivery is held."""

    heartbeat_interval_s: float = 5.0
    cancel_grace_s: float = 10.0
    shutdown_grace_s: float = 30.0
    # A short run keeps its delivery until it ends (the broker's prefetch then bounds the worker's load);
    # a run still going after this long is acknowledged and the worker pauses its subscription instead,
    # so no delivery is ever held for long (RabbitMQ's consumer_timeout).
    hold_delivery_s: float = 10.0
    # Cancels of runs this worker is not running (yet): kept so that a run whose cancel overtook its start
    # (claimed, not yet registered) still stops at its first check point. Bounded: oldest forgotten first.
    remembered_cancels: int = 1000


@dataclass
class _ActiveRun:
    context: RunContext
    task: asyncio.Task[None]
    force_stop: asyncio.TimerHandle | None = None


class Worker:
    """Runs the runs of its pool: claims each attempt, runs its job, reports its events, obeys cancels."""

    def __init__(
        self,
        bus: Bus,
        job_kinds: Mapping[str, JobFunction],
        *,
        worker_id: str,
        claims: RunClaims,
        capacity: int = 1,
        pool: str = DEFAULT_POOL,
        timings: WorkerTimings = WorkerTimings(),
        clock: Clock = utc_now,
        run_logs: RunLogSettings | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        self._bus = bus
        self._job_kinds = dict(job_kinds)
        self.worker_id = worker_id
        self._claims = claims
        self._capacity = capacity
        self._pool = pool
        self._timings = timings
        self._shutting_down = False
        self._clock = clock
        self._producer = f"worker:{worker_id}"
        self._active: dict[str, _ActiveRun] = {}
        self._runs: Subscription | None = None
        self._control: Subscription | None = None
        interval = every(lambda: self._timings.heartbeat_interval_s)
        beats = Repeating(self._beat, interval, "worker heartbeat failed", pause_first=True, logger=logger)
        self._heartbeat = BackgroundLoop("worker-heartbeat", beats)
        self._paused = False
        self._resuming: asyncio.Task[None] | None = None
        # Run events and heartbeats go through the outbox: held in order while the broker is away.
        self.outbox = Outbox(bus)
        self._early_cancels: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._run_log_settings = run_logs or RunLogSettings()
        self.run_logs = RunLogShipper(bus, producer=self._producer, settings=self._run_log_settings)
        self._redactor = Redactor(secrets)

    @property
    def active_runs(self) -> int:
        """How many runs this worker is running now."""
        return len(self._active)

    async def start(self) -> None:
        """Start consuming the pool's runs and this worker's control queue, and the heartbeats."""
        install_capture()
        self.run_logs.start()
        self._control = await self._bus.consume(worker_control_queue(self.worker_id), self.on_control)
        self._runs = await self._bus.consume(
            runs_queue(self._pool), self.on_run, prefetch=self._capacity, concurrency=self._capacity
        )
        self._heartbeat.start()

    async def stop(self) -> None:
        """Take no more runs, then stop.

        The current runs may finish for `shutdown_grace_s`, then the rest is handed back (another worker takes
        them at once as a new attempt).
        """
        if self._runs is not None:
            await self._runs.cancel()
        tasks = [active.task for active in self._active.values()]
        if tasks:
            logger.info(
                "waiting up to %g s for %d run(s) to finish", self._timings.shutdown_grace_s, len(tasks)
            )
            await asyncio.wait(tasks, timeout=self._timings.shutdown_grace_s)
        self._shutting_down = True
        for active in list(self._active.values()):
            active.task.cancel()
        await asyncio.gather(*(active.task for active in self._active.values()), return_exceptions=True)
        if self._control is not None:
            await self._control.cancel()
        await self._heartbeat.stop()
        if self._resuming is not None:
            self._resuming.cancel()
        await self.run_logs.stop(self._timings.shutdown_grace_s)
        await self.outbox.drain(self._timings.shutdown_grace_s)
        await self.outbox.close()

    async def on_run(self, message: Message) -> None:
        """Claim a `RunJob` attempt and run it; an attempt another worker claimed is ignored."""
        if not isinstance(message, RunJob):
            raise Reject(f"workers accept RunJob only, got {message.type}")
        if not await self._claims.claim_run(message.execution_id, message.attempt, self.worker_id):
            logger.info("run already claimed, ignored", extra={"execution_id": message.execution_id})
            return
        # Progress reports are not confirmed one by one: the outcome after them is (`Outbox.send_paced`).
        context = RunContext(message, publish=self.outbox.send_paced, producer=self._producer)
        early_cancel = self._early_cancels.pop((message.execution_id, message.attempt), None)
        if early_cancel is not None:
            context.request_cancel(early_cancel)
        started_at = self._started(context)
        task = asyncio.create_task(self._execute(context, started_at), name=f"run-{message.execution_id}")
        self._active[message.execution_id] = _ActiveRun(context, task)
        done, _ = await asyncio.wait({task}, timeout=self._timings.hold_delivery_s)
        if done:
            return
        # A long run: its delivery is acknowledged now; while every slot is taken, take no more runs.
        if len(self._active) >= self._capacity and self._runs is not None and not self._paused:
            self._paused = True
            await self._runs.pause()

    async def on_control(self, message: Message) -> None:
        """Act on a cancel, a manual failure or a failed attempt concerning a run this worker runs."""
        if not isinstance(message, CancelRequested | ExecutionMarkedFailed | AttemptFailed):
            return
        if isinstance(message, AttemptFailed) and message.producer == self._producer:
            return  # our own report of an attempt that is already over
        actor = getattr(message, "actor", None) or "scheduler"
        active = self._active.get(message.execution_id)
        if active is None and isinstance(message, CancelRequested):
            self._remember_cancel(message.execution_id, message.attempt, actor)
        if active is None or active.context.run.attempt != message.attempt:
            return
        logger.info(
            "stop requested (%s) by %s", message.type, actor, extra={"execution_id": message.execution_id}
        )
        active.context.request_cancel(actor)
        if active.force_stop is None:
            loop = asyncio.get_running_loop()
            active.force_stop = loop.call_later(self._timings.cancel_grace_s, self._force_stop, active)

    def _remember_cancel(self, execution_id: str, attempt: int, actor: str) -> None:
        self._early_cancels[(execution_id, attempt)] = actor
        while len(self._early_cancels) > self._timings.remembered_cancels:
            self._early_cancels.popitem(last=False)

    def _force_stop(self, active: _ActiveRun) -> None:
        if not active.task.done():
            logger.warning(
                "run did not stop within the grace period: stopping it by force",
                extra={"execution_id": active.context.execution_id},
            )
            active.task.cancel()

    def _started(self, context: RunContext) -> datetime:
        """Send the run's `JobStarted` without waiting for it and return the run's start time.

        The outbox publishes it before anything the run sends after it (it is confirmed with the run's
        outcome). It is sent before the run's task exists: a burst of deliveries starts in one pass.
        """
        run = context.run
        started_at = self._clock()
        self.outbox.send(
            JobStarted(
                **context.envelope(),
                job_name=run.job_name,
                worker_id=self.worker_id,
                started_at=started_at,
                scheduled_time=run.scheduled_time,
                is_manual=run.is_manual,
            )
        )
        return started_at

    async def _execute(self, context: RunContext, started_at: datetime) -> None:
        run = context.run
        buffer = self._run_log_buffer(run)
        try:
            with capturing(buffer, self._redactor):
                outcome = await self._run_job(context)
            for batch in await self.run_logs.last_batches(buffer):
                self.outbox.send(batch)  # before the outcome, in order, and confirmed with it
            await self._report(context, outcome, started_at)
        except Exception:
            logger.exception("could not report the end of a run", extra={"execution_id": run.execution_id})
        finally:
            buffer.close()  # whatever happened: what is left is shipped by the periodic loop
            active = self._active.pop(run.execution_id, None)
            if active is not None and active.force_stop is not None:
                active.force_stop.cancel()
            await self._maybe_resume()

    def _run_log_buffer(self, run: RunJob) -> RunLogBuffer:
        buffer = RunLogBuffer(
            job_id=run.job_id,
            execution_id=run.execution_id,
            attempt=run.attempt,
            level=run_level(run.kwargs),
            settings=self._run_log_settings,
        )
        self.run_logs.track(buffer)
        return buffer

    async def _run_job(self, context: RunContext) -> Outcome:
        run = context.run
        function = self._job_kinds.get(run.job_kind)
        if function is None:
            return outcomes.failed(f"unknown job kind {run.job_kind!r} on worker {self.worker_id}")
        try:
            context.check_cancelled()
            async with asyncio.timeout(run.timeout_s):
                result = await function(context)
        except RunCancelled as cancelled:
            return outcomes.cancelled(cancelled.actor)
        except TimeoutError:
            if context.cancel_requested:
                return outcomes.cancelled(context.cancelled_by)
            return outcomes.failed(f"timed out after {run.timeout_s:g} s", None, reason="timeout")
        except asyncio.CancelledError:
            if context.cancel_requested:
                return outcomes.cancelled(context.cancelled_by)
            if self._shutting_down:
                return outcomes.handed_back(self.worker_id)
            raise
        except Exception as error:
            logger.info("run failed: %s", error, extra={"execution_id": run.execution_id})
            return outcomes.failed(f"{type(error).__name__}: {error}", traceback.format_exc())
        return outcomes.succeeded(result)  # `partial` when the job returned a `PartialResult`

    async def _report(self, context: RunContext, outcome: Outcome, started_at: datetime) -> None:
        """Queue the run's outcome in the outbox; waits only while it is backed up (see the module)."""
        retry_in_s = outcome.retry_in_s(context.run)
        if retry_in_s is not None and (
            outcome.failure_reason == "handed_back" or not context.cancel_requested
        ):
            await self.outbox.send_paced(
                AttemptFailed(
                    **context.envelope(),
                    reason=outcome.failure_reason,
                    error_message=outcome.error_message or "failed",
                    traceback=outcome.traceback,
                    retry_in_s=retry_in_s,
                )
            )
            return
        await self.outbox.send_paced(
            JobFinished(
                **context.envelope(),
                status=outcome.status,
                started_at=started_at,
                finished_at=self._clock(),
                return_value=outcome.return_value,
                error_message=outcome.error_message,
                traceback=outcome.traceback,
                cancelled_by=outcome.cancelled_by,
            )
        )

    async def _maybe_resume(self) -> None:
        if self._paused and len(self._active) < self._capacity and self._runs is not None:
            self._paused = False
            try:
                await self._runs.resume()
            except BusUnavailable:  # the broker is away: take runs again once it is back
                self._paused = True
                if self._resuming is None or self._resuming.done():
                    self._resuming = asyncio.create_task(self._resume_when_back(), name="worker-resume")

    async def _resume_when_back(self) -> None:
        while self._paused and not self._shutting_down:
            await asyncio.sleep(1.0)
            await self._maybe_resume()

    async def _beat(self) -> None:
        if not self._active:
            return
        runs = tuple(
            RunRef(
                execution_id=a.context.execution_id,
                job_id=a.context.job_id,
                attempt=a.context.run.attempt,
            )
            for a in self._active.values()
        )
        try:
            await self.outbox.publish(
                WorkerHeartbeat(
                    producer=self._producer,
                    worker_id=self.worker_id,
                    capacity=self._capacity,
                    runs=runs,
                    interval_s=self._timings.heartbeat_interval_s,
                )
            )
        except Exception as error:  # never a traceback per beat
            logger.warning("worker heartbeat not published: %r", error)
