"""The alerter's state, a fold of the event log (`domain/alert_decisions.py` decides from it).

`AlertState.apply` folds any event (runs, catalogue, heartbeats, alert and operator events) and is
idempotent: a duplicate or a replayed event changes nothing more, so the state after a replay of the log is
the state the live alerter had.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from contracts.alert_events import AlertNotified
from contracts.alert_events import AlertRaised
from contracts.alert_events import AlertResolved
from contracts.alert_events import AlertRule
from contracts.alert_events import AlertRulesUpdated
from contracts.alert_events import AlertSilenced
from contracts.alert_events import AlertUnsilenced
from contracts.alert_events import IncidentAcknowledged
from contracts.alert_events import RuleOverride
from contracts.envelope import Event
from contracts.events import CommandRejected
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobMetadataUpdated
from contracts.events import JobRegistered
from contracts.events import JobStarted
from contracts.events import QueuedRunCancelled
from contracts.events import SchedulerHeartbeat
from domain.same_fields import copied

# Executions remembered per job to count each failure once (duplicates, a mark-failed after a failure).
COUNTED_EXECUTIONS = 64
# Resolved incidents remembered, so that a redelivered `AlertRaised` does not reopen one.
REMEMBERED_RESOLVED = 10_000
# Durations of finished runs kept per job for the p95 (the recent ones: a job's usual duration drifts).
DURATIONS_KEPT = 100
# Running executions followed per job (a run whose end never comes is forgotten after this many more).
RUNNING_KEPT = 100


@dataclass
class JobTrack:
    """What the alerter knows of one job: last success, failure streak, durations, running attempts."""

    job_id: str
    name: str
    first_seen: datetime
    last_success: datetime | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    counted: deque[str] = field(default_factory=lambda: deque(maxlen=COUNTED_EXECUTIONS))
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=DURATIONS_KEPT))
    running: dict[str, datetime] = field(default_factory=dict)  # execution id -> latest attempt's start

    @property
    def healthy_since(self) -> datetime:
        """Since when the job has been healthy: its last success, else when the alerter first saw it."""
        return self.last_success or self.first_seen

    def duration_p95(self) -> float | None:
        """The 95th percentile of the recent durations (nearest rank), None with none."""
        if not self.durations:
            return None
        ordered = sorted(self.durations)
        return ordered[min(len(ordered) - 1, max(0, -(-95 * len(ordered) // 100) - 1))]


@dataclass
class Incident:
    """An open incident, keyed by rule and job in the alerter's state, with when it was last notified."""

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
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


@dataclass
class AlertState:
    """The alerter's fold of the log: jobs, open incidents, silences, overrides, leader liveness."""

    jobs: dict[str, JobTrack] = field(default_factory=dict)
    open: dict[tuple[str, str], Incident] = field(default_factory=dict)
    silences: dict[str, AlertSilenced] = field(default_factory=dict)
    overrides: dict[str | None, RuleOverride] = field(default_factory=dict)
    resolved_count: int = 0
    resolved_ids: dict[str, None] = field(default_factory=dict)  # insertion-ordered, bounded
    leader_seen_at: datetime | None = None
    leader_interval_s: float = 0.0
    last_dead_letter_at: datetime | None = None

    def incident(self, incident_id: str) -> Incident | None:
        """The open incident with this id; None if there is none (never opened, or resolved since)."""
        return next((item for item in self.open.values() if item.incident_id == incident_id), None)

    def silenced(self, incident: Incident, now: datetime) -> bool:
        """Whether a silence in force at `now` covers the incident's job and rule (None covers every one)."""
        return any(
            silence.until > now
            and silence.job_id in (None, incident.job_id)
            and silence.rule in (None, incident.rule)
            for silence in self.silences.values()
        )

    def apply(self, event: Event) -> None:
        """Fold one event of the log into the state; a duplicate or replayed event changes nothing."""
        if isinstance(event, JobRegistered | JobMetadataUpdated):
            self._name_job(event)
        elif isinstance(event, JobStarted):
            self._start_run(event)
        elif isinstance(event, JobFinished | ExecutionMarkedFailed | QueuedRunCancelled):
            self._end_run(event)
        elif isinstance(event, SchedulerHeartbeat):
            if event.active and (self.leader_seen_at is None or event.occurred_at > self.leader_seen_at):
                self.leader_seen_at, self.leader_interval_s = event.occurred_at, event.interval_s
        elif isinstance(event, CommandRejected):
            self._dead_letter_at(event.occurred_at)
        else:
            self._apply_alert_event(event)

    def _apply_alert_event(self, event: Event) -> None:
        if isinstance(event, AlertRaised):
            self._open(event)
        elif isinstance(event, AlertResolved):
            self._close(event)
        elif isinstance(event, AlertSilenced):
            self._silence(event)
        elif isinstance(event, AlertUnsilenced):
            self.silences.pop(event.silence_id, None)
        elif isinstance(event, AlertRulesUpdated):
            self.overrides[event.job_id] = event.rules
        elif isinstance(event, IncidentAcknowledged):
            self._acknowledge(event)
        elif isinstance(event, AlertNotified):
            self._notified(event)

    def _acknowledge(self, event: IncidentAcknowledged) -> None:
        """The first acknowledgement of an open incident is the one kept."""
        incident = self.incident(event.incident_id)
        if incident is not None and incident.acknowledged_at is None:
            incident.acknowledged_by, incident.acknowledged_at = event.actor, event.occurred_at

    def _notified(self, event: AlertNotified) -> None:
        """When each of the notified incidents was last notified."""
        for incident_id in event.incident_ids:
            incident = self.incident(incident_id)
            if incident is not None:
                incident.last_notified_at = max(
                    incident.last_notified_at or event.occurred_at, event.occurred_at
                )

    def _dead_letter_at(self, at: datetime) -> None:
        if self.last_dead_letter_at is None or at > self.last_dead_letter_at:
            self.last_dead_letter_at = at

    def _silence(self, event: AlertSilenced) -> None:
        """Keeps the silences not over when this one was given (ended ones are forgotten)."""
        self.silences = {key: kept for key, kept in self.silences.items() if kept.until > event.occurred_at}
        self.silences[event.silence_id] = event

    def track(self, job_id: str, at: datetime) -> JobTrack:
        """The job's track, created (named after its id, first seen `at`) the first time the job is met."""
        if job_id not in self.jobs:
            self.jobs[job_id] = JobTrack(job_id=job_id, name=job_id, first_seen=at)
        return self.jobs[job_id]

    def _name_job(self, event: JobRegistered | JobMetadataUpdated) -> None:
        track = self.track(event.job_id, event.occurred_at)
        name = event.name if isinstance(event, JobRegistered) else event.display_name
        if name:
            track.name = name

    def _start_run(self, event: JobStarted) -> None:
        track = self.track(event.job_id, event.occurred_at)
        if event.execution_id in track.counted:
            return  # already ended (a late redelivery of its start)
        track.running.pop(event.execution_id, None)
        track.running[event.execution_id] = event.started_at
        while len(track.running) > RUNNING_KEPT:
            del track.running[next(iter(track.running))]

    def _end_run(self, event: JobFinished | ExecutionMarkedFailed | QueuedRunCancelled) -> None:
        track = self.track(event.job_id, event.occurred_at)
        track.running.pop(event.execution_id, None)
        if isinstance(event, QueuedRunCancelled):
            return
        if isinstance(event, JobFinished) and event.status == "success":
            if event.execution_id not in track.counted:
                track.counted.append(event.execution_id)
                track.durations.append((event.finished_at - event.started_at).total_seconds())
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
        if event.rule == "dead_lettered":
            self._dead_letter_at(event.since)
        key = (event.rule, event.job_id)
        if key in self.open or event.incident_id in self.resolved_ids:
            return
        self.open[key] = copied(Incident, event, opened_at=event.occurred_at)
