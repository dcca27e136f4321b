"""Alerts end to end on RabbitMQ: a canary run fails, one incident is raised and notified once (a JSON
webhook on loopback), the alerter restarts and rebuilds its state from the event store; an admin silences
the job through the API (a second failure opens "consecutive failures", listed and not sent), acknowledges
it, ends the silence, and a success resolves both and says so. Channel tests through the API mark when the
alerter has read the operators' events (it handles them in log order)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.alerter.receivers import HttpReceiver
from tests.alerter.receivers import http_receiver
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import rabbitmqctl
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.fixture
def webhook() -> Iterator[HttpReceiver]:
    yield from http_receiver()


async def events_of(client: ApiClient, event_type: str) -> list[dict[str, Any]]:
    page = await client.data("GET", "/api/scheduler/events", params={"type": event_type, "limit": 500})
    items: list[dict[str, Any]] = page["items"]
    return items


async def channel_test_sent(client: ApiClient) -> None:
    """A test message through channel 0, answered `sent` (the alerter read the log up to the request)."""
    answer: dict[str, Any] = {}

    async def answered() -> bool:
        if not answer:
            path = "/api/scheduler/alerts/channels/test?wait=false"  # 202 at once, then asked below
            answer.update(await client.data("POST", path, json={"channel": 0}))
        else:
            path = f"/api/scheduler/alerts/channels/tests/{answer['test_id']}"
            answer.update(await client.data("GET", path))
        return bool(answer["status"] == "sent")

    await wait_until(answered, timeout=30, message="the channel test's answer")


async def alerter_queue_declared(vhost: RabbitMQVhost) -> bool:
    listing = await rabbitmqctl("list_queues", "-p", vhost.name, "name", "consumers")
    return any(line.split() == ["alerter.events", "1"] for line in listing.splitlines())


async def test_failed_canary_raises_notifies_once_survives_a_restart_and_resolves(
    tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost, webhook: HttpReceiver
) -> None:
    port = free_port()
    hook = f"json://{webhook.base.removeprefix('http://')}/alerts"
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=fresh_rabbitmq_vhost.url,
        SCHEDULER_ALERTS__CHANNELS=json.dumps([hook]),
        SCHEDULER_ALERTS__GROUP_WINDOW_S="0.2",
        SCHEDULER_ALERTS__CONSECUTIVE_FAILURES="2",
        SCHEDULER_ALERTS__CONSOLE_URL=f"http://127.0.0.1:{port}",
    )
    alerter = ServiceProcess("services.alerter", env, tmp_path)
    processes = [
        ServiceProcess("services.projector", env, tmp_path),
        alerter,
        ServiceProcess("services.workers", env, tmp_path),
        ServiceProcess("services.scheduler", env, tmp_path),
        ServiceProcess("services.api", env, tmp_path),
    ]
    with running(processes):
        client = ApiClient(f"http://127.0.0.1:{port}")
        try:
            await client.wait_ready(processes)
            await client.login()
            await client.wait_for_job("pipeline_canary")
            # The alerter declares its own queue when it starts (a deployment without one must not fill it),
            # so it follows what happens from its first start on.
            await wait_until(
                lambda: alerter_queue_declared(fresh_rabbitmq_vhost),
                timeout=60,
                message="the alerter's queue",
            )

            failing = await client.trigger("pipeline_canary", duration_s=0, fail=True)
            await client.wait_for_execution(failing, {"failed"})
            await wait_until(lambda: len(webhook.calls) == 1, timeout=30, message="the raised notification")
            [call] = webhook.calls
            assert call.body["title"] == "【告警】1 个任务异常"
            assert f"http://127.0.0.1:{port}/#runs?execution_id={failing}" in call.body["message"]

            async def notified_stored() -> bool:
                return len(await events_of(client, "AlertNotified")) == 1

            await wait_until(notified_stored, timeout=30, message="AlertNotified in the event log")
            [raised] = await events_of(client, "AlertRaised")
            assert raised["job_id"] == "pipeline_canary"

            # A new alerter process rebuilds its state from the event store: the incident is still open.
            alerter.stop()
            restarted = ServiceProcess("services.alerter", env, tmp_path, name="alerter-2")
            processes.append(restarted)
            silence = await client.data("POST", "/api/scheduler/alerts/silences", json={
                "job_id": "pipeline_canary", "duration_s": 3600, "reason": "维护窗口"})  # fmt: skip
            await channel_test_sent(client)  # the restarted alerter has read the silence before this
            again = await client.trigger("pipeline_canary", duration_s=0, fail=True)
            await client.wait_for_execution(again, {"failed"})

            async def second_incident() -> bool:
                page = await client.data("GET", "/api/scheduler/alerts/incidents", params={"status": "open"})
                return bool(page["total"] == 2)

            await wait_until(second_incident, timeout=30, message="consecutive failures, listed")
            page = await client.data("GET", "/api/scheduler/alerts/incidents", params={"status": "open"})
            consecutive = page["items"][0]
            assert (consecutive["rule"], consecutive["silenced"]) == ("consecutive_failures", True)
            acked = await client.data(
                "POST", f"/api/scheduler/alerts/incidents/{consecutive['incident_id']}/acknowledge", json={}
            )
            assert acked["acknowledged_by"] == "admin"
            await client.data("DELETE", f"/api/scheduler/alerts/silences/{silence['silence_id']}")
            await channel_test_sent(client)
            fixed = await client.trigger("pipeline_canary", duration_s=0)
            await client.wait_for_execution(fixed, {"success"})
            await wait_until(lambda: len(webhook.calls) == 4, timeout=60, message="the resolved notification")
            assert [call.body["title"] for call in webhook.calls] == [
                "【告警】1 个任务异常", "【测试】告警通道测试", "【测试】告警通道测试", "【已恢复】1 个任务",
            ], "the silenced incident was not sent"  # fmt: skip

            async def resolved_stored() -> bool:
                return len(await events_of(client, "AlertResolved")) == 2

            await wait_until(resolved_stored, timeout=30, message="AlertResolved in the event log")
            raised_rules = [item["rule"] for item in await events_of(client, "AlertRaised")]
            assert raised_rules == ["run_failed", "consecutive_failures"], "one incident per rule"

            async def every_notice_stored() -> bool:  # the alerter records a notice after its channel took it
                return len(await events_of(client, "AlertNotified")) >= 4

            await wait_until(every_notice_stored, timeout=30, message="every AlertNotified stored")
            notices = await events_of(client, "AlertNotified")
            assert [(item["notice"], item["outcome"]) for item in notices] == [
                ("raised", "sent"), ("test", "sent"), ("test", "sent"), ("resolved", "sent"),
            ]  # fmt: skip
            assert len(notices[-1]["incident_ids"]) == 2
            assert [len(await events_of(client, kind)) for kind in ("AlertSilenced", "AlertUnsilenced",
                    "IncidentAcknowledged")] == [1, 1, 1]  # fmt: skip
            assert len(webhook.calls) == 4
        finally:
            await client.close()
