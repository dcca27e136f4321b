"""Fires, carried out: look up whether their executions exist, ask the decider, publish what it says.

A burst of fires (every job due at one instant: the clock delivers them in one go) is decided with one
store lookup for all of its executions and published as one batch of confirmed messages; each decision is
folded into the state before the next fire is decided, so the overlap policy sees the runs of the burst.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from contracts.envelope import Message
from domain.records import ExecutionRecord
from domain.scheduling.decide import decide_fire
from domain.scheduling.decision import Decision
from domain.scheduling.fire import Fire
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk
from services.scheduler.trade_calendars import CLOCK_ORIGINS

logger = logging.getLogger(__name__)


def _on_a_trading_day(desk: Desk, job: JobDefinition, fire: Fire) -> bool:
    """False for a clock fire of a job limited to a trading-day calendar whose local day is not one.

    Such a fire is dropped before the decider: it is not a run, not a miss (crontab's skipped day).
    """
    calendar_id = job.policy.calendar
    if calendar_id is None or fire.origin not in CLOCK_ORIGINS:
        return True
    return desk.calendars.may_fire(calendar_id, fire.scheduled_time, desk.settings.zone, job.job_id)


def _decide(desk: Desk, job: JobDefinition, fire: Fire, recorded: ExecutionRecord | None) -> Decision:
    """The decider's answer to one fire, given the execution's record in the store (None: not there)."""
    return decide_fire(
        desk.state,
        job,
        fire,
        desk.now(),
        producer=desk.producer,
        recorded=recorded.status if recorded is not None else None,
        zone=desk.settings.zone,
    )


async def carry_out_fire(desk: Desk, job: JobDefinition, fire: Fire) -> None:
    """Decide one fire and publish the outcome (a run, a miss, a skip, or nothing when it exists).

    A clock fire on a day its job's trading-day calendar excludes is dropped (`_on_a_trading_day`).
    """
    if not _on_a_trading_day(desk, job, fire):
        return
    decision = _decide(desk, job, fire, await desk.store.get_execution(fire.execution_id))
    await desk.carry_out(decision, job_id=job.job_id, execution_id=fire.execution_id)


async def carry_out_fires(desk: Desk, fires: Sequence[tuple[JobDefinition, Fire]]) -> None:
    """Decide a burst of fires (one store lookup for all) and publish what they become together.

    `BusUnavailable` when the batch is not confirmed: its runs are forgotten again, as for one fire.
    """
    fires = [(job, fire) for job, fire in fires if _on_a_trading_day(desk, job, fire)]
    if not fires:
        return
    records = await desk.store.get_executions({fire.execution_id for _, fire in fires})
    messages: list[Message] = []
    folded: list[Message] = []
    for job, fire in fires:
        decision = _decide(desk, job, fire, records.get(fire.execution_id))
        if decision.claim is not None:  # never for a fire today; kept correct should one ever claim
            await desk.carry_out(decision, job_id=job.job_id, execution_id=fire.execution_id)
            continue
        if decision.log is not None:
            logger.info(decision.log, extra={"job_id": job.job_id, "execution_id": fire.execution_id})
        folded.extend(desk.fold_decided(decision.messages))
        messages.extend(decision.messages)
    if messages:
        await desk.publish_folded(messages, folded)
