"""The alerter's state, a fold of the event log, and the alerts that follow from each event or instant.

`AlertState.apply` folds any event (runs, catalogue, alert events) and is idempotent: a duplicate or a
replayed event changes nothing more. `decide` names the alert events a run event calls for, `evaluate` those
the passing of time calls for (stale data); the caller publishes them and applies them here, so the state
after a replay of the log is the state the live alerter had.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts.alert_events import AlertNotified, AlertRaised, AlertResolved, AlertRule, AlertSilenced
from contracts.envelope import Event
from contracts.events import (
    ExecutionMarkedFailed,
    JobFinished,
    JobMetadataUpdated,
    JobMissed,
    JobRegistered,
)
from domain.alert_rules import SEVERITY, AlertRules

# Executions remembered per job to count each failure once (duplicates, a mark-failed after a failure).
COUNTED_EXECUTIONS = 64
# Resolved incidents remembered, so that a redelivered `AlertRaised` does not reopen one.
REMEMBERED_RESOLVED = 10_000


@dataclass
class JobTrack:
    job_id: str
    name: str
    first_seen: datetime
    last_success: datetime | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    counted: deque[str] = field(default_factory=lambda: deque(maxlen=COUNTED_EXECUTIONS))

    @property
    def healthy_since(self) -> datetime:
        return self.last_success or self.first_seen


@dataclass
class Incident:
    incident_id: str
    rule: AlertRule
    job_id: str
    job_name: str
    severity: str
    summary: str
    since: datetime
    execution_id: str | None
    opened_at: datetime
    last_notified_at: datetime | None = None


@dataclass
class AlertState:
    jobs: dict[str, JobTrack] = field(default_factory=dict)
    open: dict[tuple[str, str], Incident] = field(default_factory=dict)
    silences: dict[str, AlertSilenced] = field(default_factory=dict)
    resolved_count: int = 0
    resolved_ids: dict[str, None] = field(default_factory=dict)  # insertion-ordered, bounded

    def incident(self, incident_id: str) -> Incident | None:
        return next((item for item in self.open.values() if item.incident_id == incident_id), None)

    def silenced(self, incident: Incident, now: datetime) -> bool:
        return any(
            silence.until > now
            and silence.job_id in (None, incident.job_id)
            and silence.rule in (None, incident.rule)
            for silence in self.silences.values()
        )

    def apply(self, event: Event) -> None:
        if isinstance(event, JobRegistered | JobMetadataUpdated):
            self._name_job(event)
        elif isinstance(event, JobFinished | ExecutionMarkedFailed):
            self._count_run(event)
        elif isinstance(event, AlertRaised):
            self._open(event)
        elif isinstance(event, AlertResolved):
            self._close(event)
        elif isinstance(event, AlertSilenced):
            self._silence(event)
        elif isinstance(event, AlertNotified):
            for incident_id in event.incident_ids:
                incident = self.incident(incident_id)
                if incident is not None:
                    incident.last_notified_at = max(
                        incident.last_notified_at or event.occurred_at, event.occurred_at
                    )

    def _silence(self, event: AlertSilenced) -> None:
        """Keeps the silences not over when this one was given (ended ones are forgotten)."""
        self.silences = {key: kept for key, kept in self.silences.items() if kept.until > event.occurred_at}
        self.silences[event.silence_id] = event

    def track(self, job_id: str, at: datetime) -> JobTrack:
        if job_id not in self.jobs:
            self.jobs[job_id] = JobTrack(job_id=job_id, name=job_id, first_seen=at)
        return self.jobs[job_id]

    def _name_job(self, event: JobRegistered | JobMetadataUpdated) -> None:
        track = self.track(event.job_id, event.occurred_at)
        name = event.name if isinstance(event, JobRegistered) else event.display_name
        if name:
            track.name = name

    def _count_run(self, event: JobFinished | ExecutionMarkedFailed) -> None:
        track = self.track(event.job_id, event.occurred_at)
        if isinstance(event, JobFinished) and event.status == "success":
            if track.last_success is None or event.finished_at > track.last_success:
                track.last_success = event.finished_at
            track.consecutive_failures = 0
            track.failing_since = None
            return
        if isinstance(event, JobFinished) and event.status != "failed":
            return
        if event.execution_id in track.counted:
            return
        track.counted.append(event.execution_id)
        track.consecutive_failures += 1
        track.failing_since = track.failing_since or event.occurred_at

    def _close(self, event: AlertResolved) -> None:
        self.resolved_ids[event.incident_id] = None
        if len(self.resolved_ids) > REMEMBERED_RESOLVED:
            del self.resolved_ids[next(iter(self.resolved_ids))]
        incident = self.open.get((event.rule, event.job_id))
        if incident is not None and incident.incident_id == event.incident_id:
            del self.open[(event.rule, event.job_id)]
            self.resolved_count += 1

    def _open(self, event: AlertRaised) -> None:
        key = (event.rule, event.job_id)
        if key in self.open or event.incident_id in self.resolved_ids:
            return
        self.open[key] = Incident(
            incident_id=event.incident_id,
            rule=event.rule,
            job_id=event.job_id,
            job_name=event.job_name,
            severity=event.severity,
            summary=event.summary,
            since=event.since,
            execution_id=event.execution_id,
            opened_at=event.occurred_at,
        )


def alert_id(*parts: str) -> str:
    """A deterministic message id: the same decision taken twice (a redelivery) is stored once."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def raise_alert(
    state: AlertState, rule: AlertRule, job_id: str, cause: Event, summary: str, since: datetime,
    execution_id: str | None, producer: str, now: datetime,
) -> AlertRaised:  # fmt: skip
    incident_id = f"{rule}:{job_id}:{cause.message_id}"
    return AlertRaised(
        message_id=alert_id("raised", incident_id),
        producer=producer,
        occurred_at=now,
        **cause.caused(),
        incident_id=incident_id,
        rule=rule,
        severity=SEVERITY[rule],
        job_id=job_id,
        job_name=state.track(job_id, cause.occurred_at).name[:200],
        summary=summary[:2000],
        since=since,
        execution_id=execution_id,
    )


def decide(state: AlertState, event: Event, rules: AlertRules, producer: str, now: datetime) -> list[Event]:
    """The alert events a run event calls for at `now`, given the state it was already applied to."""
    if isinstance(event, JobFinished) and event.status == "success":
        return _resolve_job(state, event, producer, now)
    if isinstance(event, JobMissed):
        if not rules.for_job(event.job_id).run_missed or ("run_missed", event.job_id) in state.open:
            return []
        summary = f"missed: {event.reason}"
        return [raise_alert(state, "run_missed", event.job_id, event, summary, event.scheduled_time,
                            event.execution_id, producer, now)]  # fmt: skip
    failed = isinstance(event, JobFinished) and event.status == "failed"
    if failed or isinstance(event, ExecutionMarkedFailed):
        return _on_failure(state, event, rules, producer, now)
    return []


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
    job_rules = rules.for_job(job_id)
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
        AlertResolved(
            message_id=alert_id("resolved", incident.incident_id),
            producer=producer,
            occurred_at=now,
            **event.caused(),
            incident_id=incident.incident_id,
            rule=incident.rule,
            job_id=incident.job_id,
            reason="succeeded",
            execution_id=event.execution_id,
        )
        for (_, job_id), incident in list(state.open.items())
        if job_id == event.job_id
    ]


def evaluate(state: AlertState, now: datetime, rules: AlertRules, producer: str) -> list[Event]:
    """The alert events the time `now` calls for: jobs that have not succeeded for too long (stale)."""
    alerts: list[Event] = []
    for job_id, track in state.jobs.items():
        limit = rules.for_job(job_id).stale_after_s
        if limit is None or ("stale", job_id) in state.open:
            continue
        if now - track.healthy_since > timedelta(seconds=limit):
            incident_id = f"stale:{job_id}:{track.healthy_since.isoformat()}"
            alerts.append(
                AlertRaised(
                    message_id=alert_id("raised", incident_id),
                    producer=producer,
                    occurred_at=now,
                    incident_id=incident_id,
                    rule="stale",
                    severity=SEVERITY["stale"],
                    job_id=job_id,
                    job_name=track.name[:200],
                    summary=f"no success for more than {limit:g} s",
                    since=track.healthy_since,
                )
            )
    return alerts


def reminders_due(state: AlertState, now: datetime, interval_s: float) -> list[Incident]:
    """Open incidents last notified (or opened) at least `interval_s` ago."""
    limit = timedelta(seconds=interval_s)
    return [
        incident
        for incident in state.open.values()
        if now - (incident.last_notified_at or incident.opened_at) >= limit
    ]
