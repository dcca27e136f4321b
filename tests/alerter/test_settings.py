"""Alert settings: channel URLs checked without showing them; rules, per-job overrides, stale limits."""

from __future__ import annotations

import logging
from datetime import UTC
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from pydantic import ValidationError

from domain.catalogue_definitions import load_definitions
from services.alerter.rules import alert_rules
from services.alerter.rules import expected_period_s
from services.alerter.settings import AlerterSettings
from services.alerter.settings import AlertSettings
from services.alerter.settings import JobAlertOverride
from tests.alerter.harness import started_alerter
from tests.alerter.receivers import HttpReceiver
from tests.domain.alert_streams import finished
from tests.domain.alert_streams import registered
from tests.waiting import wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # a Friday


def test_an_invalid_channel_url_is_refused_without_showing_it() -> None:
    with pytest.raises(ValidationError) as refused:
        AlertSettings(channels=[SecretStr("json://ok.example/"), SecretStr("nosuchscheme://topsecret-token")])
    text = str(refused.value)
    assert "alerts channel 1 (nosuchscheme://...)" in text
    assert "topsecret-token" not in text


def test_channel_urls_are_secrets_in_the_settings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULER_ALERTS__CHANNELS", '["dingtalk://abc123token/"]')
    monkeypatch.setenv("SCHEDULER_ALERTS__JOBS__PIPELINE_CANARY__CONSECUTIVE_FAILURES", "1")
    settings = AlerterSettings()
    assert "abc123token" not in repr(settings)
    assert settings.alerts.jobs["pipeline_canary"].consecutive_failures == 1


def test_expected_period_is_the_longest_gap_between_fires() -> None:
    assert expected_period_s("interval:300", SHANGHAI, NOW) == 300
    # Weekdays at 16:30: from Friday to Monday.
    assert expected_period_s("30 16 * * 1-5", SHANGHAI, NOW) == 3 * 86400


def test_rules_from_settings_with_per_job_overrides() -> None:
    definitions = load_definitions(AlerterSettings())
    alerts = AlertSettings(
        consecutive_failures=4, stale_margin_s=600,
        jobs={"pipeline_canary": JobAlertOverride(run_failed=False, stale_after_s=120),
              "news_sync": JobAlertOverride(stale=False)},
    )  # fmt: skip
    rules = alert_rules(alerts, definitions, SHANGHAI, NOW)
    canary = rules.for_job("pipeline_canary")
    assert (canary.run_failed, canary.consecutive_failures, canary.stale_after_s) == (False, 4, 120)
    assert rules.for_job("news_sync").stale_after_s is None
    enabled = next(job_id for job_id, d in definitions.items() if d.enabled and job_id != "news_sync")
    period = expected_period_s(definitions[enabled].trigger, SHANGHAI, NOW)
    assert period is not None
    assert rules.for_job(enabled).stale_after_s == period + 600
    with pytest.raises(ValueError, match="unknown jobs: nope"):
        alert_rules(AlertSettings(jobs={"nope": JobAlertOverride()}), definitions, SHANGHAI, NOW)


async def test_a_failing_channel_logs_no_token(
    receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.status = 500
    url = f"json://user:topsecret-password@{receiver.base.removeprefix('http://')}/hook"
    caplog.set_level(logging.DEBUG)
    alerter, bus = await started_alerter([url], delivery_attempts=2)
    try:
        await alerter.on_event(registered())
        await alerter.on_event(finished("failed", 10))
        await wait_until(lambda: len(bus.notified()) == 1)
    finally:
        await alerter.notifier.stop()
    assert bus.notified()[0].outcome == "failed"
    assert "topsecret-password" not in caplog.text
    assert "alert channel json failed 2 time(s)" in caplog.text
