"""A seeded, realistic operating history: what a few days of the scheduler, its workers and its operators put
in the event store (every kind of event the read models are built from), for replay tests.

Deterministic for a seed: the same events, ids and times on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from contracts.envelope import Event
from contracts.events import AttemptFailed
from contracts.events import BackfillCancelled
from contracts.events import BackfillFinished
from contracts.events import BackfillRequested
from contracts.events import CancelRequested
from contracts.events import CommandRejected
from contracts.events import ExecutionDeleted
from contracts.events import ExecutionMarkedFailed
from contracts.events import FieldChange
from contracts.events import JobChanged
from contracts.events import JobCreated
from contracts.events import JobDeleted
from contracts.events import JobFinished
from contracts.events import JobMetadataUpdated
from contracts.events import JobMissed
from contracts.events import JobPaused
from contracts.events import JobRegistered
from contracts.events import JobResumed
from contracts.events import JobScheduled
from contracts.events import JobSkipped
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from contracts.events import RunScheduled
from contracts.events import backfill_execution_id

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
JOBS = ("sync_daily_quotes", "sync_stock_basic", "pipeline_canary")
CREATED_JOBS = ("news_hourly",)  # created at run time (`edit_definitions`)
SCHEDULER = "scheduler:s1"


@dataclass
class History:
    seed: int
    rng: random.Random = field(init=False)
    now: datetime = T0
    counter: int = 0
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def envelope(self, producer: str, **fields: Any) -> dict[str, Any]:
        self.counter += 1
        self.now += timedelta(milliseconds=self.rng.randint(1, 4_000))
        return {
            "message_id": f"s{self.seed}-m{self.counter:07d}",
            "occurred_at": self.now,
            "producer": producer,
            **fields,
        }

    def add(self, event: Event) -> None:
        self.events.append(event)

    # --- the catalogue ---------------------------------------------------------------------------
    def register(self, job_id: str, paused: bool) -> None:
        self.add(
            JobRegistered(
                **self.envelope(SCHEDULER, job_id=job_id),
                name=job_id.replace("_", " "),
                job_kind=job_id,
                trigger="cron[0 17 * * 1-5]",
                kwargs={"days": self.rng.randint(1, 5)},
                paused=paused,
                paused_reason="disabled in settings" if paused else None,
                next_run_time=None if paused else self.now + timedelta(hours=1),
            )
        )

    def operate_catalogue(self, job_id: str) -> None:
        action = self.rng.choice(["pause", "resume", "schedule", "metadata", "rejected"])
        job = {"job_id": job_id}
        if action == "pause":
            self.add(JobPaused(**self.envelope("api:a1", **job), actor="alice"))
        elif action == "resume":
            next_run = self.now + timedelta(hours=1)
            self.add(JobResumed(**self.envelope("api:a1", **job), actor="bob", next_run_time=next_run))
        elif action == "schedule":
            self.add(JobScheduled(**self.envelope(SCHEDULER, **job), next_run_time=self.now + timedelta(1)))
        elif action == "metadata":
            self.add(
                JobMetadataUpdated(
                    **self.envelope("api:a1", **job),
                    actor="alice",
                    display_name=self.rng.choice([None, "日线行情同步", "Daily quotes"]),
                    description=self.rng.choice([None, "每个交易日收盘后同步"]),
                )
            )
        else:
            self.add(
                CommandRejected(
                    **self.envelope(SCHEDULER),
                    command_type="TriggerJob",
                    command_id=f"c{self.counter}",
                    actor="carol",
                    job_id=job_id,
                    reason="overlapping run",
                )
            )

    # --- jobs as data -----------------------------------------------------------------------------
    def edit_definitions(self) -> None:
        """A job created, changed, deleted and created again; a catalogue job changed; one change twice."""
        job = {"job_id": CREATED_JOBS[0]}
        created = {"actor": "alice", "job_kind": "news_sync", "trigger": "0 * * * *", "kwargs": {"limit": 5}}
        self.add(JobCreated(**self.envelope(SCHEDULER, **job), **created, display_name="新闻", policy={}))
        change = {"trigger": FieldChange(old="0 * * * *", new="30 * * * *")}
        changed = JobChanged(**self.envelope(SCHEDULER, **job), actor="bob", job_version=2, changes=change)
        self.add(changed)
        late = {"trigger": FieldChange(old="0 * * * *", new="45 * * * *")}  # the same version again: ignored
        self.add(JobChanged(**self.envelope(SCHEDULER, **job), actor="dave", job_version=2, changes=late))
        self.add(JobDeleted(**self.envelope(SCHEDULER, **job), actor="carol", job_version=3))
        self.add(JobCreated(**self.envelope(SCHEDULER, **job), **created, job_version=4))
        rename = {
            "display_name": FieldChange(old=None, new="日线"),
            "kwargs": FieldChange(old={}, new={"days": 3}),
        }
        catalogue = {"job_id": JOBS[0]}
        self.add(
            JobChanged(**self.envelope(SCHEDULER, **catalogue), actor="bob", job_version=1, changes=rename)
        )

    # --- runs ------------------------------------------------------------------------------------
    def run(self, number: int) -> None:
        job_id = self.rng.choice(JOBS)
        execution = {"job_id": job_id, "execution_id": f"s{self.seed}-x{number:05d}"}
        fire = {"job_name": job_id, "scheduled_time": self.now}
        kind = self.rng.choices(["run", "missed", "skipped"], weights=[18, 1, 1])[0]
        if kind == "missed":
            self.add(JobMissed(**self.envelope(SCHEDULER, **execution), **fire, reason="misfire grace"))
            return
        if kind == "skipped":
            self.add(JobSkipped(**self.envelope(SCHEDULER, **execution), **fire, reason="overlapping"))
            return
        manual = self.rng.random() < 0.2
        if manual and number % 3 == 0 and self.one_off(execution, number):
            return
        self.add(
            RunQueued(
                **self.envelope(SCHEDULER, **execution),
                **fire,
                is_manual=manual,
                actor="alice" if manual else None,
                kwargs={"days": 2} if manual else {},
            )
        )
        attempts = self.rng.choices([1, 2, 3], weights=[8, 2, 1])[0]
        for attempt in range(1, attempts + 1):
            self.attempt(execution, fire, attempt, last=attempt == attempts)
        if self.rng.random() < 0.05:
            self.add(ExecutionDeleted(**self.envelope("api:a1", **execution, attempt=attempts), actor="dave"))

    def one_off(self, execution: dict[str, Any], number: int) -> bool:
        """A one-off run planned ahead (`RunScheduled`); True when it ends there (cancelled, or still
        waiting), False when it is released (its `RunQueued` and attempts follow)."""
        run_at = self.now + timedelta(minutes=5)
        planned = {"job_name": execution["job_id"], "scheduled_time": run_at, "actor": "alice"}
        self.add(RunScheduled(**self.envelope("scheduler:s1", **execution), **planned, kwargs={"days": 1}))
        if number % 2 == 0:
            return False
        if number % 5 == 0:
            self.add(QueuedRunCancelled(**self.envelope(SCHEDULER, **execution), actor="bob"))
        return True

    def attempt(self, execution: dict[str, Any], fire: dict[str, Any], attempt: int, *, last: bool) -> None:
        worker = f"worker:w{self.rng.randint(1, 3)}"
        ids = {**execution, "attempt": attempt}
        started = self.envelope(worker, **ids, sequence=1)
        self.add(JobStarted(**started, **fire, worker_id=worker, started_at=started["occurred_at"]))
        sequence = 1
        steps = self.rng.randint(0, 6)
        for step in range(1, steps + 1):
            sequence += 1
            self.add(
                Progress(
                    **self.envelope(worker, **ids, sequence=sequence),
                    progress=round(100 * step / (steps + 1), 1),
                    message=f"第 {step} 批",
                    current_item=f"00{step}.SZ",
                    total_items=steps + 1,
                    processed_items=step,
                )
            )
        if not last:
            ending = self.envelope(worker, **ids, sequence=sequence + 1)
            self.add(
                AttemptFailed(
                    **ending, reason="error", error_message="timeout talking to the source", retry_in_s=30
                )
            )
            return
        outcome = self.rng.choices(
            ["success", "failed", "cancelled", "operator", "lost", "running"], weights=[14, 2, 1, 1, 1, 1]
        )[0]
        if outcome == "cancelled":
            self.add(CancelRequested(**self.envelope("api:a1", **ids), actor="bob"))
        if outcome in ("success", "failed", "cancelled"):
            ending = self.envelope(worker, **ids, sequence=sequence + 1)
            self.add(
                JobFinished(
                    **ending,
                    status=outcome,
                    started_at=started["occurred_at"],
                    finished_at=ending["occurred_at"],
                    return_value={"rows": self.rng.randint(0, 5000)} if outcome == "success" else None,
                    error_message="source said no" if outcome == "failed" else None,
                    traceback="Traceback (most recent call last): ..." if outcome == "failed" else None,
                    cancelled_by="bob" if outcome == "cancelled" else None,
                )
            )
        elif outcome in ("operator", "lost"):
            actor = "carol" if outcome == "operator" else None  # None: the scheduler itself (worker lost)
            self.add(ExecutionMarkedFailed(**self.envelope(SCHEDULER, **ids), actor=actor, reason="stuck"))


def backfills(history: History) -> None:
    """Two backfills of the canary: one that runs its days to the end, one cancelled after its first."""
    days = ("2026-11-02", "2026-11-03", "2026-11-04")
    for number, cancelled in ((1, False), (2, True)):
        backfill_id = f"bf{history.seed:016d}{number:016d}"
        ids = {"job_id": "pipeline_canary", "backfill_id": backfill_id}
        asked = {
            "start_date": days[0],
            "end_date": days[-1],
            "days": days,
            "max_parallel": 1,
            "actor": "alice",
        }
        history.add(
            BackfillRequested(**history.envelope(SCHEDULER, **ids), **asked, kwargs={"duration_s": 0})
        )
        for day in days[:1] if cancelled else days:
            execution = {"job_id": "pipeline_canary", "execution_id": backfill_execution_id(backfill_id, day)}
            fire = {"job_name": "pipeline_canary", "scheduled_time": history.now}
            history.add(
                RunQueued(
                    **history.envelope(SCHEDULER, **execution),
                    **fire,
                    is_manual=True,
                    kwargs={"trade_date": day},
                )
            )
            if cancelled:
                history.add(BackfillCancelled(**history.envelope(SCHEDULER, **ids), actor="bob"))
            history.attempt(execution, fire, 1, last=True)
        done = (
            {"done": 0, "failed": 0, "cancelled": 3}
            if cancelled
            else {"done": 3, "failed": 0, "cancelled": 0}
        )
        history.add(BackfillFinished(**history.envelope(SCHEDULER, **ids), **done, was_cancelled=cancelled))


def operating_history(seed: int = 7, runs: int = 120) -> list[Event]:
    """The events, in the order they happened."""
    history = History(seed)
    for job_id in JOBS:
        history.register(job_id, paused=job_id == "pipeline_canary")
    for number in range(runs):
        if history.rng.random() < 0.15:
            history.operate_catalogue(history.rng.choice(JOBS))
        if history.rng.random() < 0.02:  # a scheduler restart registers every job again
            for job_id in JOBS:
                history.register(job_id, paused=history.rng.random() < 0.3)
        history.run(number)
    history.edit_definitions()
    backfills(history)
    return history.events
