"""One fire, carried out: look up whether its execution exists, ask the decider, publish what it says."""

from __future__ import annotations

from domain.scheduling.decide import decide_fire
from domain.scheduling.fire import Fire
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk


async def carry_out_fire(desk: Desk, job: JobDefinition, fire: Fire) -> None:
    """Decide one fire and publish the outcome (a run, a miss, a skip, or nothing when it exists)."""
    record = await desk.store.get_execution(fire.execution_id)
    decision = decide_fire(
        desk.state,
        job,
        fire,
        desk.now(),
        producer=desk.producer,
        recorded=record.status if record is not None else None,
        zone=desk.settings.zone,
    )
    await desk.carry_out(decision, job_id=job.job_id, execution_id=fire.execution_id)
