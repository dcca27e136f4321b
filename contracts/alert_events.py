"""Alert events: the alerter's incidents and notifications, stored in the event log like every other fact.

An incident is one (rule, job) whose condition holds: `AlertRaised` opens it, `AlertResolved` closes it when
the condition clears. Every delivery of a message to a channel is an `AlertNotified`; `AlertSilenced` keeps a
job or a rule away from the channels for a bounded time (never from the incident list), `AlertUnsilenced`
ends one early; `IncidentAcknowledged` says an operator took an incident in hand (no more reminders);
`AlertRulesUpdated` changes the rules of every job or of one; `AlertChannelTestRequested` asks the alerter
to send a test message through a channel (its `AlertNotified` answers).

System incidents (`no_leader`, `projector_lag`, `dead_lettered`) name a subject instead of a job in
`job_id` (`scheduler`, `projector`, `dead-letter`).

The operator's events are published by the API on the events exchange (the commands queue is the
scheduler's, which would refuse commands it does not know), stored by the projector and folded by the
alerter like the others.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator

from contracts.envelope import Event
from contracts.envelope import JobIdStr

AlertRule = Literal[
    "run_failed", "run_missed", "run_partial", "consecutive_failures", "stale", "run_slow", "no_leader",
    "projector_lag", "dead_lettered",
]  # fmt: skip
Severity = Literal["info", "warning", "error", "critical"]
NoticeKind = Literal["raised", "reminder", "resolved", "test"]


class AlertRaised(Event):
    """An incident opened by the alerter.

    The alerter opened an incident: `rule` holds for `job_id` since `since` (one open incident per rule
    and job). `execution_id` is the run that raised it, when one did (a stale job has none).
    """

    type: Literal["AlertRaised"] = "AlertRaised"
    incident_id: str = Field(min_length=1, max_length=200)
    rule: AlertRule
    severity: Severity
    job_id: JobIdStr
    job_name: str = Field(max_length=200)
    summary: str = Field(max_length=2000)
    since: AwareDatetime
    execution_id: str | None = Field(default=None, max_length=100)


class AlertResolved(Event):
    """An incident's condition cleared (e.g. the job succeeded); `reason` says how."""

    type: Literal["AlertResolved"] = "AlertResolved"
    incident_id: str = Field(min_length=1, max_length=200)
    rule: AlertRule
    job_id: JobIdStr
    reason: str = Field(max_length=2000)
    execution_id: str | None = Field(default=None, max_length=100)


class AlertNotified(Event):
    """One message about one or more incidents (grouped) reached a channel, or finally failed to.

    `channel_type` is the kind of channel (`dingtalk`, `wecombot`, `feishu`, `mailto`, `json`, ...), never
    its address (which holds secrets); `attempts` counts the deliveries tried, `error` says why the last
    one failed.
    """

    type: Literal["AlertNotified"] = "AlertNotified"
    incident_ids: tuple[str, ...] = Field(max_length=1000)
    notice: NoticeKind
    channel_type: str = Field(min_length=1, max_length=50)
    outcome: Literal["sent", "failed"]
    attempts: int = Field(ge=1)
    error: str | None = Field(default=None, max_length=2000)
    test_id: str | None = Field(default=None, max_length=100)
    """The `AlertChannelTestRequested` this answers (a test message), else None."""


class AlertSilenced(Event):
    """An operator kept a job, a rule, or one rule of one job away from the channels until `until`."""

    type: Literal["AlertSilenced"] = "AlertSilenced"
    silence_id: str = Field(min_length=1, max_length=100)
    job_id: str | None = Field(default=None, max_length=200)
    rule: AlertRule | None = None
    until: AwareDatetime
    reason: str = Field(min_length=1, max_length=2000)
    actor: str = Field(min_length=1, max_length=100)


class AlertUnsilenced(Event):
    """An operator ended a silence before its time (published by the API, folded by the alerter)."""

    type: Literal["AlertUnsilenced"] = "AlertUnsilenced"
    silence_id: str = Field(min_length=1, max_length=100)
    actor: str = Field(min_length=1, max_length=100)


class IncidentAcknowledged(Event):
    """An operator took an open incident in hand.

    It gets no more reminders (its resolution is still notified). Published by the API, folded by the alerter
    and the incident list.
    """

    type: Literal["IncidentAcknowledged"] = "IncidentAcknowledged"
    incident_id: str = Field(min_length=1, max_length=200)
    actor: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=2000)


def whole_number(value: object) -> object:
    """Whether a JSON number is a whole number.

    A JSON number without a fraction (`5.0`) is an integer, as JSON Schema says; nothing else is (the
    models are strict: no booleans, no text).
    """
    return int(value) if isinstance(value, float) and value.is_integer() else value


class RuleOverride(BaseModel):
    """Rule values that replace the configured ones; None keeps what applies otherwise.

    A threshold of 0 turns its rule off (`consecutive_failures`, `stale_after_s`, `slow_factor`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    run_failed: bool | None = None
    run_missed: bool | None = None
    run_partial: bool | None = None
    consecutive_failures: int | None = Field(default=None, ge=0, le=1000)
    stale_after_s: float | None = Field(default=None, ge=0, le=366 * 86400)
    slow_factor: float | None = Field(default=None, ge=0, le=1000)

    _whole_consecutive_failures = field_validator("consecutive_failures", mode="before")(whole_number)


class AlertRulesUpdated(Event):
    """The alert rules an operator set through the API.

    An operator set the rules of every job (`job_id` None) or of one job through the API; it replaces the
    previous API override of that scope (settings stay underneath). Folded by the alerter.
    """

    type: Literal["AlertRulesUpdated"] = "AlertRulesUpdated"
    job_id: JobIdStr | None = None
    rules: RuleOverride
    actor: str = Field(min_length=1, max_length=100)


class AlertChannelTestRequested(Event):
    """A test message an operator asked for through one of the alerter's channels.

    An operator asked for a test message through the alerter's channel number `channel` (0-based, in
    configuration order); the alerter answers with an `AlertNotified` whose `test_id` is `test_id`.
    """

    type: Literal["AlertChannelTestRequested"] = "AlertChannelTestRequested"
    test_id: str = Field(min_length=1, max_length=100)
    channel: int = Field(ge=0, lt=100)
    actor: str = Field(min_length=1, max_length=100)


ALERT_EVENT_TYPES: tuple[type[Event], ...] = (
    AlertRaised, AlertResolved, AlertNotified, AlertSilenced, AlertUnsilenced, IncidentAcknowledged,
    AlertRulesUpdated, AlertChannelTestRequested,
)  # fmt: skip
