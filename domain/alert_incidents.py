"""The incident list the API and the console show: a fold of the alert events of the log (pure).

Every incident, open or resolved (the most recent `INCIDENTS_KEPT`), with its notifications, its
acknowledgement and its resolution; the silences in force; the operators' rule overrides; the answers to
channel tests. Idempotent like the alerter's own state: a replayed or duplicated event changes nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Literal

from contracts.alert_events import AlertNotified
from contracts.alert_events import AlertRaised
from contracts.alert_events import AlertResolved
from contracts.alert_events import AlertRulesUpdated
from contracts.alert_events import AlertSilenced
from contracts.alert_events import AlertUnsilenced
from contracts.alert_events import IncidentAcknowledged
from contracts.envelope import Event

INCIDENTS_KEPT = 10_000
NOTIFICATIONS_KEPT = 50
TESTS_KEPT = 200
SILENCES_KEPT = 1000
# Event types the book folds (the API reads only these from the log).
BOOK_TYPES = frozenset(
    {"AlertRaised", "AlertResolved", "AlertNotified", "AlertSilenced", "AlertUnsilenced",
     "IncidentAcknowledged", "AlertRulesUpdated"}
)  # fmt: skip


@dataclass
class IncidentRecord:
    """One incident as the API shows it: raised, resolved, acknowledged, latest notifications."""

    raised: AlertRaised
    resolved: AlertResolved | None = None
    acknowledged: IncidentAcknowledged | None = None
    notifications: deque[AlertNotified] = field(default_factory=lambda: deque(maxlen=NOTIFICATIONS_KEPT))

    @property
    def status(self) -> Literal["open", "resolved"]:
        """`open` until an `AlertResolved` arrives, then `resolved`."""
        return "open" if self.resolved is None else "resolved"

    @property
    def incident_id(self) -> str:
        """The id of the incident, taken from the `AlertRaised` that opened it."""
        return self.raised.incident_id


@dataclass
class IncidentBook:
    """Every incident kept, the silences, the operators' rule overrides and the channel tests' answers."""

    incidents: dict[str, IncidentRecord] = field(default_factory=dict)  # in the order they were raised
    silences: dict[str, AlertSilenced] = field(default_factory=dict)
    rule_changes: dict[str | None, AlertRulesUpdated] = field(default_factory=dict)
    tests: dict[str, AlertNotified] = field(default_factory=dict)

    def apply(self, event: Event) -> None:
        """Fold one event of the log into the book; idempotent, and events of other kinds are ignored."""
        if isinstance(event, AlertRaised):
            if event.incident_id not in self.incidents:
                self.incidents[event.incident_id] = IncidentRecord(event)
                self._bound()
        elif isinstance(event, AlertResolved):
            self._resolved(event)
        elif isinstance(event, IncidentAcknowledged):
            self._acknowledged(event)
        elif isinstance(event, AlertNotified):
            self._notified(event)
        elif isinstance(event, AlertSilenced):
            self.silences[event.silence_id] = event
            while len(self.silences) > SILENCES_KEPT:
                del self.silences[next(iter(self.silences))]
        elif isinstance(event, AlertUnsilenced):
            self.silences.pop(event.silence_id, None)
        elif isinstance(event, AlertRulesUpdated):
            self.rule_changes[event.job_id] = event

    def _resolved(self, event: AlertResolved) -> None:
        """The first resolution of a known incident is the one kept."""
        record = self.incidents.get(event.incident_id)
        if record is not None and record.resolved is None:
            record.resolved = event

    def _acknowledged(self, event: IncidentAcknowledged) -> None:
        """The first acknowledgement of a known incident is the one kept."""
        record = self.incidents.get(event.incident_id)
        if record is not None and record.acknowledged is None:
            record.acknowledged = event

    def _notified(self, event: AlertNotified) -> None:
        if event.test_id is not None:
            self.tests[event.test_id] = event
            while len(self.tests) > TESTS_KEPT:
                del self.tests[next(iter(self.tests))]
        for incident_id in event.incident_ids:
            record = self.incidents.get(incident_id)
            if record is not None and all(n.message_id != event.message_id for n in record.notifications):
                record.notifications.append(event)

    def _bound(self) -> None:
        """Past the limit, the oldest resolved incidents go first (an open one is never forgotten)."""
        excess = len(self.incidents) - INCIDENTS_KEPT
        if excess <= 0:
            return
        for incident_id in [key for key, record in self.incidents.items() if record.resolved][:excess]:
            del self.incidents[incident_id]

    def active_silences(self, now: datetime) -> list[AlertSilenced]:
        """The silences still in force at `now` (their `until` is later)."""
        return [silence for silence in self.silences.values() if silence.until > now]

    def silenced(self, record: IncidentRecord, now: datetime) -> bool:
        """Whether a silence in force at `now` covers the incident's job and rule (None covers every one)."""
        return any(
            silence.job_id in (None, record.raised.job_id) and silence.rule in (None, record.raised.rule)
            for silence in self.active_silences(now)
        )

    def select(
        self, *, status: str | None = None, rule: str | None = None, job_id: str | None = None,
        severity: str | None = None,
    ) -> list[IncidentRecord]:  # fmt: skip
        """Matching incidents, newest first."""
        return [
            record
            for record in reversed(self.incidents.values())
            if (status is None or record.status == status)
            and (rule is None or record.raised.rule == rule)
            and (job_id is None or record.raised.job_id == job_id)
            and (severity is None or record.raised.severity == severity)
        ]

    def open_count(self) -> int:
        """How many incidents are open (not yet resolved)."""
        return sum(1 for record in self.incidents.values() if record.resolved is None)
