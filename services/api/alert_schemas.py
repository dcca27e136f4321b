"""Request and response models of the alert routes (`routes/alerts.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import StringConstraints
from pydantic import field_validator
from pydantic import model_validator

from contracts.alert_events import AlertNotified
from contracts.alert_events import AlertRule
from contracts.alert_events import AlertSilenced
from contracts.alert_events import RuleOverride
from contracts.alert_events import Severity
from contracts.alert_events import whole_number
from domain.alert_incidents import IncidentRecord
from domain.same_fields import copied
from services.api.schemas import NO_CONTROL_CHARACTERS

MAX_SILENCE_S = 30 * 86400
# Text with something besides white space, and no control character but tab, line feed and carriage return.
_ALLOWED = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]"
SOME_TEXT = rf"^{_ALLOWED}*[^\s\u0000-\u001f\u007f]{_ALLOWED}*$"
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=NO_CONTROL_CHARACTERS)
]


def _iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


class NotificationOut(BaseModel):
    """One message sent (or finally failed) about an incident, on one channel."""

    at: str
    notice: str
    channel_type: str
    outcome: Literal["sent", "failed"]
    attempts: int
    error: str | None = None

    @classmethod
    def of(cls, event: AlertNotified, zone: ZoneInfo) -> NotificationOut:
        """The notification an `AlertNotified` event records, times in `zone`."""
        return copied(cls, event, at=event.occurred_at.astimezone(zone).isoformat())


class IncidentOut(BaseModel):
    """An incident as the incident list shows it: rule, severity, subject, status and times."""

    incident_id: str
    rule: AlertRule
    severity: Severity
    job_id: str = Field(
        description="the job, or the subject of a system incident (scheduler, projector, dead-letter)"
    )
    job_name: str
    summary: str
    since: str = Field(description="since when the condition holds")
    opened_at: str
    execution_id: str | None = None
    status: Literal["open", "resolved"]
    resolved_at: str | None = None
    resolution: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    acknowledgement_note: str | None = None
    silenced: bool = Field(description="a silence keeps it from the channels now (never from this list)")
    notifications: int = Field(description="messages about it sent or finally failed, all channels")

    @classmethod
    def fields_of(cls, record: IncidentRecord, silenced: bool, zone: ZoneInfo) -> dict[str, object]:
        """The fields of an incident's answer from its record, times in `zone`."""
        raised, resolved, ack = record.raised, record.resolved, record.acknowledged
        return {
            "incident_id": raised.incident_id, "rule": raised.rule, "severity": raised.severity,
            "job_id": raised.job_id, "job_name": raised.job_name, "summary": raised.summary,
            "since": _iso(raised.since, zone), "opened_at": _iso(raised.occurred_at, zone),
            "execution_id": raised.execution_id, "status": record.status,
            "resolved_at": _iso(resolved.occurred_at, zone) if resolved else None,
            "resolution": resolved.reason if resolved else None,
            "acknowledged_by": ack.actor if ack else None,
            "acknowledged_at": _iso(ack.occurred_at, zone) if ack else None,
            "acknowledgement_note": ack.note if ack else None,
            "silenced": silenced, "notifications": len(record.notifications),
        }  # fmt: skip

    @classmethod
    def of(cls, record: IncidentRecord, silenced: bool, zone: ZoneInfo) -> IncidentOut:
        """The incident's answer from its record, times in `zone`."""
        return cls.model_validate(cls.fields_of(record, silenced, zone))


class IncidentDetail(IncidentOut):
    """An incident with its latest notifications."""

    notification_log: list[NotificationOut] = Field(description="the latest 50 notifications, oldest first")

    @classmethod
    def detail(cls, record: IncidentRecord, silenced: bool, zone: ZoneInfo) -> IncidentDetail:
        """The incident's detailed answer from its record, times in `zone`."""
        log = [NotificationOut.of(event, zone) for event in record.notifications]
        return cls.model_validate({**IncidentOut.fields_of(record, silenced, zone), "notification_log": log})


class IncidentPage(BaseModel):
    """One page of incidents, with the total matching and how many are open in all."""

    items: list[IncidentOut]
    total: int
    limit: int
    offset: int
    open: int = Field(description="open incidents in all (the console's badge)")


class SilenceRequest(BaseModel):
    """Silence a job, a rule, or one rule of one job (at least one of them) for a bounded time."""

    model_config = ConfigDict(
        extra="forbid", strict=True,
        json_schema_extra={"anyOf": [
            {"required": ["job_id"], "properties": {"job_id": {"type": "string"}}},
            {"required": ["rule"], "properties": {"rule": {"type": "string"}}},
        ]},
    )  # fmt: skip

    job_id: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_CONTROL_CHARACTERS)
    rule: AlertRule | None = None
    duration_s: float = Field(gt=0, le=MAX_SILENCE_S, description="how long, in seconds (at most 30 days)")
    reason: str = Field(max_length=2000, pattern=SOME_TEXT, description="why (kept with the silence)")

    @model_validator(mode="after")
    def _has_a_target(self) -> SilenceRequest:
        if self.job_id is None and self.rule is None:
            raise ValueError("a silence needs a job_id or a rule (or both)")
        self.reason = self.reason.strip()
        return self


class SilenceOut(BaseModel):
    """A silence in force: what it covers (a job, a rule, or every one), until when, why and who set it."""

    silence_id: str
    job_id: str | None
    rule: AlertRule | None
    until: str
    reason: str
    actor: str
    created_at: str

    @classmethod
    def of(cls, silence: AlertSilenced, zone: ZoneInfo) -> SilenceOut:
        """The answer for an `AlertSilenced` event, times in `zone`."""
        return cls(
            silence_id=silence.silence_id, job_id=silence.job_id, rule=silence.rule,
            until=silence.until.astimezone(zone).isoformat(), reason=silence.reason, actor=silence.actor,
            created_at=silence.occurred_at.astimezone(zone).isoformat(),
        )  # fmt: skip


class AcknowledgeRequest(BaseModel):
    """An acknowledgement of an incident, with an optional note."""

    model_config = ConfigDict(extra="forbid", strict=True)

    note: Text = ""


class RuleChangeOut(BaseModel):
    """The operators' latest change of the alert rules of one job, or of every job."""

    job_id: str | None = Field(description="None: the change applies to every job")
    rules: RuleOverride
    actor: str
    updated_at: str


class RulesOut(BaseModel):
    """The operators' overrides; the alerter's settings apply underneath (README, "Alerts")."""

    default: RuleChangeOut | None
    jobs: list[RuleChangeOut]


class ChannelTestRequest(BaseModel):
    """A request to send a test message on one alert channel (by its position in the settings)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    channel: int = Field(default=0, ge=0, lt=100, description="the channel's position in the configuration")

    _whole_channel = field_validator("channel", mode="before")(whole_number)


class ChannelTestOut(BaseModel):
    """Where a channel test stands: pending, sent or failed, with the channel's type and error."""

    test_id: str
    status: Literal["pending", "sent", "failed"]
    channel_type: str | None = None
    attempts: int | None = None
    error: str | None = None
