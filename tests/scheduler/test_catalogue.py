"""The scheduler's catalogue: built-in canary + data-sync jobs, with per-job settings applied."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from domain.catalogue_definitions import CatalogueSettingsError
from domain.catalogue_definitions import load_definitions
from domain.run_policy import fires_between
from domain.triggers import DstPolicy
from services.scheduler.service import validated_triggers
from services.scheduler.settings import SchedulerSettings
from services.scheduler.triggers import SchedulerTrigger

SYNC_JOBS = 17
ANALYSIS_JOBS = 1  # market_daily_review
CALENDAR_JOBS = 1  # trade_calendar_sync


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> SchedulerSettings:
    for name in ("SCHEDULER_TUSHARE_TOKEN", "SCHEDULER_TUSHARE_TOKEN_SET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return SchedulerSettings(_env_file=None)


def test_the_catalogue_has_the_canary_and_every_sync_job(monkeypatch: pytest.MonkeyPatch) -> None:
    definitions = load_definitions(settings(monkeypatch))
    assert len(definitions) == 1 + SYNC_JOBS + ANALYSIS_JOBS + CALENDAR_JOBS
    canary = definitions["pipeline_canary"]
    assert not canary.enabled and canary.disabled_reason
    assert definitions["tushare_historical_sync"].trigger == "0 16 * * 1-5"
    assert definitions["basics_sync_service"].trigger == "06:30"
    review = definitions["market_daily_review"]
    assert not review.enabled and "historical syncs" in (review.disabled_reason or "")
    assert review.trigger == "after:akshare_historical_sync,baostock_historical_sync"
    enabled = load_definitions(settings(monkeypatch, SCHEDULER_JOBS__MARKET_DAILY_REVIEW__ENABLED="true"))
    assert enabled["market_daily_review"].enabled


def test_without_a_tushare_token_the_tushare_jobs_are_disabled_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    definitions = load_definitions(settings(monkeypatch))
    tushare = {job_id: d for job_id, d in definitions.items() if job_id.startswith("tushare_")}
    assert len(tushare) == 5
    assert all(
        not d.enabled and "SCHEDULER_TUSHARE_TOKEN" in (d.disabled_reason or "") for d in tushare.values()
    )
    with_token = load_definitions(settings(monkeypatch, SCHEDULER_TUSHARE_TOKEN_SET="true"))
    assert with_token["tushare_quotes_sync"].enabled


def test_the_scheduler_never_reads_the_tushare_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token is the workers' secret: only the `SCHEDULER_TUSHARE_TOKEN_SET` flag enables the jobs."""
    definitions = load_definitions(settings(monkeypatch, SCHEDULER_TUSHARE_TOKEN="t0ken"))
    assert not definitions["tushare_quotes_sync"].enabled
    assert "tushare_token" not in SchedulerSettings.model_fields


def test_per_job_settings_from_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    definitions = load_definitions(
        settings(
            monkeypatch,
            SCHEDULER_JOBS__NEWS_SYNC__ENABLED="false",
            SCHEDULER_JOBS__BASICS_SYNC_SERVICE__TRIGGER="07:15",
            SCHEDULER_JOBS__AKSHARE_HISTORICAL_SYNC__MAX_ATTEMPTS="3",
            SCHEDULER_JOBS__AKSHARE_HISTORICAL_SYNC__TIMEOUT_S="7200",
            SCHEDULER_JOBS__AKSHARE_QUOTES_SYNC__OVERLAP="allow",
            SCHEDULER_JOBS__AKSHARE_QUOTES_SYNC__MAX_CONCURRENT="2",
        )
    )
    assert not definitions["news_sync"].enabled
    assert definitions["news_sync"].disabled_reason == "disabled by settings"
    assert definitions["basics_sync_service"].trigger == "07:15"
    history = definitions["akshare_historical_sync"].policy
    assert (history.max_attempts, history.timeout_s) == (3, 7200)
    assert definitions["akshare_quotes_sync"].max_instances == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SCHEDULER_JOBS__NEWS_SYNC__TRIGGER": "every day"}, "job news_sync: invalid trigger 'every day'"),
        ({"SCHEDULER_JOBS__NEWS_SYNC__TRIGGER": "0 25 * * *"}, "job news_sync: invalid cron expression"),
        ({"SCHEDULER_JOBS__NO_SUCH_JOB__ENABLED": "true"}, "settings name unknown jobs: no_such_job"),
        (
            {"SCHEDULER_JOBS__NEWS_SYNC__KWARGS": '{"symbol": ["600000"]}'},
            "job news_sync: news_sync: unknown parameter symbol .accepted parameters: symbols, limit.",
        ),
        (
            {"SCHEDULER_JOBS__PIPELINE_CANARY__KWARGS": '{"steps": 100000}'},
            "job pipeline_canary: pipeline_canary: steps: Input should be less than or equal to 10000",
        ),
    ],
)
def test_bad_job_settings_stop_start_up_naming_the_job_and_value(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    with pytest.raises(CatalogueSettingsError, match=message.replace("*", r"\*")):
        load_definitions(settings(monkeypatch, **env))


def test_a_misspelt_job_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="enabeld"):
        settings(monkeypatch, SCHEDULER_JOBS__NEWS_SYNC__ENABELD="false")


def test_an_unknown_timezone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Base'"):
        settings(monkeypatch, SCHEDULER_TIMEZONE="Mars/Base")


def fires_of(trigger: SchedulerTrigger, start: datetime, end: datetime) -> list[str]:
    """The fires of a trigger the scheduler built, from `start` to `end`, as wall times with their offset."""
    fires = fires_between(trigger.get_next_fire_time, trigger.next_after(start) or end, end)
    return [fire.astimezone(trigger.zone).strftime("%d %H:%M%z") for fire in fires]


def test_a_jobs_dst_policy_from_settings_reaches_the_trigger_the_scheduler_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 27, "a daily 02:30 job runs twice on the autumn day": by default once (the first 02:30), with
    `DST_REPEATED=every` at both occurrences (Europe/Berlin, 25 Oct 2026), on the scheduler's own path."""
    env = {
        "SCHEDULER_TIMEZONE": "Europe/Berlin",
        "SCHEDULER_JOBS__BASICS_SYNC_SERVICE__TRIGGER": "30 2 * * *",
        "SCHEDULER_JOBS__NEWS_SYNC__TRIGGER": "30 2 * * *",
        "SCHEDULER_JOBS__NEWS_SYNC__DST_REPEATED": "every",
    }
    loaded = settings(monkeypatch, **env)
    definitions = load_definitions(loaded)
    assert definitions["basics_sync_service"].dst == DstPolicy() == DstPolicy("first", "shift")
    assert definitions["news_sync"].dst == DstPolicy(repeated="every", skipped="shift")
    triggers = validated_triggers(definitions, loaded.zone)
    start, end = datetime(2026, 10, 24, 12, 0, tzinfo=UTC), datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    assert fires_of(triggers["basics_sync_service"], start, end) == ["25 02:30+0200", "26 02:30+0100"]
    assert fires_of(triggers["news_sync"], start, end) == ["25 02:30+0200", "25 02:30+0100", "26 02:30+0100"]


def test_a_jobs_skipped_hour_policy_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spring (Berlin, 29 Mar 2026, 02:00 → 03:00): `shift` (default) fires at the change, `skip` not."""
    env = {
        "SCHEDULER_TIMEZONE": "Europe/Berlin",
        "SCHEDULER_JOBS__BASICS_SYNC_SERVICE__TRIGGER": "30 2 * * *",
        "SCHEDULER_JOBS__NEWS_SYNC__TRIGGER": "30 2 * * *",
        "SCHEDULER_JOBS__NEWS_SYNC__DST_SKIPPED": "skip",
    }
    loaded = settings(monkeypatch, **env)
    triggers = validated_triggers(load_definitions(loaded), loaded.zone)
    start, end = datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    assert fires_of(triggers["basics_sync_service"], start, end) == ["29 03:00+0200", "30 02:30+0200"]
    assert fires_of(triggers["news_sync"], start, end) == ["30 02:30+0200"]


@pytest.mark.parametrize(
    ("name", "value"), [("DST_REPEATED", "twice"), ("DST_SKIPPED", "later"), ("DST_REPEATED", "")]
)
def test_a_bad_dst_setting_is_refused_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    with pytest.raises(ValueError, match=rf"news_sync\.{name.lower()}"):
        settings(monkeypatch, **{f"SCHEDULER_JOBS__NEWS_SYNC__{name}": value})


def test_dependency_settings_are_applied_and_a_bad_graph_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    review = "SCHEDULER_JOBS__MARKET_DAILY_REVIEW__"
    applied = load_definitions(
        settings(monkeypatch, **{f"{review}ACCEPT_PARTIAL": "true", f"{review}WINDOW_S": "3600"})
    )["market_daily_review"]
    assert applied.policy.accept_partial and applied.policy.window_s == 3600
    for variable, value, message in (
        (f"{review}TRIGGER", "after:nowhere", "job market_daily_review: after: names unknown jobs: nowhere"),
        (f"{review}TRIGGER", "after:market_daily_review", "cannot run after itself"),
        (
            "SCHEDULER_JOBS__AKSHARE_HISTORICAL_SYNC__TRIGGER",
            "after:market_daily_review",
            "would close a cycle",
        ),
        (f"{review}TRIGGER", "after:", "invalid dependency trigger"),
    ):
        monkeypatch.delenv(f"{review}WINDOW_S", raising=False)
        monkeypatch.delenv(f"{review}ACCEPT_PARTIAL", raising=False)
        with pytest.raises(CatalogueSettingsError, match=message):
            load_definitions(settings(monkeypatch, **{variable: value}))
        monkeypatch.delenv(variable)
    with pytest.raises(ValueError, match="window_s"):
        settings(monkeypatch, **{f"{review}WINDOW_S": "10"})


def test_a_time_trigger_waits_for_jobs_from_settings_with_the_day_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    review = "SCHEDULER_JOBS__MARKET_DAILY_REVIEW__"
    assert load_definitions(settings(monkeypatch))["market_daily_review"].policy.window == "day"
    waits = load_definitions(
        settings(
            monkeypatch,
            **{
                f"{review}TRIGGER": "0 18 * * 1-5",
                f"{review}AFTER": '["akshare_historical_sync"]',
                f"{review}WAIT_TIMEOUT_S": "3600",
            },
        )
    )["market_daily_review"]
    assert waits.policy.after == ("akshare_historical_sync",) and waits.policy.wait_timeout_s == 3600
    assert waits.policy.window == "day"
    monkeypatch.setenv(f"{review}AFTER", '["market_daily_review"]')
    with pytest.raises(CatalogueSettingsError, match="cannot run after itself"):
        load_definitions(settings(monkeypatch))
    with pytest.raises(ValueError, match="wait_timeout_s"):
        settings(monkeypatch, **{f"{review}WAIT_TIMEOUT_S": "10"})
