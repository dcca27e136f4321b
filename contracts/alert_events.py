"""Alert events: the alerter's incidents and notifications, stored in the event log like every other fact.

An incident is one (rule, job) whose condition holds: `AlertRaised` opens it, `AlertResolved` closes it when
the condition clears. Every delivery of a message to a channel is an `AlertNotified`; `AlertSilenced` keeps a
job or a rule away from the channels for a bounded time (never from the incident list).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.envelope import Event

AlertRule = Literal["run_failed", "run_missed", "consecutive_failures", "stale"]
Severity = Literal["info", "warning", "error", "critical"]
NoticeKind = Literal["raised", "reminder", "resolved", "test"]


class AlertRaised(Event):
    """The alerter opened an incident: `rule` holds for `job_id` since `since` (one open incident per rule
    and job). `execution_id` is the run that raised it, when one did (a stale job has none)."""

    type: Literal["AlertRaised"] = "AlertRaised"
    incident_id: str = Field(min_length=1, max_length=200)
    rule: AlertRule
    severity: Severity
    job_id: str = Field(min_length=1, max_length=200)
    job_name: str = Field(max_length=200)
    summary: str = Field(max_length=2000)
    since: AwareDatetime
    execution_id: str | None = Field(default=None, max_length=100)


class AlertResolved(Event):
    """An incident's condition cleared (e.g. the job succeeded); `reason` says how."""

    type: Literal["AlertResolved"] = "AlertResolved"
    incident_id: str = Field(min_length=1, max_length=200)
    rule: AlertRule
    job_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(max_length=2000)
    execution_id: str | None = Field(default=None, max_length=100)


class AlertNotified(Event):
    """One message about one or more incidents (grouped) reached a channel, or finally failed to.

    `channel_type` is the kind of channel (`dingtalk`, `wecombot`, `feishu`, `mailto`, `json`, ...), never
    its address (which holds secrets); `attempts` counts the deliveries tried, `error` says why the last
    one failed."""

    type: Literal["AlertNotified"] = "AlertNotified"
    incident_ids: tuple[str, ...] = Field(max_length=1000)
    notice: NoticeKind
    channel_type: str = Field(min_length=1, max_length=50)
    outcome: Literal["sent", "failed"]
    attempts: int = Field(ge=1)
    error: str | None = Field(default=None, max_length=2000)


class AlertSilenced(Event):
    """An operator kept a job, a rule, or one rule of one job away from the channels until `until`."""

    type: Literal["AlertSilenced"] = "AlertSilenced"
    silence_id: str = Field(min_length=1, max_length=100)
    job_id: str | None = Field(default=None, max_length=200)
    rule: AlertRule | None = None
    until: AwareDatetime
    reason: str = Field(min_length=1, max_length=2000)
    actor: str = Field(min_length=1, max_length=100)


ALERT_EVENT_TYPES: tuple[type[Event], ...] = (AlertRaised, AlertResolved, AlertNotified, AlertSilenced)
