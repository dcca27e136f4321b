"""One fire, carried out: look up whether its execution exists, ask the decider, publish what it says."""

from __future__ import annotations

from domain.scheduling.decide import decide_fire
from domain.scheduling.fire import Fire
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk
from services.scheduler.trade_calendars import CLOCK_ORIGINS


async def carry_out_fire(desk: Desk, job: JobDefinition, fire: Fire) -> None:
    """Decide one fire and publish the outcome (a run, a miss, a skip, or nothing when it exists).

    A clock fire of a job limited to a trading-day calendar whose local day is not a trading day is
    dropped here, before the decider: it is not a run, not a miss (crontab's skipped day)."""
    calendar_id = job.policy.calendar
    if calendar_id is not None and fire.origin in CLOCK_ORIGINS:
        zone = desk.settings.zone
        if not desk.calendars.may_fire(calendar_id, fire.scheduled_time, zone, job.job_id):
            return
    record = await desk.store.get_execution(fire.execution_id)
    decision = decide_fire(
        desk.state,
        job,
        fire,
        desk.now(),
        producer=desk.producer,
        recorded=record.status if record is not None else None,
    )
    await desk.carry_out(decision, job_id=job.job_id, execution_id=fire.execution_id)
