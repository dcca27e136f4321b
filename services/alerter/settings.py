"""The alerter's settings: rules (with per-job overrides), channels as Apprise URLs, language, delivery.

Environment: `SCHEDULER_ALERTS__CHANNELS='["dingtalk://TOKEN/", "mailtos://..."]'`,
`SCHEDULER_ALERTS__LANGUAGE=en`, `SCHEDULER_ALERTS__JOBS__<job_id>__CONSECUTIVE_FAILURES=5`, ...
Channel URLs hold secrets: they are `SecretStr`, checked at start-up and never logged.
"""

from __future__ import annotations

import logging
from typing import Literal

import apprise
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import SecretStr
from pydantic import field_validator

from infrastructure.job_catalogue_settings import JobCatalogueSettings

MAX_CHANNELS = 20
logging.getLogger("apprise").setLevel(logging.ERROR)  # its warnings may quote a URL's tokens


class JobAlertOverride(BaseModel):
    """Rules of one job that differ from the defaults (`None`: the default applies)."""

    model_config = ConfigDict(extra="forbid")

    run_failed: bool | None = None
    run_missed: bool | None = None
    run_partial: bool | None = None
    consecutive_failures: int | None = Field(default=None, ge=1, le=1000)
    stale: bool | None = None
    stale_after_s: float | None = Field(default=None, gt=0)
    slow_factor: float | None = Field(default=None, ge=0, le=1000)


class AlertSettings(BaseModel):
    """The `alerts` settings: channels, language, which rules are on, thresholds, delivery and grouping."""

    model_config = ConfigDict(extra="forbid")

    channels: list[SecretStr] = Field(default_factory=list, max_length=MAX_CHANNELS)
    language: Literal["zh", "en"] = "zh"
    console_url: str = Field(default="http://127.0.0.1:8000", max_length=500)
    run_failed: bool = True
    run_missed: bool = True
    run_partial: bool = True
    consecutive_failures: int | None = Field(default=3, ge=1, le=1000)
    stale: bool = True
    stale_margin_s: float = Field(default=3600.0, ge=0)
    slow_factor: float | None = Field(default=3.0, gt=0, le=1000)
    no_leader_after_s: float | None = Field(default=60.0, gt=0)
    projector_lag_s: float | None = Field(default=120.0, gt=0)
    dead_letter_quiet_s: float = Field(default=3600.0, gt=0)
    reminder_interval_s: float = Field(default=4 * 3600.0, ge=1)
    evaluate_interval_s: float = Field(default=30.0, gt=0)
    operator_poll_s: float = Field(default=1.0, gt=0, le=60)
    group_window_s: float = Field(default=2.0, ge=0, le=300)
    max_listed: int = Field(default=30, ge=1, le=500)
    delivery_attempts: int = Field(default=5, ge=1, le=50)
    delivery_backoff_s: float = Field(default=2.0, ge=0, le=3600)
    delivery_timeout_s: float = Field(default=30.0, gt=0, le=600)
    jobs: dict[str, JobAlertOverride] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _apprise_urls(cls, channels: list[SecretStr]) -> list[SecretStr]:
        for index, channel in enumerate(channels):
            if apprise.Apprise.instantiate(channel.get_secret_value()) is None:
                # The URL holds secrets: name its position and scheme only.
                scheme = channel.get_secret_value().split("://", 1)[0][:20]
                raise ValueError(f"alerts channel {index} ({scheme}://...) is not a valid Apprise URL")
        return channels


class AlerterSettings(JobCatalogueSettings):
    """The alerter process's settings: the jobs' (read as the scheduler reads them), alerts, metrics port."""

    alerts: AlertSettings = Field(default_factory=AlertSettings)
    alerter_metrics_port: int | None = Field(
        default=None, description="serve the alerter's Prometheus metrics on this port; none by default"
    )
    alerter_metrics_host: str = "127.0.0.1"
