"""Commands, carried out: look up the facts a command needs, ask the decider, publish, move the clock.

A refused command is answered with `CommandRejected` (it lands in the operator history) and raised as
`Reject`, which sends the command to the dead-letter queue with the reason.
"""

from __future__ import annotations

from contracts.commands import PauseJob
from contracts.commands import ResumeJob
from contracts.envelope import Command
from contracts.events import JobPaused
from contracts.events import JobResumed
from domain.scheduling.commands import Facts
from domain.scheduling.commands import decide_command
from domain.scheduling.job import Trigger
from services.scheduler.desk import Desk
from services.scheduler.fire_clock import FireClock


def ordering_key(command: Command) -> str:
    """Commands with the same key are handled one after the other, in the order they came."""
    execution_id = getattr(command, "execution_id", None)
    return f"execution:{execution_id}" if execution_id else f"job:{getattr(command, 'job_id', '')}"


async def facts_for(desk: Desk, command: Command, triggers: dict[str, Trigger]) -> Facts:
    """What the decider needs to know for this command (its job, its execution, the next instant)."""
    job_id = getattr(command, "job_id", None)
    execution_id = getattr(command, "execution_id", None)
    job = desk.definitions.get(job_id) if job_id is not None else None
    record = None
    if execution_id is not None:
        record = await desk.lookups.get(execution_id)
    next_run_time = None
    if isinstance(command, ResumeJob) and job_id in triggers:
        next_run_time = triggers[job_id].next_after(desk.now().wall)
    return Facts(job=job, record=record, next_run_time=next_run_time)


async def handle_command(
    desk: Desk, clock: FireClock, command: Command, triggers: dict[str, Trigger]
) -> None:
    """Decide one command, publish the outcome, and pause or resume the job's clock if it says so."""
    facts = await facts_for(desk, command, triggers)
    was_paused = getattr(command, "job_id", None) in desk.state.paused
    decision = decide_command(desk.state, command, facts, desk.now(), desk.producer)
    await desk.carry_out(decision, command_id=command.message_id)
    for message in decision.messages:
        if isinstance(message, JobPaused) and isinstance(command, PauseJob):
            clock.pause(message.job_id)
        elif isinstance(message, JobResumed) and was_paused:  # a running clock keeps the instants it owes
            clock.resume(message.job_id)
