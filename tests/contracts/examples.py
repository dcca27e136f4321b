"""One example of every message type (fixed ids and times), the source of the golden files.

`python -m tests.contracts.examples` writes `contracts/golden/<type>.v<version>.json` for types that have
no golden file yet; existing golden files are never rewritten (they pin what was once on the wire).
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from contracts import alert_events
from contracts import commands
from contracts import events
from contracts import run_logs
from contracts import runs
from contracts.codec import to_document
from contracts.envelope import Message

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "contracts" / "golden"
AT = datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 27, 8, 0, 2, 500000, tzinfo=UTC)
ENVELOPE: dict[str, Any] = {
    "message_id": "0f8fad5bd9cb469fa16570867728950e",
    "occurred_at": AT,
    "correlation_id": "7c9e6679742540de944be07fc1f90ae7",
    "causation_id": "a8098c1af86e11dabd1a00112444be1e",
}
JOB = {"job_id": "pipeline_canary"}
EXECUTION = {**JOB, "execution_id": "3b241101e2bb42558caf4136c566a962", "attempt": 1}


def examples() -> list[Message]:
    api = {**ENVELOPE, "producer": "api:main", "actor": "admin"}
    scheduler = {**ENVELOPE, "producer": "scheduler:main"}
    worker = {**ENVELOPE, "producer": "worker:w1"}
    return [
        commands.PauseJob(**api, **JOB),
        commands.ResumeJob(**api, **JOB),
        commands.TriggerJob(**api, **JOB, execution_id=EXECUTION["execution_id"], kwargs={"fail": True}),
        commands.CancelExecution(**api, execution_id=EXECUTION["execution_id"]),
        commands.MarkExecutionFailed(**api, execution_id=EXECUTION["execution_id"]),
        commands.DeleteExecution(**api, execution_id=EXECUTION["execution_id"]),
        commands.UpdateJobMetadata(**api, **JOB, display_name="自检", description="流水线自检任务"),
        runs.RunJob(
            **scheduler,
            execution_id=EXECUTION["execution_id"],
            **JOB,
            job_name="流水线自检（Canary）",
            job_kind="pipeline_canary",
            kwargs={"duration_s": 2},
            scheduled_time=AT,
            is_manual=True,
        ),
        events.JobRegistered(
            **scheduler,
            **JOB,
            name="流水线自检（Canary）",
            job_kind="pipeline_canary",
            trigger="interval[0:05:00]",
            kwargs={"duration_s": 2, "steps": 4},
            paused=True,
            misfire_grace_time=60,
        ),
        events.JobPaused(**scheduler, **JOB, actor="admin"),
        events.JobResumed(**scheduler, **JOB, actor="admin", next_run_time=LATER),
        events.JobScheduled(**scheduler, **JOB, next_run_time=LATER),
        events.JobMetadataUpdated(**scheduler, **JOB, actor="admin", display_name="自检"),
        events.RunQueued(**scheduler, **EXECUTION, job_name="canary", scheduled_time=AT, is_manual=True),
        events.RunScheduled(
            **scheduler,
            **EXECUTION,
            job_name="canary",
            scheduled_time=LATER,
            kwargs={"fail": True},
            actor="admin",
        ),
        events.RunWaiting(
            **scheduler,
            **EXECUTION,
            job_name="canary",
            scheduled_time=AT,
            waiting_for=["akshare_historical_sync"],
            wait_until=LATER,
            kwargs={"fail": True},
        ),
        events.JobStarted(
            **worker,
            **EXECUTION,
            sequence=1,
            job_name="canary",
            worker_id="w1",
            started_at=AT,
            scheduled_time=AT,
        ),
        events.Progress(
            **worker,
            **EXECUTION,
            sequence=2,
            progress=50,
            message="step 2/4",
            current_item="step-2",
            total_items=4,
            processed_items=2,
        ),
        events.JobFinished(
            **worker,
            **EXECUTION,
            sequence=3,
            status="success",
            started_at=AT,
            finished_at=LATER,
            return_value={"steps": 4},
        ),
        events.AttemptFailed(
            **worker,
            **EXECUTION,
            sequence=3,
            reason="timeout",
            error_message="timed out after 60 s",
            retry_in_s=31.5,
        ),
        events.JobMissed(**scheduler, **EXECUTION, job_name="canary", scheduled_time=AT, reason="late"),
        events.JobSkipped(**scheduler, **EXECUTION, job_name="canary", scheduled_time=AT, reason="overlap"),
        events.CancelRequested(**scheduler, **EXECUTION, actor="admin"),
        events.QueuedRunCancelled(**scheduler, **EXECUTION, actor="admin"),
        events.ExecutionMarkedFailed(**scheduler, **EXECUTION, actor="admin", reason="用户手动标记为失败"),
        events.ExecutionDeleted(**scheduler, **EXECUTION, actor="admin"),
        events.CommandRejected(
            **scheduler,
            command_type="PauseJob",
            command_id="c1",
            actor="admin",
            job_id="nope",
            reason="unknown job 'nope'",
        ),
        events.FiresDropped(
            **scheduler,
            job_id="quotes",
            count=9_900,
            first=AT,
            last=LATER,
            reason="9900 older instant(s) of a downtime beyond the catch-up cap (100 records)",
        ),
        events.SchedulerHeartbeat(
            **scheduler, scheduler_id="main", state=1, total_jobs=18, paused_jobs=3, interval_s=5
        ),
        events.WorkerHeartbeat(
            **worker,
            worker_id="w1",
            capacity=4,
            interval_s=5,
            runs=(
                events.RunRef(execution_id=EXECUTION["execution_id"], job_id="pipeline_canary", attempt=1),
            ),
        ),
        events.RetentionApplied(
            **scheduler, execution_cutoffs={"success": AT, "failed": AT}, history_cutoff=AT, event_cutoff=AT
        ),
        run_logs.RunLogBatch(
            **worker,
            **EXECUTION,
            lines=(
                run_logs.LogLine(
                    sequence=1,
                    logged_at=AT,
                    level="INFO",
                    logger="services.workers.canary",
                    message="canary step 1/4",
                ),
            ),
        ),
        *job_definition_examples(api, scheduler),
        *backfill_examples(api, scheduler),
        *alert_examples(),
    ]


def alert_examples() -> list[Message]:
    alerter = {**ENVELOPE, "producer": "alerter:main"}
    incident = "run_failed:pipeline_canary:0f8fad5bd9cb469fa16570867728950e"
    return [
        alert_events.AlertRaised(
            **alerter,
            incident_id=incident,
            rule="run_failed",
            severity="error",
            job_id="pipeline_canary",
            job_name="流水线自检（Canary）",
            summary="运行失败：canary asked to fail",
            since=AT,
            execution_id=EXECUTION["execution_id"],
        ),
        alert_events.AlertNotified(
            **alerter,
            incident_ids=(incident,),
            notice="raised",
            channel_type="dingtalk",
            outcome="sent",
            attempts=1,
        ),
        alert_events.AlertResolved(
            **alerter,
            incident_id=incident,
            rule="run_failed",
            job_id="pipeline_canary",
            reason="运行成功",
            execution_id="9b2e4a0c1f7d4b7e8a3c5d6e7f8a9b0c",
        ),
        alert_events.AlertSilenced(
            **{**ENVELOPE, "producer": "api:main"},
            silence_id="5d41402abc4b2a76b9719d911017c592",
            job_id="pipeline_canary",
            until=LATER,
            reason="维护窗口",
            actor="admin",
        ),
        alert_events.AlertUnsilenced(
            **{**ENVELOPE, "producer": "api:main"},
            silence_id="5d41402abc4b2a76b9719d911017c592",
            actor="admin",
        ),
        alert_events.IncidentAcknowledged(
            **{**ENVELOPE, "producer": "api:main"}, incident_id=incident, actor="admin", note="在处理"
        ),
        alert_events.AlertRulesUpdated(
            **{**ENVELOPE, "producer": "api:main"},
            job_id="tushare_quotes_sync",
            rules=alert_events.RuleOverride(consecutive_failures=1, slow_factor=0),
            actor="admin",
        ),
        alert_events.AlertChannelTestRequested(
            **{**ENVELOPE, "producer": "api:main"},
            test_id="7c9e6679742540de944be07fc1f90ae7",
            channel=0,
            actor="admin",
        ),
    ]


def golden_path(message: Message) -> Path:
    return GOLDEN_DIR / f"{message.type}.v{message.version}.json"


def write_missing() -> list[Path]:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for message in examples():
        path = golden_path(message)
        if not path.exists():
            text = json.dumps(to_document(message), ensure_ascii=False, indent=2, sort_keys=True)
            path.write_text(text + "\n", encoding="utf-8")
            written.append(path)
    return written


def job_definition_examples(api: dict[str, Any], scheduler: dict[str, Any]) -> list[Message]:
    """Jobs as data: the commands that create, change, delete and reset jobs, and their events."""
    job = {"job_id": "news_hourly"}
    policy = {"overlap": "skip", "max_attempts": 3, "pool": "default"}
    return [
        commands.CreateJob(
            **api,
            **job,
            job_kind="news_sync",
            trigger="0 * * * *",
            kwargs={"limit": 50},
            display_name="新闻（每小时）",
            policy=commands.JobPolicy(max_attempts=3),
        ),
        commands.ChangeJob(**api, **job, expected_version=1, trigger="30 * * * *"),
        commands.DeleteJob(**api, **job, cancel_running=True),
        commands.ResetJob(**api, **JOB, expected_version=2),
        events.JobCreated(
            **scheduler,
            **job,
            actor="admin",
            job_kind="news_sync",
            trigger="0 * * * *",
            kwargs={"limit": 50},
            display_name="新闻（每小时）",
            policy=policy,
            command_id="c0ffee00c0ffee00c0ffee00c0ffee00",
        ),
        events.JobChanged(
            **scheduler,
            **job,
            actor="admin",
            job_version=2,
            changes={"trigger": events.FieldChange(old="0 * * * *", new="30 * * * *")},
        ),
        events.JobDeleted(
            **scheduler, **job, actor="admin", job_version=3, cancelled=(EXECUTION["execution_id"],)
        ),
    ]


def backfill_examples(api: dict[str, Any], scheduler: dict[str, Any]) -> list[Message]:
    """Backfills: the commands that ask for and cancel one, and its events."""
    backfill = {**JOB, "backfill_id": "bf" + "c0ffee00" * 4}
    days = ("2024-01-02", "2024-01-03")
    return [
        commands.RequestBackfill(
            **api, **backfill, start_date="2024-01-01", end_date="2024-01-03", days=days, max_parallel=2
        ),
        commands.CancelBackfill(**api, **backfill),
        events.BackfillRequested(
            **scheduler,
            **backfill,
            start_date="2024-01-01",
            end_date="2024-01-03",
            days=days,
            max_parallel=2,
            kwargs={"duration_s": 0},
            actor="admin",
        ),
        events.BackfillCancelled(**scheduler, **backfill, actor="admin"),
        events.BackfillFinished(**scheduler, **backfill, done=1, failed=0, cancelled=1, was_cancelled=True),
    ]


if __name__ == "__main__":
    for path in write_missing():
        print(f"wrote {path}")
