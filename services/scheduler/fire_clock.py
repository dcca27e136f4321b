"""APScheduler 3 as the clock only: it says which instants of which job are due, nothing more.

Each job is registered with a no-op function; its submission event carries every instant due since the
last one (`coalesce=False`: a stalled loop or a suspended host delivers all of them), and what they
become is decided by the decider. APScheduler's own misfire check is off (`misfire_grace_time=None`).
Nothing is ever run: the executor takes the submission and drops it, so a burst of due jobs costs no task,
no "Running job" log line and no execution event per job on the loop that also carries the burst out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from datetime import tzinfo

from apscheduler.events import EVENT_JOB_SUBMITTED
from apscheduler.events import JobSubmissionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

OnDue = Callable[[str, list[datetime]], None]


async def _no_op() -> None:
    """The function each job is registered with; never run (see `_SubmissionsOnly`)."""


class _SubmissionsOnly(BaseExecutor):  # type: ignore[misc]  # APScheduler 3 is untyped
    """An executor that runs nothing: the submission event is all the clock needs of a due job."""

    def submit_job(self, job: object, run_times: list[datetime]) -> None:
        """Accept the due instants (no instance is counted: nothing runs)."""

    def _do_submit_job(self, job: object, run_times: list[datetime]) -> None:
        """Never called (`submit_job` runs nothing)."""


class FireClock:
    """Which instants of which job are due (APScheduler underneath); `on_due` gets them, all of them."""

    def __init__(self, timezone: tzinfo, on_due: OnDue) -> None:
        self._aps = AsyncIOScheduler(timezone=timezone, executors={"default": _SubmissionsOnly()})
        self._on_due = on_due
        self._aps.add_listener(self._submitted, EVENT_JOB_SUBMITTED)

    @property
    def paused_count(self) -> int:
        """How many jobs on the clock are paused."""
        return sum(1 for job in self._aps.get_jobs() if job.next_run_time is None)

    def start_paused(self) -> None:
        """Start the clock with every job paused (nothing is due until `resume_all`)."""
        self._aps.start(paused=True)

    def resume_all(self) -> None:
        """Let the clock run: due instants are handed to `on_due` from now on."""
        self._aps.resume()

    def shutdown(self) -> None:
        """Stop the clock if it runs; instants not yet due are forgotten."""
        if self._aps.running:
            self._aps.shutdown(wait=False)

    def add(self, job_id: str, name: str, trigger: BaseTrigger, *, paused: bool) -> None:
        """Put a job on the clock with its trigger, paused or not (an id already there: `remove` it first)."""
        self._aps.add_job(
            _no_op,
            trigger=trigger,
            id=job_id,
            name=name,
            misfire_grace_time=None,
            coalesce=False,
            max_instances=1000,
            **({"next_run_time": None} if paused else {}),
        )

    def remove(self, job_id: str) -> None:
        """Forget a job (deleted, or about to be added again under a new trigger)."""
        if self._aps.get_job(job_id) is not None:
            self._aps.remove_job(job_id)

    def pause(self, job_id: str) -> None:
        """Stop the job's instants coming due; a job not on the clock (`after:`) is ignored."""
        if self._aps.get_job(job_id) is not None:  # a job without instants (`after:`) is not here
            self._aps.pause_job(job_id)

    def resume(self, job_id: str) -> None:
        """Let the job's instants come due again; a job not on the clock is ignored."""
        if self._aps.get_job(job_id) is not None:
            self._aps.resume_job(job_id)

    def next_run_time(self, job_id: str) -> datetime | None:
        """The job's next due instant; None if it is paused, never fires or is not on the clock."""
        job = self._aps.get_job(job_id)
        return job.next_run_time if job is not None else None

    def _submitted(self, event: JobSubmissionEvent) -> None:
        self._on_due(event.job_id, list(event.scheduled_run_times))
