"""Alert channels against real receivers on loopback: JSON webhook, DingTalk, WeCom and Feishu bots (their
documented request bodies), mail through a real SMTP server; retries, a failing and a hanging channel."""

from __future__ import annotations

import pytest

from tests.alerter.harness import started_alerter
from tests.alerter.receivers import HttpReceiver
from tests.alerter.receivers import MailReceiver
from tests.domain.alert_streams import finished
from tests.domain.alert_streams import registered
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


async def test_json_webhook_gets_one_chinese_message_with_name_what_since_and_link(
    receiver: HttpReceiver,
) -> None:
    alerter, bus = await started_alerter([f"json://{receiver.base.removeprefix('http://')}/hooks/alerts"])
    try:
        await alerter.on_event(registered())
        await alerter.on_event(finished("failed", 10, execution_id="run-42", error="canary asked to fail"))
        await wait_until(lambda: len(bus.notified()) == 1, message="one AlertNotified")
        [call] = receiver.paths("/hooks/alerts")
        assert call.body["title"] == "【告警】1 个任务异常"
        message = call.body["message"]
        assert (
            "流水线自检（pipeline_canary）：运行失败，自 2026-11-27 16:00:10 起" in message
        )  # Asia/Shanghai
        assert "canary asked to fail" in message
        assert "http://127.0.0.1:8000/#runs?execution_id=run-42" in message
        [notified] = bus.notified()
        assert (notified.channel_type, notified.outcome, notified.notice, notified.attempts) == (
            "json", "sent", "raised", 1,
        )  # fmt: skip
        assert notified.incident_ids == (alerter.state.open["run_failed", "pipeline_canary"].incident_id,)
    finally:
        await alerter.notifier.stop()


async def test_english_by_setting_and_resolution_notified(receiver: HttpReceiver) -> None:
    url = f"json://{receiver.base.removeprefix('http://')}/hook"
    alerter, bus = await started_alerter([url], language="en")
    try:
        await alerter.on_event(registered())
        await alerter.on_event(finished("failed", 10))
        await wait_until(lambda: len(receiver.calls) == 1)
        await alerter.on_event(finished("success", 20))
        await wait_until(lambda: len(bus.notified()) == 2)
        assert receiver.calls[0].body["title"] == "[ALERT] 1 job(s) in trouble"
        assert "流水线自检 (pipeline_canary): run failed, since" in receiver.calls[0].body["message"]
        assert receiver.calls[1].body["title"] == "[RESOLVED] 1 job(s)"
        assert [n.notice for n in bus.notified()] == ["raised", "resolved"]
    finally:
        await alerter.notifier.stop()


async def test_bot_platforms_get_their_documented_bodies(platforms_on_loopback: HttpReceiver) -> None:
    receiver = platforms_on_loopback
    alerter, bus = await started_alerter(
        ["dingtalk://dingtoken123/", "wecombot://wecomkey456", "feishu://feishutoken789"]
    )
    try:
        await alerter.on_event(registered())
        await alerter.on_event(finished("failed", 10))
        await wait_until(lambda: len(bus.notified()) == 3, message="three channels notified")
        assert {n.channel_type for n in bus.notified()} == {"dingtalk", "wecombot", "feishu"}
        assert {n.outcome for n in bus.notified()} == {"sent"}
        # DingTalk custom robot: POST /robot/send?access_token=..., {"msgtype": "text", "text": {"content"}}
        [ding] = receiver.paths("/robot/send")
        assert ding.query["access_token"] == ["dingtoken123"]
        assert ding.body["msgtype"] == "text"
        assert "运行失败" in ding.body["text"]["content"]
        # WeCom group robot: POST /cgi-bin/webhook/send?key=..., {"msgtype": "text", "text": {"content"}}
        [wecom] = receiver.paths("/cgi-bin/webhook/send")
        assert wecom.query["key"] == ["wecomkey456"]
        assert wecom.body["msgtype"] == "text"
        assert "运行失败" in wecom.body["text"]["content"]
        # Feishu custom bot: POST /open-apis/bot/v2/hook/<token>, {"msg_type": "text", "content": {"text"}}
        [feishu] = receiver.paths("/open-apis/bot/v2/hook/feishutoken789")
        assert feishu.body["msg_type"] == "text"
        assert "运行失败" in feishu.body["content"]["text"]
        for call in (ding, wecom, feishu):
            assert call.headers["Content-Type"].startswith("application/json")
    finally:
        await alerter.notifier.stop()


async def test_mail_through_a_real_smtp_server(mail: MailReceiver) -> None:
    url = f"mailto://alerts:secret@127.0.0.1:{mail.port}?mode=insecure&from=alerts@example.com&to=ops@example.com"
    alerter, bus = await started_alerter([url])
    try:
        await alerter.on_event(registered())
        await alerter.on_event(finished("failed", 10, error="canary asked to fail"))
        await wait_until(lambda: len(mail.messages) == 1, message="one mail")
        [message] = mail.messages
        assert mail.recipients == [["ops@example.com"]]
        assert mail.logins == ["alerts"]
        assert message["Subject"] == "【告警】1 个任务异常"
        text = message.get_body(preferencelist=("plain", "html"))
        assert text is not None
        assert "canary asked to fail" in text.get_content()
        await wait_until(lambda: len(bus.notified()) == 1)
        assert bus.notified()[0].channel_type == "mailto"
    finally:
        await alerter.notifier.stop()


async def test_failing_channel_is_retried_reported_and_does_not_block_the_others(
    receiver: HttpReceiver, second_receiver: HttpReceiver
) -> None:
    receiver.status = 500
    failing = f"json://{receiver.base.removeprefix('http://')}/down"
    healthy = f"form://{second_receiver.base.removeprefix('http://')}/up"
    alerter, bus = await started_alerter([failing, healthy], delivery_attempts=3)
    try:
        await alerter.on_event(registered())
        await alerter.on_event(finished("failed", 10))
        await wait_until(lambda: len(bus.notified()) == 2, message="both channels done")
        outcomes = {n.channel_type: (n.outcome, n.attempts) for n in bus.notified()}
        assert outcomes == {"json": ("failed", 3), "form": ("sent", 1)}
        assert len(receiver.calls) == 3
        metrics = alerter.metrics
        assert (
            metrics.registry.get_sample_value(
                "scheduler_alert_notifications_total", {"channel_type": "json", "outcome": "failed"}
            )
            == 1
        )
        assert (
            metrics.registry.get_sample_value(
                "scheduler_alert_channel_consecutive_failures", {"channel_type": "json"}
            )
            == 1
        )
        health = alerter.health()
        assert health["channels"] == [
            {
                "type": "json",
                "consecutive_failures": 1,
                "last_error": "the channel refused the message",
                "dropped": 0,
            },
            {"type": "form", "consecutive_failures": 0, "last_error": None, "dropped": 0},
        ]
    finally:
        await alerter.notifier.stop()


async def test_hanging_channel_times_out_while_the_others_deliver(
    receiver: HttpReceiver, second_receiver: HttpReceiver
) -> None:
    receiver.hang.set()
    hanging = f"json://{receiver.base.removeprefix('http://')}/hang"
    healthy = f"json://{second_receiver.base.removeprefix('http://')}/up"
    alerter, bus = await started_alerter([hanging, healthy], delivery_attempts=1, delivery_timeout_s=1.0)
    try:
        await alerter.on_event(registered())
        await alerter.on_event(finished("failed", 10))
        await wait_until(lambda: len(second_receiver.calls) == 1, message="the healthy channel delivered")
        await wait_until(lambda: len(bus.notified()) == 2, timeout=20, message="the hanging one gave up")
        failed = [n for n in bus.notified() if n.outcome == "failed"]
        assert len(failed) == 1
        assert failed[0].error is not None
    finally:
        receiver.release.set()
        await alerter.notifier.stop()


async def test_many_jobs_failing_at_once_make_one_message(receiver: HttpReceiver) -> None:
    url = f"json://{receiver.base.removeprefix('http://')}/hook"
    alerter, bus = await started_alerter([url], group_window_s=0.5, max_listed=10)
    try:
        for index in range(40):
            await alerter.on_event(registered(f"job_{index}", name=f"任务{index}"))
            await alerter.on_event(finished("failed", 10, job_id=f"job_{index}"))
        await wait_until(lambda: len(bus.notified()) == 1, message="one grouped message")
        [call] = receiver.calls
        assert call.body["title"] == "【告警】40 个任务异常"
        assert "……另有 30 项未列出" in call.body["message"]
        assert len(bus.notified()[0].incident_ids) == 40
        assert len(alerter.state.open) == 40
    finally:
        await alerter.notifier.stop()
