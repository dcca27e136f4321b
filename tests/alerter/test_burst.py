"""A burst of 1,000 failures: a bounded number of messages (grouped) to a real JSON webhook and a real SMTP
server on loopback, and every incident and failure counted."""

from __future__ import annotations

import pytest

from contracts.alert_events import AlertRaised
from tests.alerter.harness import started_alerter
from tests.alerter.receivers import HttpReceiver
from tests.alerter.receivers import MailReceiver
from tests.domain.alert_streams import finished
from tests.domain.alert_streams import registered
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(120)
JOBS = 20


def mail_url(mail: MailReceiver) -> str:
    return f"mailto://alerts:secret@127.0.0.1:{mail.port}?mode=insecure&from=alerts@example.com&to=ops@example.com"


async def test_a_thousand_failures_of_twenty_jobs_make_one_message_per_channel(
    receiver: HttpReceiver, mail: MailReceiver
) -> None:
    hook = f"json://{receiver.base.removeprefix('http://')}/hook"
    alerter, bus = await started_alerter([hook, mail_url(mail)], group_window_s=1.0, max_listed=50)
    try:
        for index in range(JOBS):
            await alerter.on_event(registered(f"job_{index}", name=f"任务{index}"))
        # Round robin: each job's first and third failures raise its two incidents early in the burst.
        for failure in range(1000):
            await alerter.on_event(finished("failed", 10 + failure / 100, job_id=f"job_{failure % JOBS}"))
        await wait_until(lambda: len(bus.notified()) == 2, timeout=60, message="one message per channel")
        assert len(receiver.calls) == 1 and len(mail.messages) == 1
        assert receiver.calls[0].body["title"] == "【告警】20 个任务异常"  # 40 incidents of 20 jobs
        assert mail.messages[0]["Subject"] == "【告警】20 个任务异常"
        for notified in bus.notified():
            assert notified.outcome == "sent" and len(notified.incident_ids) == 2 * JOBS
        raised = [message for message in bus.published if isinstance(message, AlertRaised)]
        assert len(raised) == 2 * JOBS and len(alerter.state.open) == 2 * JOBS
        assert {track.consecutive_failures for track in alerter.state.jobs.values()} == {1000 // JOBS}
    finally:
        await alerter.notifier.stop()


async def test_a_thousand_jobs_failing_at_once_make_two_messages_listing_every_incident(
    receiver: HttpReceiver,
) -> None:
    hook = f"json://{receiver.base.removeprefix('http://')}/hook"
    alerter, bus = await started_alerter([hook], group_window_s=1.0, consecutive_failures=None)
    try:
        for index in range(1000):
            await alerter.on_event(registered(f"job_{index}", name=f"任务{index}"))
        for index in range(1000):
            await alerter.on_event(finished("failed", 10, job_id=f"job_{index}"))
        await wait_until(lambda: len(bus.notified()) == 2, timeout=60, message="two messages of 500")
        assert [len(n.incident_ids) for n in bus.notified()] == [500, 500]
        assert len({i for n in bus.notified() for i in n.incident_ids}) == 1000 == len(alerter.state.open)
        assert len(receiver.calls) == 2
        assert "……另有 470 项未列出" in receiver.calls[0].body["message"]
    finally:
        await alerter.notifier.stop()
