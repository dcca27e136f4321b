"""The declared job parameters (`contracts.job_parameters`, what the API accepts) against the workers'
catalogue (what the jobs read): the same job kinds, every name a job reads is declared, and what the
declarations accept the workers' own parsers accept too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts.job_parameters import JOB_PARAMETERS
from contracts.job_parameters import InvalidParameters
from contracts.job_parameters import check_parameters
from services.workers.canary import CANARY_JOB_ID
from services.workers.canary import pipeline_canary
from services.workers.catalogue import selection
from services.workers.catalogue.day_kwargs import day_kwarg
from services.workers.catalogue.registry import JOB_CODE
from tests.workers.fakes import FakeContext

WORKERS = Path(__file__).resolve().parents[2] / "services" / "workers"
_READ = re.compile(r"""kwargs\.get\(\s*["'](\w+)["']|kwargs\[\s*["'](\w+)["']\s*\]""")


def test_every_job_kind_declares_its_parameters() -> None:
    assert set(JOB_PARAMETERS) == {CANARY_JOB_ID, *JOB_CODE}


def test_every_name_a_job_reads_is_declared() -> None:
    declared = {name for declaration in JOB_PARAMETERS.values() for name in declaration.model_fields}
    read = {
        next(group for group in match.groups() if group)
        for source in WORKERS.rglob("*.py")
        for match in _READ.finditer(source.read_text())
    }
    assert read, "the scan finds what the jobs read"
    assert read <= declared, f"read by a job but not declared: {read - declared}"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"symbols": ["600000", "000001.SZ", "sh600000", "sh.600000"], "limit": 1},
        {"symbols": "600000, 000001", "limit": 100_000},
        {"start_date": "2024-02-29"},
        {"start_date": "2024-02-29", "end_date": "2024-02-29"},
    ],
)
def test_what_the_declarations_accept_the_history_jobs_read(kwargs: dict[str, object]) -> None:
    check_parameters("akshare_historical_sync", kwargs)
    if "symbols" in kwargs:
        assert selection.requested_symbols(kwargs)
    assert selection._limit(kwargs) == kwargs.get("limit")
    assert (day_kwarg(kwargs, "start_date") is None) == ("start_date" not in kwargs)
    assert (day_kwarg(kwargs, "end_date") is None) == ("end_date" not in kwargs)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"end_date": "2024-02-29"}, "end_date needs a start_date"),
        ({"start_date": "2024-03-01", "end_date": "2024-02-29"}, "is before start_date"),
        ({"start_date": "2024-03-01", "end_date": "2024-02-30"}, "end_date"),
    ],
)
def test_a_history_range_out_of_order_is_refused(kwargs: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidParameters, match=reason):
        check_parameters("akshare_historical_sync", kwargs)


@pytest.mark.parametrize(
    "kwargs", [{"duration_s": 0, "steps": 1}, {"duration_s": 0.01, "steps": 3, "fail": False}]
)
async def test_what_the_canary_declaration_accepts_the_canary_runs(kwargs: dict[str, object]) -> None:
    check_parameters(CANARY_JOB_ID, kwargs)
    await pipeline_canary(FakeContext(CANARY_JOB_ID, kwargs))


@pytest.mark.parametrize(
    "kwargs", [{"duration_s": 3601}, {"steps": 10_001}, {"steps": 0}, {"fail": "yes"}, {"duration_s": "2"}]
)
def test_the_canary_is_bounded(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidParameters):
        check_parameters(CANARY_JOB_ID, kwargs)
