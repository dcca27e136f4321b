"""Settings of the data-sync catalogue (prefix `SCHEDULER_`, from the environment or `.env`).

Per-job triggers, enabling and run policies are the scheduler's settings (`SCHEDULER_JOBS__<JOB_ID>__...`,
services/scheduler/settings.py).

Without `SCHEDULER_TUSHARE_TOKEN` the tushare jobs fail with that reason; the scheduler registers them paused
unless `SCHEDULER_TUSHARE_TOKEN_SET=true` (it never reads the token itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic import SecretStr
from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from infrastructure.settings import CommonSettings
from services.workers.providers.pacing import RetryPolicy

# The retries' defaults are the providers' own (`RetryPolicy`); the settings only let them be changed.
_RETRY = RetryPolicy()


class CatalogueSettings(CommonSettings):
    """The jobs' settings: provider tokens and pacing, market store, batch sizes, news."""

    model_config = SettingsConfigDict(
        env_prefix="SCHEDULER_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    tushare_token: SecretStr | None = None
    tushare_calls_per_minute: int = Field(
        default=400, ge=1, description="the account tier's per-minute quota (400 on the standard tier)"
    )
    tushare_safety_margin: float = Field(default=0.1, ge=0, lt=1, description="share of the quota kept")
    akshare_min_interval_s: float = Field(default=0.3, ge=0, description="pause between akshare calls")
    akshare_batch_pause_s: float = Field(default=1.0, ge=0, description="pause between symbol batches")
    provider_timeout_s: float = Field(default=30.0, gt=0, description="one provider call, at most")
    retry_attempts: int = Field(default=_RETRY.attempts, ge=1)
    retry_base_delay_s: float = Field(default=_RETRY.base_delay, ge=0)
    retry_max_delay_s: float = Field(default=_RETRY.max_delay, ge=0)
    max_quota_waits: int = Field(
        default=_RETRY.max_rate_limit_waits, ge=0, description="quota waits per call before giving up"
    )
    failure_ratio: float = Field(default=0.5, ge=0, le=1, description="a run fails above this share")
    max_consecutive_network_failures: int = Field(default=5, ge=1)
    symbol_batch_size: int = Field(default=50, ge=1, description="symbols per progress report")
    write_batch_size: int = Field(default=500, ge=1)
    history_start_days: int = Field(default=365, ge=1, description="first sync of a symbol: days back")
    baostock_history_days: int = Field(default=30, ge=1)
    news_symbols: list[str] = Field(default_factory=list, description="watched symbols for news_sync")
    news_max_symbols: int = Field(default=50, ge=1, description="without a watch list: first N codes")
    news_per_symbol: int = Field(
        default=10, ge=1, le=10, description="items per stock; stock_news_em answers one page of 10"
    )
    market_store: Literal["sqlite", "mongodb"] | None = Field(
        default=None, description="where market data goes; default: the same kind as `store`"
    )
    market_sqlite_path: Path | None = None

    @field_validator("tushare_token")
    @classmethod
    def _blank_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return value

    @property
    def market_store_kind(self) -> Literal["sqlite", "mongodb"]:
        """Where market data is kept: `market_store` if set, else the same kind as the store."""
        return self.market_store or self.store

    @property
    def market_sqlite_file(self) -> Path:
        """The SQLite file of market data: `market_sqlite_path` if set, else one in `data_dir`."""
        return self.market_sqlite_path or self.data_dir / "market.sqlite3"
