"""The run metrics fold (`domain.run_metrics`): what it counts, once per execution, with bounded labels."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from contracts.envelope import Event
from contracts.events import CancelRequested
from contracts.events import ExecutionMarkedFailed
from contracts.events import FinalStatus
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import JobRegistered
from contracts.events import JobSkipped
from contracts.events import JobStarted
from contracts.events import QueuedRunCancelled
from domain.catalogue import CANARY_JOB_ID
from domain.run_metrics import OTHER_JOB
from domain.run_metrics import Histogram
from domain.run_metrics import RunMetrics

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
P = "test"


def started(execution_id: str, lag_s: float, job_id: str = CANARY_JOB_ID, manual: bool = False) -> JobStarted:
    return JobStarted(
        producer=P,
        job_id=job_id,
        execution_id=execution_id,
        job_name=job_id,
        worker_id="w1",
        started_at=T0 + timedelta(seconds=lag_s),
        scheduled_time=T0,
        is_manual=manual,
        sequence=1,
    )


def finished(
    execution_id: str, status: FinalStatus = "success", job_id: str = CANARY_JOB_ID, at_s: float = 10
) -> JobFinished:
    return JobFinished(
        producer=P,
        job_id=job_id,
        execution_id=execution_id,
        status=status,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=at_s),
        sequence=2,
    )


def registered(job_id: str) -> JobRegistered:
    return JobRegistered(
        producer=P, job_id=job_id, name=job_id, job_kind="k", trigger="interval:60", paused=False
    )


def test_fire_lag_counts_scheduled_starts_once() -> None:
    metrics = RunMetrics()
    metrics.apply([started("e1", 0.3), started("e1", 0.3), started("e2", 20), started("e3", 5, manual=True)])
    assert metrics.fire_lag_s.count == 2
    assert metrics.fire_lag_s.total == 20.3
    assert dict(metrics.fire_lag_s.cumulative())["0.5"] == 1
    assert dict(metrics.fire_lag_s.cumulative())["+Inf"] == 2


def test_runs_finished_by_job_and_status_each_execution_once() -> None:
    metrics = RunMetrics()
    events: list[Event] = [
        finished("e1"),
        finished("e1"),  # redelivered
        finished("e2", "failed"),
        ExecutionMarkedFailed(producer=P, job_id=CANARY_JOB_ID, execution_id="e2", actor=None, reason="lost"),
        QueuedRunCancelled(producer=P, job_id=CANARY_JOB_ID, execution_id="e3", actor="op"),
        ExecutionMarkedFailed(producer=P, job_id=CANARY_JOB_ID, execution_id="e4", actor=None, reason="lost"),
    ]
    metrics.apply(events)
    metrics.apply(events)  # a replay of the whole batch
    assert metrics.runs_finished == {
        (CANARY_JOB_ID, "success"): 1,
        (CANARY_JOB_ID, "failed"): 2,
        (CANARY_JOB_ID, "cancelled"): 1,
    }


def test_skipped_and_missed_fires_by_job() -> None:
    metrics = RunMetrics()
    skipped = JobSkipped(
        producer=P, job_id=CANARY_JOB_ID, execution_id="s1", job_name="c", scheduled_time=T0, reason="overlap"
    )
    missed = JobMissed(
        producer=P, job_id="unknown_job", execution_id="m1", job_name="u", scheduled_time=T0, reason="late"
    )
    metrics.apply([skipped, missed, skipped, missed])
    assert metrics.fires_skipped == {CANARY_JOB_ID: 1}
    assert metrics.fires_missed == {OTHER_JOB: 1}


def test_cancel_to_stop_from_the_first_request_to_the_end() -> None:
    metrics = RunMetrics()

    def cancel(at_s: float) -> CancelRequested:
        return CancelRequested(
            producer=P,
            job_id=CANARY_JOB_ID,
            execution_id="e1",
            actor="op",
            occurred_at=T0 + timedelta(seconds=at_s),
        )

    metrics.apply([cancel(4), cancel(2), finished("e1", "cancelled", at_s=5), finished("e1", "cancelled")])
    assert (metrics.cancel_to_stop_s.count, metrics.cancel_to_stop_s.total) == (1, 3.0)
    metrics.apply([finished("e9")])  # an end with no cancel request is no observation
    assert metrics.cancel_to_stop_s.count == 1


def test_job_labels_are_catalogue_ids_registered_jobs_within_the_cap_else_other() -> None:
    metrics = RunMetrics(max_jobs=0)  # the catalogue alone already fills it
    metrics.apply([registered("made_by_the_log"), finished("e1", job_id="made_by_the_log")])
    assert metrics.runs_finished == {(OTHER_JOB, "success"): 1}

    metrics = RunMetrics()
    jobs = [f"job{i}" for i in range(600)]
    metrics.apply([registered(job) for job in jobs])
    metrics.apply([finished(f"e{i}", job_id=job) for i, job in enumerate(jobs)])
    labels = {job for job, _ in metrics.runs_finished}
    assert len(labels) <= 500 + 1
    assert OTHER_JOB in labels and "job0" in labels and "job599" not in labels
    assert metrics.job_label("never_registered") == OTHER_JOB


def test_the_execution_memory_is_bounded() -> None:
    metrics = RunMetrics(memory=10)
    metrics.apply([finished(f"e{i}") for i in range(100)])
    assert len(metrics._seen) == 10
    metrics.apply([finished("e99")])  # still remembered: not counted again
    assert metrics.runs_finished == {(CANARY_JOB_ID, "success"): 100}


def test_histogram_buckets_are_cumulative() -> None:
    histogram = Histogram((1.0, 2.0))
    for value in (0.5, 1.0, 1.5, 3.0):
        histogram.observe(value)
    assert histogram.cumulative() == [("1.0", 2), ("2.0", 3), ("+Inf", 4)]
    assert histogram.total == 6.0
