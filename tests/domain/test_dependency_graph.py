"""The dependency graph (`domain.dependencies`) and the `after:` trigger text."""

from __future__ import annotations

import pytest

from domain.dependencies import deletion_problem
from domain.dependencies import dependency_problem
from domain.dependencies import dependents_of
from domain.dependencies import find_cycle
from domain.dependencies import graph_problem
from domain.dependencies import layers
from domain.dependencies import upstreams_of
from domain.run_policy import RunPolicy
from domain.triggers import TriggerError
from domain.triggers import describe
from domain.triggers import legacy_text
from domain.triggers import parse_trigger
from domain.triggers import spec_from_legacy_text

JOBS = {
    "sync_a": "0 17 * * 1-5",
    "sync_b": "0 18 * * 1-5",
    "review": "after:sync_a,sync_b",
    "report": "after:review",
}


def test_after_parses_into_upstreams_once_each_in_order() -> None:
    spec = parse_trigger(" after: sync_a , sync_b,sync_a ")
    assert spec.after == ("sync_a", "sync_b")
    assert spec.text == "after:sync_a,sync_b"
    assert legacy_text(spec) == "after:sync_a,sync_b"
    assert spec_from_legacy_text("after:sync_a,sync_b") == spec
    assert describe(spec, "en") == "after sync_a, sync_b succeed"
    assert describe(spec, "zh") == "在 sync_a、sync_b 成功之后"


@pytest.mark.parametrize(
    "text", ["after:", "after:a,,b", "after:a b", "after:" + ",".join(f"j{i}" for i in range(21))]
)
def test_a_malformed_after_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(TriggerError) as error:
        parse_trigger(text)
    assert error.value.field == "after"


def test_an_after_trigger_never_fires_on_the_clock() -> None:
    from datetime import UTC
    from datetime import datetime
    from zoneinfo import ZoneInfo

    trigger = parse_trigger("after:sync_a").build(ZoneInfo("Asia/Shanghai"))
    assert trigger.next_after(datetime(2026, 1, 1, tzinfo=UTC)) is None
    assert parse_trigger("after:sync_a", min_interval_s=60).after == ("sync_a",)


def test_upstreams_and_dependents() -> None:
    assert upstreams_of(JOBS) == {
        "sync_a": (),
        "sync_b": (),
        "review": ("sync_a", "sync_b"),
        "report": ("review",),
    }
    assert dependents_of(JOBS, "sync_a") == ["review"]
    assert dependents_of(JOBS, "report") == []
    assert layers(upstreams_of(JOBS)) == {"sync_a": 0, "sync_b": 0, "review": 1, "report": 2}


def test_a_cycle_is_found_and_named() -> None:
    assert find_cycle(upstreams_of(JOBS)) is None
    cycle = find_cycle({"a": ("b",), "b": ("c",), "c": ("a",), "d": ("a",)})
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert find_cycle({"a": ("a",)}) == ["a", "a"]


def test_dependency_problems_name_what_is_wrong() -> None:
    assert dependency_problem(JOBS, "report", "after:review,sync_a") is None
    assert dependency_problem(JOBS, "new", "after:review") is None
    assert dependency_problem(JOBS, "new", "0 18 * * *") is None
    assert dependency_problem(JOBS, "review", "after:review") == "job review cannot run after itself"
    assert dependency_problem(JOBS, "new", "after:nowhere,sync_a") == "after: names unknown jobs: nowhere"
    cycle = dependency_problem(JOBS, "sync_a", "after:report")
    assert cycle == "after: would close a cycle: sync_a → report → review → sync_a"
    assert (dependency_problem(JOBS, "new", "after:") or "").startswith("invalid trigger:")
    window = dependency_problem(JOBS, "new", "after:sync_a", RunPolicy(window_s=10))
    assert window is not None and "window_s 10" in window
    assert dependency_problem(JOBS, "new", "after:sync_a", RunPolicy(window_s=8 * 86_400)) is not None


def test_the_whole_graph_is_checked_at_start() -> None:
    assert graph_problem(JOBS, {}) is None
    looped = {**JOBS, "sync_a": "after:report"}
    assert "cycle" in (graph_problem(looped, {}) or "")
    assert (
        graph_problem({**JOBS, "report": "after:gone"}, {}) == "job report: after: names unknown jobs: gone"
    )


def test_a_job_others_depend_on_cannot_be_deleted() -> None:
    assert deletion_problem(JOBS, "sync_a") == "job sync_a cannot be deleted: review run after it"
    assert deletion_problem(JOBS, "report") is None
