"""The dependency graph of the jobs (`after:` triggers), as pure functions.

Who runs after whom, cycles, and what a create, an edit or a delete would break.

Jobs are given as `{job_id: trigger text}`; a trigger `after:a,b` makes the job a downstream of `a` and
`b`. A job with a time trigger may also wait for upstream jobs at its fire (`policy.after`): those are given
as `gates` (`{job_id: (upstream, ...)}`) and are edges of the same graph. The create/edit API and the
scheduler's decider of `CreateJob`/`ChangeJob` call `dependency_problem`, the delete API and decider
`deletion_problem`; the scheduler's start-up calls `graph_problem` on the whole catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence

from domain.run_policy import MAX_WAIT_TIMEOUT_S
from domain.run_policy import MAX_WINDOW_S
from domain.run_policy import MIN_WAIT_TIMEOUT_S
from domain.run_policy import MIN_WINDOW_S
from domain.run_policy import RunPolicy
from domain.triggers import TriggerError
from domain.triggers import parse_trigger

Gates = Mapping[str, Sequence[str]]
"""`policy.after` of the jobs with a time trigger that wait for upstream jobs at their fire, by job id."""


def upstreams_of(triggers: Mapping[str, str], gates: Gates | None = None) -> dict[str, tuple[str, ...]]:
    """Each job's upstream jobs.

    Its `after:` trigger's, then its `policy.after` (empty for a clock trigger without `policy.after`, or a
    trigger that does not parse).
    """
    upstreams: dict[str, tuple[str, ...]] = {}
    for job_id, trigger in triggers.items():
        try:
            after = parse_trigger(trigger).after
        except TriggerError:
            after = ()
        gate = tuple((gates or {}).get(job_id, ()))
        upstreams[job_id] = after + tuple(job for job in gate if job not in after)
    return upstreams


def dependents_of(triggers: Mapping[str, str], job_id: str, gates: Gates | None = None) -> list[str]:
    """The jobs that run after `job_id` (sorted)."""
    return sorted(other for other, ups in upstreams_of(triggers, gates).items() if job_id in ups)


def find_cycle(upstreams: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """A cycle as the path that closes it (`[a, b, a]`: a after b after a), or None; iterative DFS."""
    done: set[str] = set()
    for root in sorted(upstreams):
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root}
        stack = [iter(upstreams.get(root, ()))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
                continue
            if following in on_path:
                return [*path[path.index(following) :], following]
            if following in done or following not in upstreams:
                continue
            path.append(following)
            on_path.add(following)
            stack.append(iter(upstreams.get(following, ())))
    return None


def cycle_text(cycle: list[str]) -> str:
    """`a → b → a` (each runs after the next)."""
    return " → ".join(cycle)


def policy_problem(policy: RunPolicy) -> str | None:
    """What is out of range in a job's dependency policy, or None."""
    if not MIN_WINDOW_S <= policy.window_s <= MAX_WINDOW_S:
        return f"window_s {policy.window_s:g} is outside {MIN_WINDOW_S:g}-{MAX_WINDOW_S:g} seconds"
    if not MIN_WAIT_TIMEOUT_S <= policy.wait_timeout_s <= MAX_WAIT_TIMEOUT_S:
        return (
            f"wait_timeout_s {policy.wait_timeout_s:g} is outside "
            f"{MIN_WAIT_TIMEOUT_S:g}-{MAX_WAIT_TIMEOUT_S:g} seconds"
        )
    return None


def dependency_problem(
    triggers: Mapping[str, str],
    job_id: str,
    trigger: str,
    policy: RunPolicy | None = None,
    gates: Gates | None = None,
) -> str | None:
    """Why `job_id` may not have `trigger` beside the other jobs; None if it may.

    Also its `policy` (whose `after` waits at a time trigger's fire), beside the other jobs of `triggers` and
    `gates`, for a create or an edit. The reasons: a trigger that does not parse, `policy.after` beside an
    `after:` trigger, an upstream that is unknown or the job itself, a cycle it would close (named), a window
    or timeout out of range. The API and the scheduler answer it with 422 (`CommandRejected`).
    """
    try:
        after = parse_trigger(trigger).after
    except TriggerError as error:
        return f"invalid trigger: {error}"
    gate = policy.after if policy is not None else ()
    if after and gate:
        return "policy.after waits at a time trigger's fire: an after: trigger takes no policy.after"
    after = after or tuple(gate)
    if job_id in after:
        return f"job {job_id} cannot run after itself"
    unknown = [upstream for upstream in after if upstream not in triggers]
    if unknown:
        return f"after: names unknown jobs: {', '.join(unknown)}"
    upstreams = upstreams_of(triggers, gates)
    upstreams[job_id] = after
    cycle = find_cycle(upstreams)
    if cycle is not None and job_id in cycle:
        start = cycle.index(job_id)
        return f"after: would close a cycle: {cycle_text([*cycle[start:-1], *cycle[:start], job_id])}"
    return policy_problem(policy) if policy is not None else None


def graph_problem(triggers: Mapping[str, str], policies: Mapping[str, RunPolicy]) -> str | None:
    """What is wrong with a whole catalogue's dependencies (the scheduler refuses to start with it)."""
    gates = {job_id: policy.after for job_id, policy in policies.items() if policy.after}
    for job_id in sorted(triggers):
        problem = dependency_problem(triggers, job_id, triggers[job_id], policies.get(job_id), gates)
        if problem is not None:
            return f"job {job_id}: {problem}"
    return None


def deletion_problem(triggers: Mapping[str, str], job_id: str, gates: Gates | None = None) -> str | None:
    """Why `job_id` may not be deleted (other jobs run after it: the API answers 409), or None."""
    dependents = [other for other in dependents_of(triggers, job_id, gates) if other != job_id]
    if not dependents:
        return None
    return f"job {job_id} cannot be deleted: {', '.join(dependents)} run after it"


def layers(upstreams: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Each job's layer for drawing.

    0 without known upstreams, else one more than its deepest upstream (a cycle, refused elsewhere, is cut
    where it is found).
    """
    depth: dict[str, int] = {}
    for root in sorted(upstreams):
        stack: list[tuple[str, bool]] = [(root, False)]
        visiting: set[str] = set()
        while stack:
            job_id, expanded = stack.pop()
            if job_id in depth:
                continue
            known = [up for up in upstreams.get(job_id, ()) if up in upstreams and up not in visiting]
            if expanded:
                visiting.discard(job_id)
                depth[job_id] = 1 + max((depth.get(up, 0) for up in known), default=-1)
                continue
            visiting.add(job_id)
            stack.append((job_id, True))
            stack.extend((up, False) for up in known if up not in depth)
    return depth
