"""A job that runs after an upstream run that worked on given days (a backfill's day) runs for those days.

When its kind takes dates, from the upstream run's kwargs (`start_date`/`end_date` or `trade_date`) as the
leader folded them or as the read model keeps them: a new leader decides the same execution id and kwargs.
A downstream whose kind takes no date, or whose upstream runs worked on today's data, keeps its own kwargs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contracts.events import JobFinished
from contracts.events import RunQueued
from domain.records import ExecutionRecord
from domain.run_policy import RunPolicy
from domain.scheduling.date_range import range_kwargs
from domain.scheduling.date_range import range_of
from domain.scheduling.decide import decide_fire
from domain.scheduling.dependencies import Downstream
from domain.scheduling.dependencies import fires_after
from domain.scheduling.dependencies import pending_fires
from domain.scheduling.fire import Now
from domain.scheduling.progress import rebuilt_progress
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from services.scheduler.definitions import JobDefinition
from tests.domain.scheduling_model import PRODUCER
from tests.domain.scheduling_model import T0

DAY = "2024-01-02"
ENDED = T0 + timedelta(minutes=5)
NOW = Now(ENDED + timedelta(seconds=1), 10.0)


def downstream(job_kind: str, *upstreams: str) -> Downstream:
    return Downstream("down", upstreams or ("up",), RunPolicy(), job_kind=job_kind)


def ended_run(state: SchedulerState, kwargs: dict[str, Any], job_id: str = "up") -> SchedulerState:
    """The state once a run of `job_id` with these kwargs was queued and succeeded."""
    execution_id = f"{job_id}-{len(state.outcomes)}"
    envelope: dict[str, Any] = {"producer": "t", "job_id": job_id, "execution_id": execution_id}
    queued = RunQueued(**envelope, occurred_at=T0, job_name=job_id, scheduled_time=T0, kwargs=kwargs)
    finished = JobFinished(**envelope, status="success", started_at=T0, finished_at=ENDED)
    return evolve(evolve(state, queued, NOW), finished, NOW)


def fired_kwargs(job_kind: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    (fire,) = fires_after(ended_run(SchedulerState(), kwargs), {"down": downstream(job_kind)}, "up", NOW.wall)
    return dict(fire.kwargs)


def test_a_backfill_days_downstream_gets_that_day_in_the_dates_its_kind_takes() -> None:
    one_day = {"start_date": DAY, "end_date": DAY}
    assert fired_kwargs("tushare_historical_sync", one_day) == one_day
    assert fired_kwargs("pipeline_canary", one_day) == {"trade_date": DAY}
    assert fired_kwargs("market_daily_review", {"trade_date": DAY}) == {"trade_date": DAY}
    assert fired_kwargs("tushare_historical_sync", {"trade_date": DAY, "limit": 3}) == one_day


def test_a_downstream_taking_no_date_or_after_a_run_on_todays_data_keeps_its_own_kwargs() -> None:
    assert fired_kwargs("news_sync", {"start_date": DAY, "end_date": DAY}) == {}
    assert fired_kwargs("tushare_historical_sync", {"limit": 3}) == {}
    assert fired_kwargs("tushare_historical_sync", {"start_date": DAY}) == {}  # "from that day on"


def test_a_range_reaches_a_kind_taking_a_range_and_not_one_taking_a_single_day() -> None:
    days = {"start_date": DAY, "end_date": "2024-01-05"}
    assert fired_kwargs("market_daily_review", days) == days
    assert fired_kwargs("pipeline_canary", days) == {}


def test_the_run_is_queued_with_the_jobs_kwargs_and_the_days() -> None:
    state = ended_run(SchedulerState(), {"start_date": DAY, "end_date": DAY})
    job = JobDefinition(
        job_id="down",
        name="下游",
        job_kind="tushare_historical_sync",
        trigger="after:up",
        kwargs={"limit": 5},
    )
    (fire,) = fires_after(state, {"down": downstream(job.job_kind)}, "up", NOW.wall)
    queued = decide_fire(state, job, fire, NOW, producer=PRODUCER).messages[0]
    assert isinstance(queued, RunQueued) and not queued.is_manual
    assert queued.kwargs == {"limit": 5, "start_date": DAY, "end_date": DAY}


def test_upstreams_on_different_days_give_no_days() -> None:
    state = ended_run(SchedulerState(), {"trade_date": DAY}, "up_a")
    state = ended_run(state, {"trade_date": "2024-01-03"}, "up_b")
    (fire,) = fires_after(state, {"down": downstream("pipeline_canary", "up_a", "up_b")}, "up_b", NOW.wall)
    assert fire.kwargs == {}
    same = ended_run(ended_run(SchedulerState(), {"trade_date": DAY}, "up_a"), {"trade_date": DAY}, "up_b")
    (fire,) = fires_after(same, {"down": downstream("pipeline_canary", "up_a", "up_b")}, "up_b", NOW.wall)
    assert fire.kwargs == {"trade_date": DAY}


def test_a_new_leader_decides_the_same_execution_and_days_from_the_read_model() -> None:
    kwargs = {"start_date": DAY, "end_date": DAY}
    downstreams = {"down": downstream("tushare_historical_sync")}
    (followed,) = fires_after(ended_run(SchedulerState(), kwargs), downstreams, "up", NOW.wall)
    record = ExecutionRecord(
        execution_id="up-0",
        job_id="up",
        job_name="up",
        status="success",
        scheduled_time=T0,
        timestamp=T0,
        updated_at=ENDED,
        finished_at=ENDED,
        kwargs=kwargs,
    )
    rebuilt = SchedulerState(progress=rebuilt_progress({"up": [record]}))
    (pending,) = pending_fires(rebuilt, downstreams, NOW.wall)
    assert (pending.execution_id, pending.kwargs) == (followed.execution_id, followed.kwargs)


def test_the_days_of_kwargs_and_the_kwargs_of_days() -> None:
    assert range_of({"trade_date": DAY}) == (DAY, DAY)
    assert range_of({"start_date": DAY, "end_date": "2024-01-03"}) == (DAY, "2024-01-03")
    assert range_of({"start_date": DAY}) is None and range_of({}) is None
    assert range_kwargs("news_sync", (DAY, DAY)) == {}
