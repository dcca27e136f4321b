"""Job dependencies, carried out by the leader.

Rebuild their progress on taking office, follow each upstream end to what it becomes for the jobs that run
after it (decider: `domain.scheduling.dependencies`), and settle the fires that wait for their upstream jobs
(`policy.after`; decider: `domain.scheduling.waiting`) after each upstream end, on taking office and on each
round of the watch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC
from datetime import tzinfo

from contracts.envelope import Message
from domain.records import ExecutionRecord
from domain.scheduling.dependencies import Downstream
from domain.scheduling.dependencies import fires_after
from domain.scheduling.dependencies import pending_fires
from domain.scheduling.fire import Fire
from domain.scheduling.progress import end_of
from domain.scheduling.progress import rebuilt_progress
from domain.scheduling.reconcile import put_back
from domain.scheduling.reconcile import reconciled_waits
from domain.scheduling.state import rewaited
from domain.scheduling.waiting import waiting_decisions
from domain.triggers import TriggerError
from domain.triggers import parse_trigger
from infrastructure.store.port import ExecutionQuery
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk
from services.scheduler.firing import carry_out_fire

logger = logging.getLogger(__name__)

RECENT_EXECUTIONS = 50
"""How many of a job's newest executions rebuild its progress (its latest end and latest run are there)."""


def downstreams_of(definitions: Mapping[str, JobDefinition], zone: tzinfo = UTC) -> dict[str, Downstream]:
    """The jobs with an `after:` trigger, by id (`zone`: where their day window is counted)."""
    downstreams: dict[str, Downstream] = {}
    for job_id, definition in definitions.items():
        try:
            upstreams = parse_trigger(definition.trigger).after
        except TriggerError:
            continue  # refused at start-up already (`load_definitions`)
        if upstreams:
            downstreams[job_id] = Downstream(job_id, upstreams, definition.policy, zone, definition.job_kind)
    return downstreams


async def rebuild_progress(desk: Desk, downstreams: Mapping[str, Downstream]) -> None:
    """The progress of every dependency.

    From the newest executions of the jobs involved (those of the `after:` triggers and of `policy.after`).
    """
    involved = {job for item in downstreams.values() for job in (item.job_id, *item.upstreams)}
    for job_id, definition in desk.definitions.items():
        if definition.policy.after:
            involved |= {job_id, *definition.policy.after}
    records: dict[str, list[ExecutionRecord]] = {}
    for job_id in sorted(involved):
        page, _ = await desk.store.list_executions(ExecutionQuery(job_id=job_id, limit=RECENT_EXECUTIONS))
        records[job_id] = page
    desk.state = replace(desk.state, progress=rebuilt_progress(records))


async def decide_pending(desk: Desk, downstreams: Mapping[str, Downstream]) -> None:
    """What the rebuilt progress calls for (a run or skip the previous leader may not have published)."""
    await _carry_out(desk, pending_fires(desk.state, downstreams, desk.now().wall))
    await settle_waiting(desk)


async def follow(desk: Desk, downstreams: Mapping[str, Downstream], message: Message) -> None:
    """Follow an upstream end to what it becomes.

    After `message` is folded: what an upstream end becomes for the jobs after it, and for the fires
    waiting for it.
    """
    ended = end_of(message)
    if ended is None:
        return
    if downstreams:
        await _carry_out(desk, fires_after(desk.state, downstreams, ended[0], desk.now().wall))
    await settle_waiting(desk)


async def settle_waiting(desk: Desk) -> None:
    """Run or skip each waiting fire whose wait is over.

    Its upstream jobs succeeded, one failed, or its timeout passed on the scheduler's clock. A fire whose
    run or skip the bus did not confirm waits again, decided again at the next upstream end or watch round
    (its run was folded, which ends its wait, then forgotten: without this, no round would see it again),
    once its record shows its run or skip did not get through (`_reconcile_put_back`).
    """
    if not desk.state.waiting:
        return
    await _reconcile_put_back(desk)
    decided = waiting_decisions(
        desk.state, desk.definitions, desk.now(), producer=desk.producer, zone=desk.settings.zone
    )
    for execution_id, decision in decided:
        run = desk.state.waiting.get(execution_id)
        if run is None or run.unconfirmed:
            continue  # settled meanwhile (a concurrent round decided it first), or put back: next round
        try:
            await desk.carry_out(decision, execution_id=execution_id)
        except BaseException:
            desk.state = rewaited(desk.state, run)
            raise


async def _reconcile_put_back(desk: Desk) -> None:
    """The waiting fires put back after an unconfirmed run or skip, as their records have them.

    A confirm that came too late leaves the run or skip with the broker: released or ended in the read
    model, the fire waits no longer (`reconciled_waits`) and is not decided again.
    """
    put = put_back(desk.state)
    if not put:
        return
    records = await desk.store.get_executions(put)
    reconciliation = reconciled_waits(desk.state, records, desk.now())
    desk.state = reconciliation.state
    for execution_id in reconciliation.adopted:
        logger.warning(
            "waiting fire %s: its run or skip was not confirmed but got through (%s): it stands",
            execution_id,
            records[execution_id].status,
            extra={"job_id": records[execution_id].job_id, "execution_id": execution_id},
        )


async def _carry_out(desk: Desk, fires: list[Fire]) -> None:
    for fire in fires:
        definition = desk.definitions.get(fire.job_id)
        if definition is None:
            continue
        logger.info(
            "%s after its upstream: %s",
            fire.job_id,
            fire.refusal or "runs",
            extra={"job_id": fire.job_id, "execution_id": fire.execution_id},
        )
        await carry_out_fire(desk, definition, fire)
