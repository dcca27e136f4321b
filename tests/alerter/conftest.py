from __future__ import annotations

from collections.abc import Iterator

import pytest
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.wecombot import NotifyWeComBot

from tests.alerter.receivers import HttpReceiver
from tests.alerter.receivers import MailReceiver
from tests.alerter.receivers import http_receiver
from tests.alerter.receivers import mail_receiver


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
def second_receiver() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
def mail() -> Iterator[MailReceiver]:
    yield from mail_receiver()


@pytest.fixture
def platforms_on_loopback(receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> HttpReceiver:
    """DingTalk, WeCom and Feishu bots post to the recording server instead of their platforms' hosts (the
    paths and query strings stay the platforms' own)."""
    base = receiver.base
    monkeypatch.setattr(NotifyDingTalk, "notify_url", f"{base}/robot/send?access_token={{token}}")
    monkeypatch.setattr(NotifyWeComBot, "notify_url", f"{base}/cgi-bin/webhook/send?key={{key}}")
    monkeypatch.setattr(NotifyFeishu, "notify_url", f"{base}/open-apis/bot/v2/hook/{{token}}/")
    return receiver
