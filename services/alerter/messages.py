"""The text of a notification: Chinese by default, English by setting; one message may list many incidents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Literal
from urllib.parse import quote

from contracts.alert_events import NoticeKind
from domain.alert_state import Incident

Language = Literal["zh", "en"]

RULE_TEXT: dict[Language, dict[str, str]] = {
    "zh": {
        "run_failed": "运行失败",
        "run_missed": "错过执行",
        "run_partial": "部分完成",
        "consecutive_failures": "连续失败",
        "stale": "数据过期：长时间没有成功运行",
        "run_slow": "运行时间远超平常",
        "no_leader": "没有调度器主节点",
        "projector_lag": "读模型投影滞后",
        "dead_lettered": "消息进入死信队列",
    },
    "en": {
        "run_failed": "run failed",
        "run_missed": "run missed",
        "run_partial": "run partly done",
        "consecutive_failures": "consecutive failures",
        "stale": "stale data: no successful run for too long",
        "run_slow": "run far longer than usual",
        "no_leader": "no scheduler leader",
        "projector_lag": "projector lagging",
        "dead_lettered": "messages dead-lettered",
    },
}
# The names of system incidents' subjects (they have no job).
SUBJECT_NAME: dict[Language, dict[str, str]] = {
    "zh": {"scheduler": "调度器", "projector": "投影器", "dead-letter": "死信队列"},
    "en": {"scheduler": "scheduler", "projector": "projector", "dead-letter": "dead-letter queue"},
}
TEST_BODY: dict[Language, str] = {
    "zh": "这是一条测试消息：告警通道可用。\n查看：{link}",
    "en": "This is a test message: the alert channel works.\nSee: {link}",
}
TITLE: dict[Language, dict[NoticeKind, str]] = {
    "zh": {"raised": "【告警】{n} 个任务异常", "reminder": "【提醒】{n} 个任务仍未恢复",
           "resolved": "【已恢复】{n} 个任务", "test": "【测试】告警通道测试"},
    "en": {"raised": "[ALERT] {n} job(s) in trouble", "reminder": "[REMINDER] {n} job(s) still in trouble",
           "resolved": "[RESOLVED] {n} job(s)", "test": "[TEST] alert channel test"},
}  # fmt: skip
LINE: dict[Language, str] = {
    "zh": "{name}（{job_id}）：{what}，自 {since} 起。{summary}\n查看：{link}",
    "en": "{name} ({job_id}): {what}, since {since}. {summary}\nSee: {link}",
}
MORE: dict[Language, str] = {"zh": "……另有 {n} 项未列出", "en": "... and {n} more not listed"}


@dataclass(frozen=True)
class Notice:
    """The title and body of one alert message, as the channels send it."""

    title: str
    body: str


def run_link(console_url: str, incident: Incident) -> str:
    """The console link to the incident's run (or the job's runs when no run is named)."""
    base = console_url.rstrip("/")
    if incident.execution_id:
        return f"{base}/#runs?execution_id={quote(incident.execution_id)}"
    return f"{base}/#runs?job_id={quote(incident.job_id)}"


def render(
    kind: NoticeKind, incidents: Sequence[Incident], *, language: Language, console_url: str, zone: tzinfo,
    max_listed: int,
) -> Notice:  # fmt: skip
    """The notice for these incidents, in `language`, times in `zone`, at most `max_listed` listed."""
    lines = [
        LINE[language].format(
            name=SUBJECT_NAME[language].get(incident.job_id, incident.job_name)
            if incident.job_name == incident.job_id
            else incident.job_name,
            job_id=incident.job_id,
            what=RULE_TEXT[language][incident.rule],
            since=incident.since.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            summary=incident.summary,
            link=run_link(console_url, incident),
        )
        for incident in incidents[:max_listed]
    ]
    if kind == "test":
        lines.append(TEST_BODY[language].format(link=f"{console_url.rstrip('/')}/#alerts"))
    if len(incidents) > max_listed:
        lines.append(MORE[language].format(n=len(incidents) - max_listed))
    jobs = len({incident.job_id for incident in incidents})  # a job may have several incidents
    return Notice(title=TITLE[language][kind].format(n=jobs), body="\n\n".join(lines))
