"""The alert events that follow from each event or from the passing of time.

`decide` gives those of an event, `evaluate` those of the passing of time, given the alerter's state
(`domain/alert_state.py`). The caller publishes them and applies them to the state.

Ids are deterministic: the same decision taken twice (a redelivery, a second alerter) is stored once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from contracts.alert_events import AlertRaised
from contracts.alert_events import AlertResolved
from contracts.alert_events import AlertRule
from contracts.envelope import Event
from contracts.events import CommandRejected
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import QueuedRunCancelled
from contracts.events import SchedulerHeartbeat
from domain.alert_rules import MIN_DURATION_SAMPLES
from domain.alert_rules import SEVERITY
from domain.alert_rules import SYSTEM_SUBJECT
from domain.alert_rules import AlertRules
from domain.alert_state import AlertState
from domain.alert_state import Incident


@dataclass(frozen=True)
class Observations:
    """What the alerter reads besides events at each evaluation.

    Since when it runs (the reference for "no leader" until a leader's heartbeat comes), the projector's lag
    and its dead-lettered messages counted since the previous evaluation.
    """

    started_at: datetime
    projector_lag_s: float | None = None
    new_dead_letters: int = 0


def alert_id(*parts: str) -> str:
    """A deterministic message id (32 hex digits) from `parts`: a decision taken twice is stored once."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def raise_alert(
    state: AlertState, rule: AlertRule, job_id: str, cause: Event | None, summary: str, since: datetime,
    execution_id: str | None, producer: str, now: datetime,
) -> AlertRaised:  # fmt: skip
    """An `AlertRaised`; its incident id comes from its cause (an event), or from `since` (time-based)."""
    origin = cause.message_id if cause is not None else since.isoformat()
    incident_id = f"{rule}:{job_id}:{origin}"
    name = SYSTEM_SUBJECT.get(rule) or state.track(job_id, cause.occurred_at if cause else now).name
    return AlertRaised(
        message_id=alert_id("raised", incident_id),
        producer=producer,
        occurred_at=now,
        **(cause.caused() if cause is not None else {}),
        incident_id=incident_id,
        rule=rule,
        severity=SEVERITY[rule],
        job_id=job_id,
        job_name=name[:200],
        summary=summary[:2000],
        since=since,
        execution_id=execution_id,
    )


def resolve(
    incident: Incident, reason: str, producer: str, now: datetime, cause: Event | None = None
) -> AlertResolved:
    """The `AlertResolved` that closes `incident`; `cause` is the event that healed it, if any."""
    return AlertResolved(
        message_id=alert_id("resolved", incident.incident_id),
        producer=producer,
        occurred_at=now,
        **(cause.caused() if cause is not None else {}),
        incident_id=incident.incident_id,
        rule=incident.rule,
        job_id=incident.job_id,
        reason=reason[:2000],
        execution_id=getattr(cause, "execution_id", None),
    )


def decide(state: AlertState, event: Event, rules: AlertRules, producer: str, now: datetime) -> list[Event]:
    """The alert events an event calls for at `now`, given the state it was already applied to."""
    if isinstance(event, SchedulerHeartbeat):
        return _leader_back(state, event, producer, now)
    if isinstance(event, CommandRejected):
        return _dead_lettered(state, event, rules, producer, now)
    job_id = getattr(event, "job_id", None)
    if job_id is None:
        return []
    job_rules = rules.for_job(job_id, state.overrides)
    alerts = _end_of_slow_run(state, event, producer, now)
    if isinstance(event, JobFinished) and event.status == "success":
        return alerts + _resolve_job(state, event, producer, now)
    if isinstance(event, JobFinished) and event.status == "partial":
        if job_rules.run_partial and ("run_partial", job_id) not in state.open:
            summary = f"partial: {event.error_message or ''}"
            alerts.append(raise_alert(state, "run_partial", job_id, event, summary, event.finished_at,
                                      event.execution_id, producer, now))  # fmt: skip
        return alerts
    if isinstance(event, JobMissed):
        if job_rules.run_missed and ("run_missed", job_id) not in state.open:
            alerts.append(raise_alert(state, "run_missed", job_id, event, f"missed: {event.reason}",
                                      event.scheduled_time, event.execution_id, producer, now))  # fmt: skip
        return alerts
    failed = isinstance(event, JobFinished) and event.status == "failed"
    if failed or isinstance(event, ExecutionMarkedFailed):
        return alerts + _on_failure(state, event, rules, producer, now)
    return alerts


def _leader_back(state: AlertState, event: SchedulerHeartbeat, producer: str, now: datetime) -> list[Event]:
    """An active scheduler's heartbeat closes the open "no leader" incident."""
    leader = state.open.get(("no_leader", SYSTEM_SUBJECT["no_leader"]))
    if event.active and leader is not None:
        return [resolve(leader, f"leader {event.scheduler_id} is back", producer, now, event)]
    return []


def _end_of_slow_run(state: AlertState, event: Event, producer: str, now: datetime) -> list[Event]:
    """A slow run's incident closes when that run ends, however it ends."""
    if not isinstance(event, JobFinished | ExecutionMarkedFailed | QueuedRunCancelled):
        return []
    slow = state.open.get(("run_slow", event.job_id))
    if (
        slow is None
        or slow.execution_id != event.execution_id
        or (isinstance(event, JobFinished) and event.status == "success")
    ):
        return []  # a success resolves every incident of its job anyway
    return [resolve(slow, "the run ended", producer, now, event)]


def _failure_summary(event: Event) -> str:
    if isinstance(event, ExecutionMarkedFailed):
        return (
            f"lost: {event.reason}"
            if event.actor is None
            else f"marked failed by {event.actor}: {event.reason}"
        )
    message = getattr(event, "error_message", None) or ""
    return f"timed out: {message}" if message.startswith("timed out") else f"failed: {message}"


def _on_failure(
    state: AlertState, event: Event, rules: AlertRules, producer: str, now: datetime
) -> list[Event]:
    job_id = getattr(event, "job_id", "")
    execution_id = getattr(event, "execution_id", None)
    job_rules = rules.for_job(job_id, state.overrides)
    track = state.track(job_id, event.occurred_at)
    since = track.failing_since or event.occurred_at
    alerts: list[Event] = []
    if job_rules.run_failed and ("run_failed", job_id) not in state.open:
        alerts.append(raise_alert(state, "run_failed", job_id, event, _failure_summary(event), since,
                                  execution_id, producer, now))  # fmt: skip
    threshold = job_rules.consecutive_failures
    reached = threshold is not None and track.consecutive_failures >= threshold
    if reached and ("consecutive_failures", job_id) not in state.open:
        summary = f"{track.consecutive_failures} consecutive failures; last {_failure_summary(event)}"
        alerts.append(raise_alert(state, "consecutive_failures", job_id, event, summary, since,
                                  execution_id, producer, now))  # fmt: skip
    return alerts


def _resolve_job(state: AlertState, event: JobFinished, producer: str, now: datetime) -> list[Event]:
    return [
        resolve(incident, "succeeded", producer, now, event)
        for (_, job_id), incident in list(state.open.items())
        if job_id == event.job_id
    ]


def _dead_lettered(
    state: AlertState, event: CommandRejected, rules: AlertRules, producer: str, now: datetime
) -> list[Event]:
    subject = SYSTEM_SUBJECT["dead_lettered"]
    if ("dead_lettered", subject) in state.open:
        return []
    summary = f"{event.command_type} by {event.actor} refused and dead-lettered: {event.reason}"
    return [
        raise_alert(state, "dead_lettered", subject, event, summary, event.occurred_at, None, producer, now)
    ]


def evaluate(
    state: AlertState, now: datetime, rules: AlertRules, producer: str, observed: Observations | None = None
) -> list[Event]:
    """The alert events the time `now` (and what was observed) calls for.

    Stale jobs, runs far longer than usual, no scheduler leader, projector lag, dead letters.
    """
    alerts = _stale_jobs(state, now, rules, producer) + _slow_runs(state, now, rules, producer)
    if observed is not None:
        alerts += _system(state, now, rules, producer, observed)
    return alerts


def _stale_jobs(state: AlertState, now: datetime, rules: AlertRules, producer: str) -> list[Event]:
    alerts: list[Event] = []
    for job_id, track in state.jobs.items():
        limit = rules.for_job(job_id, state.overrides).stale_after_s
        if limit is None or ("stale", job_id) in state.open:
            continue
        if now - track.healthy_since > timedelta(seconds=limit):
            summary = f"no success for more than {limit:g} s"
            alerts.append(raise_alert(state, "stale", job_id, None, summary, track.healthy_since, None,
                                      producer, now))  # fmt: skip
    return alerts


def _slow_runs(state: AlertState, now: datetime, rules: AlertRules, producer: str) -> list[Event]:
    alerts: list[Event] = []
    for job_id, track in state.jobs.items():
        factor = rules.for_job(job_id, state.overrides).slow_factor
        p95 = track.duration_p95()
        if factor is None or p95 is None or len(track.durations) < MIN_DURATION_SAMPLES:
            continue
        if ("run_slow", job_id) in state.open:
            continue
        limit = max(factor * p95, 1.0)  # runs of a few milliseconds are not "slow" at 3 ms
        for execution_id, started_at in track.running.items():
            running_s = (now - started_at).total_seconds()
            if running_s > limit:
                summary = f"running for {running_s:.0f} s, over {factor:g} x its p95 of {p95:.1f} s"
                alerts.append(raise_alert(state, "run_slow", job_id, None, summary, started_at,
                                          execution_id, producer, now))  # fmt: skip
                break
    return alerts


def _system(
    state: AlertState, now: datetime, rules: AlertRules, producer: str, observed: Observations
) -> list[Event]:
    system = rules.system
    alerts: list[Event] = []
    leader_key = ("no_leader", SYSTEM_SUBJECT["no_leader"])
    if system.no_leader_after_s is not None and leader_key not in state.open:
        reference = max(state.leader_seen_at or observed.started_at, observed.started_at)
        limit = max(system.no_leader_after_s, 3 * state.leader_interval_s)
        if (now - reference).total_seconds() > limit:
            summary = f"no active scheduler's heartbeat for more than {limit:g} s"
            alerts.append(raise_alert(state, "no_leader", leader_key[1], None, summary, reference, None,
                                      producer, now))  # fmt: skip
    alerts += _projector_lag(state, now, rules, producer, observed)
    dead_key = ("dead_lettered", SYSTEM_SUBJECT["dead_lettered"])
    dead = state.open.get(dead_key)
    if observed.new_dead_letters > 0 and dead is None:
        summary = f"{observed.new_dead_letters} event(s) dead-lettered by the projector"
        alerts.append(
            raise_alert(state, "dead_lettered", dead_key[1], None, summary, now, None, producer, now)
        )
    elif dead is not None and observed.new_dead_letters == 0:
        last = max(state.last_dead_letter_at or dead.since, dead.since)
        if (now - last).total_seconds() >= system.dead_letter_quiet_s:
            alerts.append(
                resolve(dead, f"no dead letter for {system.dead_letter_quiet_s:g} s", producer, now)
            )
    return alerts


def _projector_lag(
    state: AlertState, now: datetime, rules: AlertRules, producer: str, observed: Observations
) -> list[Event]:
    limit = rules.system.projector_lag_s
    key = ("projector_lag", SYSTEM_SUBJECT["projector_lag"])
    lag = observed.projector_lag_s
    incident = state.open.get(key)
    if incident is not None and (limit is None or lag is None or lag < limit):
        return [resolve(incident, "the projector caught up", producer, now)]
    if incident is None and limit is not None and lag is not None and lag >= limit:
        summary = f"read models {lag:.0f} s behind the event log (limit {limit:g} s)"
        since = now - timedelta(seconds=lag)
        return [raise_alert(state, "projector_lag", key[1], None, summary, since, None, producer, now)]
    return []


def reminders_due(state: AlertState, now: datetime, interval_s: float) -> list[Incident]:
    """Open incidents not acknowledged, last notified (or opened) at least `interval_s` ago."""
    limit = timedelta(seconds=interval_s)
    return [
        incident
        for incident in state.open.values()
        if incident.acknowledged_at is None
        and now - (incident.last_notified_at or incident.opened_at) >= limit
    ]
