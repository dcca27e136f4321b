"""The catalogue: 19 jobs with ids, names and triggers in the domain, each kind's code in the workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.catalogue import CANARY_JOB_ID
from domain.catalogue import CATALOGUE
from domain.catalogue import DATA_SYNC_JOBS
from services.workers.catalogue.registry import JOB_CODE
from services.workers.catalogue.registry import bound_jobs
from services.workers.kinds import job_kinds

from .conftest import MakeEnvironment
from .conftest import settings_for
from .fakes import FakeContext
from .fakes import payload

SPEC_TABLE = {
    "basics_sync_service": ("股票基础信息同步（多数据源）", "06:30"),
    "quotes_ingestion_service": ("实时行情入库服务", "interval:360"),
    "tushare_basic_info_sync": ("股票基础信息同步（Tushare）", "0 2 * * *"),
    "tushare_quotes_sync": ("实时行情同步（Tushare）", "*/5 9-15 * * 1-5"),
    "tushare_historical_sync": ("历史数据同步（Tushare）", "0 16 * * 1-5"),
    "tushare_financial_sync": ("财务数据同步（Tushare）", "0 3 * * 0"),
    "tushare_status_check": ("数据源状态检查（Tushare）", "0 * * * *"),
    "akshare_basic_info_sync": ("股票基础信息同步（AKShare）", "0 3 * * *"),
    "akshare_quotes_sync": ("实时行情同步（AKShare）", "*/30 9-15 * * 1-5"),
    "akshare_historical_sync": ("历史数据同步（AKShare）", "0 17 * * 1-5"),
    "akshare_financial_sync": ("财务数据同步（AKShare）", "0 4 * * 0"),
    "akshare_status_check": ("数据源状态检查（AKShare）", "30 * * * *"),
    "baostock_basic_info_sync": ("股票基础信息同步（BaoStock）", "0 4 * * *"),
    "baostock_daily_quotes_sync": ("日K线数据同步（BaoStock）", "0 18 * * 1-5"),  # after publication
    "baostock_historical_sync": ("历史数据同步（BaoStock）", "0 18 * * 1-5"),
    "baostock_status_check": ("数据源状态检查（BaoStock）", "45 * * * *"),
    "news_sync": ("新闻数据同步（AKShare）", "0 */2 * * *"),
    "market_daily_review": ("每日市场复盘", "after:akshare_historical_sync,baostock_historical_sync"),
    "trade_calendar_sync": ("交易日历同步", "30 8 * * *"),
}


def test_catalogue_matches_the_spec_table() -> None:
    assert {entry.job_id: (entry.name, entry.trigger) for entry in DATA_SYNC_JOBS} == SPEC_TABLE
    assert all(entry.job_kind == entry.job_id for entry in CATALOGUE.values())
    # Off by default, runs after the day's historical syncs (job dependencies); every other data job on.
    assert {entry.job_id for entry in DATA_SYNC_JOBS if entry.paused_reason} == {"market_daily_review"}
    assert "historical syncs" in (CATALOGUE["market_daily_review"].paused_reason or "")


def test_the_workers_run_every_kind_of_the_domain_catalogue(make_environment: MakeEnvironment) -> None:
    """The domain's catalogue and the workers' kind -> code mapping name the same kinds."""
    assert set(JOB_CODE) == {entry.job_kind for entry in DATA_SYNC_JOBS}
    assert set(job_kinds(make_environment())) == set(CATALOGUE) == {CANARY_JOB_ID, *SPEC_TABLE}


def test_every_data_sync_job_has_a_console_preset() -> None:
    assert all(0 < len(entry.name) <= 50 and 0 < len(entry.description) <= 200 for entry in DATA_SYNC_JOBS)


def test_blank_token_counts_as_missing(tmp_path: Path) -> None:
    assert settings_for(tmp_path, tushare_token="  ").tushare_token is None


async def test_bound_functions_run_against_the_given_environment(make_environment: MakeEnvironment) -> None:
    environment = make_environment()
    catalogue = bound_jobs(environment)
    result = payload(await catalogue["tushare_basic_info_sync"](FakeContext("tushare_basic_info_sync")))
    assert result["inserted"] == 7
    assert catalogue["tushare_basic_info_sync"].__name__ == "tushare_basic_info_sync"


async def test_bad_kwargs_fail_with_a_clear_message(make_environment: MakeEnvironment) -> None:
    catalogue = bound_jobs(make_environment())
    with pytest.raises(ValueError, match="unknown stock code"):
        await catalogue["akshare_historical_sync"](
            FakeContext("akshare_historical_sync", {"symbols": ["12345x"]})
        )
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        await catalogue["akshare_historical_sync"](FakeContext("akshare_historical_sync", {"limit": 0}))


PER_SYMBOL_KWARGS = {"symbols": ["600000", "000001"]}


@pytest.mark.parametrize("job_id", sorted(SPEC_TABLE))
async def test_every_job_runs_on_fixtures_with_a_json_result(
    make_environment: MakeEnvironment, job_id: str
) -> None:
    environment = make_environment()
    catalogue = bound_jobs(environment)
    context = FakeContext(job_id, PER_SYMBOL_KWARGS, force=True)

    result = payload(await catalogue[job_id](context))

    assert json.loads(json.dumps(result)) == result
    assert result["status"] in {"success", "partial", "empty"}, result
    assert context.events and all(0.0 <= event["percent"] <= 100.0 for event in context.events)
    percents = [event["percent"] for event in context.events]
    assert percents == sorted(percents)  # progress never goes backwards
