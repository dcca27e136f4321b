"""The whole system in one process: projector, alerter, workers, scheduler (the API is served by the caller).

Start order follows the message flow backwards, so nothing is published before its consumer exists:
store, bus, projector, alerter, worker, scheduler. Stop order is the reverse.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from dataclasses import field

from contracts.topology import ALERTER
from contracts.topology import DEFAULT_POOL
from contracts.topology import PROJECTOR
from contracts.topology import RUN_LOGS
from infrastructure.adapters import make_bulk_actions
from infrastructure.adapters import make_bus
from infrastructure.adapters import make_run_logs
from infrastructure.adapters import make_store
from infrastructure.adapters import make_user_store
from infrastructure.bus.port import Bus
from infrastructure.bus.port import Subscription
from infrastructure.bus.retry import connect_with_retry
from infrastructure.settings import CommonSettings
from infrastructure.store.bulk_actions_port import BulkActionStore
from infrastructure.store.claims_port import LocalRunClaims
from infrastructure.store.port import Store
from infrastructure.store.run_logs_port import RunLogStore
from infrastructure.store.users_port import UserStore
from services.alerter.alerter import Alerter
from services.alerter.assembly import build_alerter
from services.api.presets import seed_presets
from services.embedded.settings import EmbeddedSettings
from services.projector.projector import Projector
from services.projector.run_logs import RunLogWriter
from services.scheduler.bootstrap import build_scheduler
from services.scheduler.service import SchedulerService
from services.workers.bootstrap import build_worker
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.settings import CatalogueSettings
from services.workers.kinds import job_kinds
from services.workers.run_log_redaction import configured_secrets
from services.workers.worker import Worker

logger = logging.getLogger(__name__)


@dataclass
class EmbeddedSystem:
    """The whole system but the API in one process, over the in-memory bus or RabbitMQ."""

    settings: EmbeddedSettings
    store: Store = field(init=False)
    run_logs: RunLogStore = field(init=False)
    bulk_actions: BulkActionStore = field(init=False)
    users: UserStore = field(init=False)
    bus: Bus = field(init=False)
    projector: Projector = field(init=False)
    alerter: Alerter = field(init=False)
    workers: list[Worker] = field(init=False)
    scheduler: SchedulerService = field(init=False)
    job_environment: JobEnvironment = field(init=False)
    _projection: Subscription | None = field(init=False, default=None)
    _run_log_writing: Subscription | None = field(init=False, default=None)
    _run_log_purge: asyncio.Task[None] | None = field(init=False, default=None)
    _alerting: Subscription | None = field(init=False, default=None)
    _alert_ticks: asyncio.Task[None] | None = field(init=False, default=None)
    _presets: asyncio.Task[None] | None = field(init=False, default=None)
    _projector_state: asyncio.Task[None] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        common = self.settings.model_dump(include=set(CommonSettings.model_fields))
        catalogue_settings = CatalogueSettings(**common)
        if catalogue_settings.tushare_token is not None:  # one process: the scheduler may know it
            self.settings = self.settings.model_copy(update={"tushare_token_set": True})
        self.store = make_store(self.settings)
        self.run_logs = make_run_logs(self.settings)
        self.bulk_actions = make_bulk_actions(self.settings)
        self.users = make_user_store(self.settings)
        self.bus = make_bus(self.settings, connection_name="embedded")
        self.projector = Projector(
            self.store, projector_id=f"projector:{self.settings.instance_id or 'embedded'}"
        )
        self.alerter = build_alerter(
            self.settings, self.bus, producer=f"alerter:{self.settings.instance_id or 'embedded'}"
        )
        self.job_environment = JobEnvironment.from_settings(catalogue_settings)
        claims = LocalRunClaims()
        kinds = job_kinds(self.job_environment)
        # One worker per pool: the default one, and one for each pool the settings give job kinds.
        self.workers = [
            build_worker(
                self.settings,
                self.bus,
                kinds,
                claims=claims,
                worker_id=f"embedded-{pool}",
                pool=pool,
                secrets=configured_secrets(self.settings, self.job_environment.settings),
            )
            for pool in [DEFAULT_POOL, *self.settings.worker_pools]
        ]
        self.scheduler = build_scheduler(
            self.settings,
            bus=self.bus,
            store=self.store,
            claims=claims,
            scheduler_id=self.settings.instance_id or "embedded",
        )

    async def start(self) -> None:
        """Open the stores and start the services, consumers first: projector, alerter, workers, scheduler."""
        await self.store.open()
        await self.run_logs.open()
        await self.bulk_actions.open()
        await self.users.open()
        await connect_with_retry(self.bus)
        self._projection = await self.bus.consume_batches(PROJECTOR, self.projector.on_events, max_batch=256)
        self._projector_state = asyncio.create_task(
            self.projector.report_periodically(), name="projector-state"
        )
        writer = RunLogWriter(self.run_logs, self.settings.run_logs)
        self._run_log_writing = await self.bus.consume_batches(RUN_LOGS, writer.on_batches, max_batch=64)
        self._run_log_purge = asyncio.create_task(writer.purge_periodically(), name="run-log-purge")
        await self._start_alerter()
        for worker in self.workers:
            await worker.start()
        await self.scheduler.start()
        await self.scheduler.elected.wait()
        self._presets = asyncio.create_task(self._seed_presets(), name="seed-presets")
        logger.info("embedded system started (store %s, bus %s)", self.settings.store, self.settings.bus)

    async def _start_alerter(self) -> None:
        await self.bus.declare(ALERTER)  # first, so that nothing published while it rebuilds is missed
        await self.alerter.rebuild(self.store)
        self.alerter.notifier.start()
        self._alerting = await self.bus.consume(ALERTER, self.alerter.on_event)
        self._alert_ticks = asyncio.create_task(
            self.alerter.run_periodically(self.settings.alerts.evaluate_interval_s), name="alert-tick"
        )

    async def _seed_presets(self) -> None:
        """Once the registered jobs are projected, give those without metadata their catalogue presets."""
        expected = len(self.scheduler.definitions)
        for _ in range(200):
            if len(await self.store.list_jobs()) >= expected:
                seeded = await seed_presets(self.store, self.bus, producer="embedded")
                logger.info("metadata presets seeded for %d job(s)", len(seeded))
                return
            await asyncio.sleep(0.05)
        logger.warning("jobs not projected in time: metadata presets not seeded")

    async def stop(self) -> None:
        """Stop the services in the reverse order of `start`, then close the bus and stores."""
        for task in (self._presets, self._projector_state, self._alert_ticks, self._run_log_purge):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.scheduler.stop()
        for worker in self.workers:
            await worker.stop()
        if self._projection is not None:
            await self._projection.cancel()
        if self._run_log_writing is not None:
            await self._run_log_writing.cancel()
        if self._alerting is not None:
            await self._alerting.cancel()
        await self.alerter.notifier.stop()
        await self.bus.close()
        await self.users.close()
        await self.run_logs.close()
        await self.bulk_actions.close()
        await self.store.close()
        await self.job_environment.aclose()
