"""Alert routes: incidents, silences, rules, and channel tests.

Alerts: incidents (list, detail, acknowledge), silences (list, create, end), rules (read, update for
every job or one), and a test message through a channel. Reads fold the alert events of the log; changes
are events the API appends to the log (`services/api/alert_book.py`), which the alerter follows.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Annotated
from typing import Literal

from fastapi import Body
from fastapi import Depends
from fastapi import HTTPException
from fastapi import Path
from fastapi import Query
from fastapi import Request
from fastapi import Response
from fastapi import status

from contracts.alert_events import AlertChannelTestRequested
from contracts.alert_events import AlertRule
from contracts.alert_events import AlertRulesUpdated
from contracts.alert_events import AlertSilenced
from contracts.alert_events import AlertUnsilenced
from contracts.alert_events import IncidentAcknowledged
from contracts.alert_events import RuleOverride
from contracts.alert_events import Severity
from contracts.envelope import utc_now
from domain.alert_incidents import IncidentBook
from domain.alert_incidents import IncidentRecord
from domain.alert_rules import SYSTEM_SUBJECT
from services.api.alert_book import AlertLog
from services.api.alert_book import alert_log
from services.api.alert_schemas import AcknowledgeRequest
from services.api.alert_schemas import ChannelTestOut
from services.api.alert_schemas import ChannelTestRequest
from services.api.alert_schemas import IncidentDetail
from services.api.alert_schemas import IncidentOut
from services.api.alert_schemas import IncidentPage
from services.api.alert_schemas import RuleChangeOut
from services.api.alert_schemas import RulesOut
from services.api.alert_schemas import SilenceOut
from services.api.alert_schemas import SilenceRequest
from services.api.commands import Wait
from services.api.commands import done
from services.api.commands import existing_job
from services.api.dependencies import AdminUser
from services.api.dependencies import Context
from services.api.dependencies import JobId
from services.api.dependencies import JobIdFilter
from services.api.dependencies import Offset
from services.api.errors import WITH_BODY
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope

router = SchedulerRouter("alerts", prefix="/api/scheduler/alerts")

# A channel test's answer is waited for this many times the commands' wait (`command_wait_s`, 2 s by
# default: 10 s); a channel that retries with backoff answers later (202, and the `Location` to ask).
CHANNEL_TEST_WAIT_FACTOR = 5
SUBJECTS = frozenset(SYSTEM_SUBJECT.values())
IncidentId = Annotated[str, Path(min_length=1, max_length=200, description="incident id")]
SilenceId = Annotated[str, Path(min_length=1, max_length=100, description="silence id")]


def log_of(request: Request, context: Context) -> AlertLog:
    """The process's alert log (incident book) for this request."""
    return alert_log(request, context.store)


Log = Annotated[AlertLog, Depends(log_of)]


def operator_fields(context: Context, user: AdminUser) -> dict[str, str]:
    """The producer and actor fields of an event an operator causes."""
    return {"producer": context.producer, "actor": user.username}


def found(book: IncidentBook, incident_id: str) -> IncidentRecord:
    """The incident with this id; 404 if the book has none."""
    record = book.incidents.get(incident_id)
    if record is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=text("incident_not_found", incident_id=incident_id)
        )
    return record


@router.read("/incidents", "List incidents, newest first", Envelope[IncidentPage])
async def list_incidents(
    context: Context,
    log: Log,
    offset: Offset = 0,
    job_id: JobIdFilter = None,
    status_filter: Annotated[Literal["open", "resolved"] | None, Query(alias="status")] = None,
    rule: Annotated[AlertRule | None, Query(description="only this rule")] = None,
    severity: Annotated[Severity | None, Query(description="only this severity")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Envelope[IncidentPage]:
    """Incidents newest first, filtered by status, rule, job and severity, one page."""
    book = await log.current()
    now = utc_now()
    selected = book.select(status=status_filter, rule=rule, job_id=job_id, severity=severity)
    items = [
        IncidentOut.of(record, book.silenced(record, now), context.zone)
        for record in selected[offset : offset + limit]
    ]
    page = IncidentPage(items=items, total=len(selected), limit=limit, offset=offset, open=book.open_count())
    return done(context, text("incidents_listed", count=len(selected)), page)


@router.read(
    "/incidents/{incident_id}",
    "One incident with its notifications",
    Envelope[IncidentDetail],
    errors=(404,),
)
async def get_incident(context: Context, log: Log, incident_id: IncidentId) -> Envelope[IncidentDetail]:
    """One incident with its latest notifications; 404 if unknown."""
    book = await log.current()
    record = found(book, incident_id)
    detail = IncidentDetail.detail(record, book.silenced(record, utc_now()), context.zone)
    return done(context, text("incident_detail"), detail)


@router.change(
    "POST",
    "/incidents/{incident_id}/acknowledge",
    "Acknowledge an open incident (admin)",
    Envelope[IncidentDetail],
    errors=(*WITH_BODY, 404, 409),
)
async def acknowledge(
    context: Context,
    log: Log,
    user: AdminUser,
    incident_id: IncidentId,
    body: Annotated[AcknowledgeRequest, Body()] = AcknowledgeRequest(),  # noqa: B008
) -> Envelope[IncidentDetail]:
    """Acknowledge an open incident, with an optional note; 409 if it is already resolved."""
    record = found(await log.current(), incident_id)
    if record.resolved is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=text("incident_resolved", incident_id=incident_id)
        )
    if record.acknowledged is None:
        await log.record(
            IncidentAcknowledged(**operator_fields(context, user), incident_id=incident_id, note=body.note)
        )
    book = await log.current()
    detail = IncidentDetail.detail(record, book.silenced(record, utc_now()), context.zone)
    return done(context, text("acknowledged"), detail)


@router.read("/silences", "The silences in force", Envelope[list[SilenceOut]])
async def list_silences(context: Context, log: Log) -> Envelope[list[SilenceOut]]:
    """The silences in force now."""
    silences = [SilenceOut.of(s, context.zone) for s in (await log.current()).active_silences(utc_now())]
    return done(context, text("silences_listed", count=len(silences)), silences)


@router.change(
    "POST",
    "/silences",
    "Keep a job or a rule from the channels for a while (admin)",
    Envelope[SilenceOut],
    errors=(*WITH_BODY, 404),
)
async def silence(context: Context, log: Log, user: AdminUser, body: SilenceRequest) -> Envelope[SilenceOut]:
    """Silence the channels for a job or a rule (or every one) until a moment; 404 for an unknown job."""
    if body.job_id is not None and body.job_id not in SUBJECTS:
        await existing_job(context, body.job_id)
    now = utc_now()
    event = AlertSilenced(
        **operator_fields(context, user),
        occurred_at=now,
        silence_id=uuid.uuid4().hex,
        job_id=body.job_id,
        rule=body.rule,
        until=now + timedelta(seconds=body.duration_s),
        reason=body.reason,
    )
    await log.record(event)
    out = SilenceOut.of(event, context.zone)
    return done(context, text("silenced", until=out.until), out)


@router.change("DELETE", "/silences/{silence_id}", "End a silence now (admin)", Envelope[None], errors=(404,))
async def unsilence(context: Context, log: Log, user: AdminUser, silence_id: SilenceId) -> Envelope[None]:
    """End a silence now; 404 if no such silence is in force."""
    active = {s.silence_id for s in (await log.current()).active_silences(utc_now())}
    if silence_id not in active:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=text("silence_not_found", silence_id=silence_id)
        )
    await log.record(AlertUnsilenced(**operator_fields(context, user), silence_id=silence_id))
    return done(context, text("unsilenced"))


def _rules_out(book: IncidentBook, context: Context) -> RulesOut:
    def out(change: AlertRulesUpdated) -> RuleChangeOut:
        at = change.occurred_at.astimezone(context.zone).isoformat()
        return RuleChangeOut(job_id=change.job_id, rules=change.rules, actor=change.actor, updated_at=at)

    jobs = [
        out(change)
        for job_id, change in sorted(book.rule_changes.items(), key=lambda i: i[0] or "")
        if job_id is not None
    ]
    default = book.rule_changes.get(None)
    return RulesOut(default=out(default) if default else None, jobs=jobs)


@router.read("/rules", "The operators' rule overrides", Envelope[RulesOut])
async def get_rules(context: Context, log: Log) -> Envelope[RulesOut]:
    """The alert rules: the settings' and the operators' overrides, for every job and per job."""
    return done(context, text("alert_rules"), _rules_out(await log.current(), context))


async def _set_rules(
    context: Context, log: Log, user: AdminUser, job_id: str | None, rules: RuleOverride
) -> Envelope[RulesOut]:
    await log.record(AlertRulesUpdated(**operator_fields(context, user), job_id=job_id, rules=rules))
    return done(context, text("alert_rules_updated"), _rules_out(await log.current(), context))


@router.change("PUT", "/rules", "Set the rules of every job (admin)", Envelope[RulesOut], errors=WITH_BODY)
async def set_default_rules(
    context: Context, log: Log, user: AdminUser, body: RuleOverride
) -> Envelope[RulesOut]:
    """Override the alert rules of every job."""
    return await _set_rules(context, log, user, None, body)


@router.change(
    "PUT",
    "/rules/{job_id}",
    "Set the rules of one job (admin)",
    Envelope[RulesOut],
    errors=(*WITH_BODY, 404),
)
async def set_job_rules(
    context: Context, log: Log, user: AdminUser, job_id: JobId, body: RuleOverride
) -> Envelope[RulesOut]:
    """Override the alert rules of one job; 404 for an unknown job."""
    await existing_job(context, job_id)
    return await _set_rules(context, log, user, job_id, body)


def _test_out(book: IncidentBook, test_id: str) -> ChannelTestOut:
    answer = book.tests.get(test_id)
    if answer is None:
        return ChannelTestOut(test_id=test_id, status="pending")
    return ChannelTestOut(
        test_id=test_id,
        status=answer.outcome,
        channel_type=answer.channel_type,
        attempts=answer.attempts,
        error=answer.error,
    )


def _test_location(test_id: str) -> str:
    return f"{router.prefix}/channels/tests/{test_id}"


def _test_message(out: ChannelTestOut) -> str:
    if out.status == "pending":
        return text("channel_test_pending", location=_test_location(out.test_id))
    if out.status == "sent":
        return text("channel_test_sent")
    return text("channel_test_failed", error=out.error or "")


@router.command(
    "POST",
    "/channels/test",
    "Send a test message through a channel (admin)",
    Envelope[ChannelTestOut],
    errors=WITH_BODY,
)
async def send_channel_test(
    context: Context,
    log: Log,
    user: AdminUser,
    response: Response,
    wait: Wait = True,
    body: Annotated[ChannelTestRequest, Body()] = ChannelTestRequest(),  # noqa: B008
) -> Envelope[ChannelTestOut]:
    """The alerter sends it and records the outcome (`AlertNotified`, notice `test`).

    200 with the outcome once known (within 5 x `command_wait_s`), else 202 and the `Location` to ask again.
    """
    test_id = uuid.uuid4().hex
    await log.record(
        AlertChannelTestRequested(**operator_fields(context, user), test_id=test_id, channel=body.channel)
    )
    out = _test_out(await log.current(), test_id)
    budget = CHANNEL_TEST_WAIT_FACTOR * context.settings.command_wait_s if wait else 0
    deadline = asyncio.get_running_loop().time() + budget
    while out.status == "pending" and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(min(0.2, budget / 10))
        out = _test_out(await log.current(), test_id)
    if out.status == "pending":
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = _test_location(test_id)
    return done(context, _test_message(out), out)


@router.read("/channels/tests/{test_id}", "The outcome of a channel test", Envelope[ChannelTestOut])
async def channel_test_outcome(
    context: Context, log: Log, test_id: Annotated[str, Path(min_length=1, max_length=100)]
) -> Envelope[ChannelTestOut]:
    """The outcome of a channel test: pending until the alerter answers."""
    out = _test_out(await log.current(), test_id)
    return done(context, _test_message(out), out)
