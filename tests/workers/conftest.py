"""Fixtures of the job tests: fake libraries behind the real adapters, a drivable clock, a SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infrastructure.market.sqlite_market import SQLiteMarketStore
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.environment import Libraries
from services.workers.catalogue.settings import CatalogueSettings

from .fakes import FakeAkshare
from .fakes import FakeBaostock
from .fakes import FakeClock
from .fakes import FakeTushareApi
from .fakes import shanghai

MakeEnvironment = Callable[..., JobEnvironment]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(shanghai(2024, 10, 11, 10, 0))  # a Friday, during the morning session


@pytest.fixture
def tushare_api() -> FakeTushareApi:
    return FakeTushareApi()


@pytest.fixture
def akshare() -> FakeAkshare:
    return FakeAkshare()


@pytest.fixture
def baostock() -> FakeBaostock:
    return FakeBaostock()


def settings_for(tmp_path: Path, **overrides: Any) -> CatalogueSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "tushare_token": "test-token",
        "akshare_min_interval_s": 0.0,
        "akshare_batch_pause_s": 1.0,
        "symbol_batch_size": 2,
        "provider_timeout_s": 5.0,
        "news_symbols": [],
        "jobs": {},
    }
    values.update(overrides)
    return CatalogueSettings(_env_file=None, **values)


@pytest.fixture
async def make_environment(
    tmp_path: Path,
    clock: FakeClock,
    tushare_api: FakeTushareApi,
    akshare: FakeAkshare,
    baostock: FakeBaostock,
) -> AsyncIterator[MakeEnvironment]:
    environments: list[JobEnvironment] = []

    def make(**overrides: Any) -> JobEnvironment:
        environment = JobEnvironment.from_settings(
            settings_for(tmp_path, **overrides),
            clock=clock,
            store=SQLiteMarketStore(tmp_path / f"market-{len(environments)}.sqlite3"),
            libraries=Libraries(
                tushare_api=lambda token, timeout: tushare_api,
                akshare=lambda: akshare,
                baostock=lambda: baostock,
            ),
        )
        environments.append(environment)
        return environment

    yield make
    for environment in environments:
        await environment.aclose()
