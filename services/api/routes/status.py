"""Scheduler statistics and health, from the scheduler service's projected heartbeats."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from services.api.alert_health import failing_alert_channels
from services.api.calendar_health import calendar_warnings
from services.api.commands import done
from services.api.dependencies import ApiContext
from services.api.dependencies import Context
from services.api.health import Health
from services.api.health import SchedulerStatus
from services.api.health import assess
from services.api.health import health_message
from services.api.health import scheduler_status
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope
from services.api.schemas import SchedulerHealth
from services.api.schemas import SchedulerStats
from services.api.views import iso
from services.api.views import now_iso

router = SchedulerRouter("status")


async def _scheduler(context: ApiContext) -> SchedulerStatus:
    states = await context.store.list_scheduler_states()
    return scheduler_status(states, datetime.now(UTC), context.settings.heartbeat_tolerance)


@router.read("/stats", "Job counts and the scheduler service's state", Envelope[SchedulerStats])
async def stats(context: Context) -> Envelope[SchedulerStats]:
    """Job counts, runs in progress and the scheduler service's state."""
    scheduler = await _scheduler(context)
    jobs = [view for view in await context.store.list_jobs() if not view.job.deleted]
    paused = sum(1 for view in jobs if view.job.paused)
    in_progress = await context.store.count_executions("queued")
    in_progress += await context.store.count_executions("running")
    data = SchedulerStats(
        total_jobs=len(jobs),
        running_jobs=len(jobs) - paused,
        paused_jobs=paused,
        scheduler_running=scheduler.running,
        scheduler_state=scheduler.state,
        executions_in_progress=in_progress,
        last_heartbeat=iso(scheduler.last_heartbeat, context.zone),
    )
    return done(context, text("scheduler_stats"), data)


@router.read(
    "/health",
    "Health of the scheduler service (not of this API process)",
    Envelope[SchedulerHealth],
    description="`stopped` when the scheduler service sent no heartbeat within "
    "`heartbeat_tolerance` of its intervals; `degraded` when it is paused, the message bus is not "
    'connected ("broker unreachable since …" during an outage), the projector lags or an alert channel\'s '
    "latest message failed.",
)
async def health(context: Context) -> Envelope[SchedulerHealth]:
    """The scheduler service's health (not this API process's), with the reasons."""
    scheduler = await _scheduler(context)
    lag = await context.projector_lag() if context.projector_lag is not None else None
    verdict = assess(
        scheduler,
        bus_connected=context.bus.connected,
        projector_lag_s=lag,
        lag_limit_s=context.settings.projector_lag_degraded_s,
        broker_unreachable_since=context.bus.unreachable_since,
    )
    failing = await failing_alert_channels(context.store)
    if failing:
        verdict = Health("degraded" if verdict.status == "healthy" else verdict.status,
                         [*verdict.reasons, f"告警通道发送失败：{', '.join(failing)}"])  # fmt: skip
    data = SchedulerHealth(
        status=verdict.status,
        running=scheduler.running,
        state=scheduler.state,
        timestamp=now_iso(context.zone),
        last_heartbeat=iso(scheduler.last_heartbeat, context.zone),
        bus_connected=context.bus.connected,
        projector_lag_s=lag,
        alert_channels_failing=failing,
        reasons=verdict.reasons,
        warnings=await calendar_warnings(
            context.calendars,
            (view.job for view in await context.store.list_jobs()),
            datetime.now(context.zone).date(),
        ),
    )
    return Envelope(data=data, message=health_message(verdict), timestamp=data.timestamp)
