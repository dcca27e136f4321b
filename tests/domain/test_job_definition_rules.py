"""Each rule of the definition decider (`domain/scheduling/definition_commands.py`), one at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from contracts.commands import DeleteJob
from contracts.commands import JobPolicy
from contracts.commands import ResetJob
from contracts.events import CommandRejected
from contracts.events import JobChanged
from contracts.events import JobCreated
from contracts.events import JobDeleted
from contracts.events import JobPaused
from domain.scheduling.definition_commands import DefinitionFacts
from domain.scheduling.definition_commands import created_definition
from domain.scheduling.definition_commands import decide_definition
from domain.scheduling.fire import Now

NOW = Now(wall=datetime(2026, 12, 2, 8, 0, tzinfo=UTC), mono=0.0)
API = {"producer": "api:test", "actor": "alice"}
CREATE = CreateJob(
    **API, job_id="news_hourly", job_kind="news_sync", trigger="0 * * * *", kwargs={"limit": 5}
)
LIVE = replace(created_definition(CREATE), version=1, incarnation="i1", last_command_id=CREATE.message_id)


def facts(**changes: object) -> DefinitionFacts:
    values: dict[str, object] = {
        "current": None,
        "last_version": 0,
        "catalogue": None,
        "job_count": 18,
        "max_jobs": 500,
        "min_interval_s": 10,
    }
    return DefinitionFacts(**(values | changes))  # type: ignore[arg-type]


def decide(command: object, **changes: object) -> list[object]:
    decision = decide_definition(command, facts(**changes), NOW, "scheduler:test")  # type: ignore[arg-type]
    return list(decision.messages)


def test_a_create_makes_the_job_with_the_kinds_default_policy() -> None:
    (event,) = decide(CREATE)
    assert isinstance(event, JobCreated) and event.job_version == 1 and event.command_id == CREATE.message_id
    assert event.policy["overlap"] == "skip" and event.policy["pool"] == "default"


def test_a_create_after_a_deletion_continues_the_versions() -> None:
    (event,) = decide(CREATE, last_version=3)
    assert isinstance(event, JobCreated) and event.job_version == 4


def test_the_same_create_again_does_nothing_another_is_refused() -> None:
    assert decide(CREATE, current=LIVE) == []
    other = CREATE.model_copy(update={"trigger": "30 * * * *"})
    (event,) = decide(other, current=LIVE)
    assert isinstance(event, CommandRejected) and "exists" in event.reason


def test_bad_creates_are_refused_with_the_reason() -> None:
    for update, reason in (
        ({"job_kind": "no_such_kind"}, "unknown kind"),
        ({"trigger": "61 * * * *"}, "minute 61 is outside 0-59"),
        ({"trigger": "0 0 30 2 *"}, "never"),
        ({"trigger": "interval:5"}, "floor"),
        ({"kwargs": {"nope": 1}}, "unknown parameter nope"),
    ):
        (event,) = decide(CREATE.model_copy(update=update))
        assert isinstance(event, CommandRejected) and reason in event.reason, (update, event)
    (event,) = decide(CREATE, job_count=500)
    assert isinstance(event, CommandRejected) and "at most 500" in event.reason


def test_a_change_names_old_and_new_and_a_stale_one_is_refused() -> None:
    change = ChangeJob(**API, job_id="news_hourly", expected_version=1, trigger="30 * * * *", paused=True)
    changed, paused = decide(change, current=LIVE)
    assert isinstance(changed, JobChanged) and changed.job_version == 2
    assert changed.changes["trigger"].old == "0 * * * *" and changed.changes["trigger"].new == "30 * * * *"
    assert isinstance(paused, JobPaused)
    (refused,) = decide(change.model_copy(update={"expected_version": 0}), current=LIVE)
    assert isinstance(refused, CommandRejected) and "version 1" in refused.reason


def test_a_redelivered_change_does_nothing() -> None:
    change = ChangeJob(**API, job_id="news_hourly", trigger="30 * * * *")
    assert decide(change, current=replace(LIVE, last_command_id=change.message_id)) == []


def test_a_change_keeps_the_policy_fields_it_does_not_name() -> None:
    change = ChangeJob(**API, job_id="news_hourly", policy=JobPolicy(max_attempts=3))
    (changed,) = decide(change, current=LIVE)
    assert isinstance(changed, JobChanged) and set(changed.changes) == {"policy"}
    assert (
        changed.changes["policy"].new["max_attempts"] == 3
        and changed.changes["policy"].new["overlap"] == "skip"
    )


def test_delete_rules() -> None:
    delete = DeleteJob(**API, job_id="news_hourly")
    (refused,) = decide(delete, current=replace(LIVE, origin="catalogue"))
    assert isinstance(refused, CommandRejected) and "pause it instead" in refused.reason
    (refused,) = decide(delete, current=LIVE, active_runs=("e1",))
    assert isinstance(refused, CommandRejected) and "cancel_running" in refused.reason
    (deleted,) = decide(delete.model_copy(update={"cancel_running": True}), current=LIVE, active_runs=("e1",))
    assert isinstance(deleted, JobDeleted) and deleted.cancelled == ("e1",) and deleted.job_version == 2


def test_reset_restores_the_catalogue_and_is_refused_for_created_jobs() -> None:
    reset = ResetJob(**API, job_id="news_hourly")
    (refused,) = decide(reset, current=LIVE)
    assert isinstance(refused, CommandRejected) and "not a catalogue job" in refused.reason
    catalogue = replace(LIVE, trigger="0 */2 * * *", kwargs={}, origin="catalogue", version=0)
    (changed,) = decide(reset, current=replace(LIVE, origin="catalogue"), catalogue=catalogue)
    assert isinstance(changed, JobChanged) and changed.reset
    assert changed.changes["trigger"].new == "0 */2 * * *" and changed.changes["kwargs"].new == {}
