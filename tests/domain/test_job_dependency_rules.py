"""The scheduler's decider of definition commands keeps the dependency graph sound (it is the authority:
the API checked already, but two concurrent edits are decided one after the other, each on the graph the
one before left): an unknown upstream, the job itself or a cycle refuses a create or an edit (named), and
a job others run after is not deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from contracts.commands import DeleteJob
from contracts.commands import JobPolicy
from contracts.events import CommandRejected
from contracts.events import JobChanged
from contracts.events import JobCreated
from contracts.events import JobDeleted
from domain.scheduling.definition_commands import DefinitionFacts
from domain.scheduling.definition_commands import created_definition
from domain.scheduling.definition_commands import decide_definition
from domain.scheduling.fire import Now

NOW = Now(wall=datetime(2026, 12, 2, 8, 0, tzinfo=UTC), mono=0.0)
API = {"producer": "api:test", "actor": "alice"}
TRIGGERS = {"sync_a": "0 17 * * 1-5", "review": "after:sync_a", "report": "0 18 * * 1-5"}
GATES = {"report": ("review",)}


def _live(job_id: str, trigger: str, policy: JobPolicy | None = None) -> object:
    create = CreateJob(
        **API, job_id=job_id, job_kind="news_sync", trigger=trigger, policy=policy or JobPolicy()
    )
    return replace(created_definition(create), version=1, incarnation="i1", last_command_id="c0")


def decide(command: object, current: object = None) -> list[object]:
    facts = DefinitionFacts(
        current=current,  # type: ignore[arg-type]
        last_version=1 if current is not None else 0,
        catalogue=None,
        job_count=3,
        max_jobs=500,
        min_interval_s=10,
        triggers=TRIGGERS,
        gates=GATES,
    )
    return list(decide_definition(command, facts, NOW, "scheduler:test").messages)  # type: ignore[arg-type]


def refusal(messages: list[object]) -> str:
    (event,) = messages
    assert isinstance(event, CommandRejected)
    return event.reason


def test_a_create_after_unknown_jobs_or_itself_is_refused() -> None:
    unknown = CreateJob(**API, job_id="fresh", job_kind="news_sync", trigger="after:nowhere")
    assert "after: names unknown jobs: nowhere" in refusal(decide(unknown))
    itself = CreateJob(
        **API, job_id="fresh", job_kind="news_sync", trigger="0 9 * * *", policy=JobPolicy(after=["fresh"])
    )
    assert "cannot run after itself" in refusal(decide(itself))


def test_a_create_after_known_jobs_gets_the_day_window() -> None:
    (event,) = decide(CreateJob(**API, job_id="fresh", job_kind="news_sync", trigger="after:review,report"))
    assert isinstance(event, JobCreated) and event.policy["window"] == "day"
    waits = CreateJob(
        **API, job_id="later", job_kind="news_sync", trigger="0 19 * * *", policy=JobPolicy(after=["report"])
    )
    (event,) = decide(waits)
    assert isinstance(event, JobCreated)
    assert event.policy["after"] == ["report"] and event.policy["wait_timeout_s"] == 7200.0
    rolling = CreateJob(
        **API, job_id="roll", job_kind="news_sync", trigger="after:sync_a", policy=JobPolicy(window_s=3600)
    )
    (event,) = decide(rolling)
    assert isinstance(event, JobCreated) and event.policy["window"] == "rolling"


def test_an_edit_closing_a_cycle_is_refused_naming_it() -> None:
    current = _live("sync_a", "0 17 * * 1-5")
    change = ChangeJob(**API, job_id="sync_a", trigger="after:report")
    assert "sync_a → report → review → sync_a" in refusal(decide(change, current))
    gate = ChangeJob(**API, job_id="sync_a", policy=JobPolicy(after=["review"]))
    assert "sync_a → review → sync_a" in refusal(decide(gate, current))
    fine = ChangeJob(**API, job_id="sync_a", trigger="0 16 * * 1-5")
    assert isinstance(decide(fine, current)[0], JobChanged)


def test_a_job_others_run_after_is_not_deleted() -> None:
    assert "review run after it" in refusal(
        decide(DeleteJob(**API, job_id="sync_a"), _live("sync_a", "0 17 * * *"))
    )
    assert "report run after it" in refusal(
        decide(DeleteJob(**API, job_id="review"), _live("review", "after:sync_a"))
    )
    (event,) = decide(DeleteJob(**API, job_id="report"), _live("report", "0 18 * * 1-5"))
    assert isinstance(event, JobDeleted)
