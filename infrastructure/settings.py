"""Settings shared by every process: which bus and store adapters to use and how to reach them.

Each service extends `CommonSettings` with its own fields. All variables use the `SCHEDULER_` prefix and may
come from the environment or an optional `.env` file. Secrets are `SecretStr` and never logged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from pydantic import Field
from pydantic import SecretStr
from pydantic import field_validator
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsConfigDict

from infrastructure.bus.broker_urls import BrokerUrlsInvalid
from infrastructure.bus.broker_urls import parse_broker_urls
from infrastructure.event_loop import EventLoopKind


class CommonSettings(BaseSettings):
    """The settings every service reads (`SCHEDULER_*` variables or `.env`): stores, broker, time zone."""

    model_config = SettingsConfigDict(
        env_prefix="SCHEDULER_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        hide_input_in_errors=True,  # a broker or database URL may carry a password
    )

    data_dir: Path = Path("./data")
    bus: Literal["memory", "rabbitmq"] = "memory"
    # One AMQP URL, or one per node of a RabbitMQ cluster, comma-separated (`broker_urls` wins if set): a
    # process connects to the first that answers and moves to the next when it loses its node.
    rabbitmq_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    broker_urls: SecretStr | None = Field(
        default=None, description="AMQP URLs of the cluster's nodes, comma-separated (SCHEDULER_BROKER_URLS)"
    )
    rabbitmq_queue_type: Literal["quorum", "classic"] = Field(
        default="quorum",
        description="durable queues as quorum queues (replicated on a cluster); classic: a deployment whose "
        "queues are still classic, until `python -m infrastructure.bus.migrate_queues` moved them",
    )
    rabbitmq_reconnect_interval_s: float = Field(
        default=0.5, gt=0, le=60, description="how often a lost broker connection is tried again"
    )
    # Set when the process connects as its service's own broker user (compose): it then declares only
    # what that service uses (`contracts.broker_access`); unset, a user allowed everything is assumed.
    broker_role: Literal["api", "scheduler", "projector", "worker", "alerter"] | None = None
    store: Literal["sqlite", "mongodb"] = "sqlite"
    sqlite_path: Path | None = None
    mongodb_url: SecretStr = SecretStr("mongodb://127.0.0.1:27017/?replicaSet=rs0")
    mongodb_database: str = "ashare_scheduler"
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    event_loop: EventLoopKind = Field(
        default="uvloop",
        description="the event loop: uvloop (libuv, less CPU per message) or the standard asyncio one",
    )
    instance_id: str | None = Field(default=None, description="name of this process in events and logs")
    liveness_file: Path | None = Field(
        default=None, description="touched every few seconds while the process is healthy (container checks)"
    )
    worker_pools: dict[str, list[str]] = Field(
        default_factory=dict,
        description="job kinds that run on a worker pool of their own, e.g. "
        '{"history": ["tushare_historical_sync", "akshare_historical_sync"]}; the rest: pool "default"',
    )

    @field_validator("rabbitmq_url", "broker_urls")
    @classmethod
    def _broker_urls_well_formed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                parse_broker_urls(value.get_secret_value())
            except BrokerUrlsInvalid as error:  # raised again without the URL (it may hold a password)
                raise ValueError(str(error)) from None
        return value

    def rabbitmq_urls(self) -> tuple[str, ...]:
        """The broker's nodes, in the order they are tried."""
        chosen = self.broker_urls if self.broker_urls is not None else self.rabbitmq_url
        return parse_broker_urls(chosen.get_secret_value())

    @field_validator("worker_pools")
    @classmethod
    def _each_kind_in_one_pool(cls, pools: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        for pool, kinds in pools.items():
            if not re.fullmatch(r"[a-z0-9_-]{1,50}", pool) or pool == "default":
                raise ValueError(f"invalid worker pool name {pool!r} (a-z, 0-9, _ and -; not 'default')")
            for kind in kinds:
                if kind in seen:
                    raise ValueError(f"job kind {kind!r} is in two worker pools: {seen[kind]!r} and {pool!r}")
                seen[kind] = pool
        return pools

    def pool_of(self, job_kind: str) -> str:
        """The worker pool that runs `job_kind` (`default` unless `worker_pools` names another)."""
        return next((pool for pool, kinds in self.worker_pools.items() if job_kind in kinds), "default")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone: the triggers' wall clock, and the zone times are shown in."""
        return ZoneInfo(self.timezone)

    @property
    def sqlite_file(self) -> Path:
        """The SQLite file of the store: `sqlite_path` if set, else one in `data_dir`."""
        return self.sqlite_path or self.data_dir / "scheduler.sqlite3"
